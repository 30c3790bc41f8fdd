import { randomUUID } from 'node:crypto';
import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/postgresql';
import { dateOf, isUuid, nullableDateOf, sqlOn } from '@parley/database';
import { BadUserInputError, ConflictError } from '@parley/errors';
import type { Clock } from '@parley/runtime';
import { User } from './entities/user';

export interface NewUser {
  email: string;
  displayName?: string | null;
  roles?: string[];
  passwordHash?: string | null;
}

interface UserRow {
  id: string;
  email: string;
  display_name: string;
  roles: string[];
  preferred_language: string;
  default_model: string | null;
  auto_translate: boolean;
  password_changed_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

function userOf(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    displayName: row.display_name,
    roles: row.roles,
    preferredLanguage: row.preferred_language,
    defaultModel: row.default_model,
    autoTranslate: row.auto_translate,
    // Never read here: the hash is loaded only to check a password (`findByEmail`).
    passwordHash: null,
    passwordChangedAt: nullableDateOf(row.password_changed_at),
    createdAt: dateOf(row.created_at),
    updatedAt: dateOf(row.updated_at),
  };
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const CONTROL = /\p{Cc}/u;

/** Trims and lower-cases an address, refusing what is not one. */
export function normalizeEmail(email: string, field = 'email'): string {
  const normalized = email.trim().toLowerCase();
  if (!EMAIL.test(normalized) || normalized.length > 254) {
    throw new BadUserInputError(`"${email.slice(0, 100)}" is not a valid e-mail address.`, { field });
  }
  return normalized;
}

export function normalizeDisplayName(name: string, field = 'displayName'): string {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > 100 || CONTROL.test(trimmed)) {
    throw new BadUserInputError('The display name must be 1 to 100 printable characters.', { field });
  }
  return trimmed;
}

/** Finding and creating accounts. Works on the EntityManager of one request. */
export function createUserDirectory({ em, clock }: { em: EntityManager; clock: Clock }) {
  return {
    /**
     * One SQL query for any number of ids; missing ids are simply absent. The read path of every `me` and every owner
     * a chat page shows: rows become plain Users without the ORM's hydration and identity map, which cost more than
     * the rest of such a request (bench/profile, issue 15). What is changed goes through `findByEmail` and the
     * EntityManager, never through these.
     */
    async findByIds(ids: readonly string[]): Promise<User[]> {
      const valid = ids.filter(isUuid);
      if (valid.length === 0) return [];
      const { rows } = await sqlOn(em.getConnection('read')).raw<UserRow>(
        `select "id", "email", "display_name", "roles", "preferred_language", "default_model", "auto_translate", "password_changed_at", "created_at", "updated_at" from "users"."user" where "id" = any(?::uuid[])`,
        [valid],
      );
      return rows.map(userOf);
    },

    async findByEmail(email: string, options: { withPassword?: boolean } = {}): Promise<User | null> {
      return em.findOne(
        User,
        { email },
        { connectionType: 'write', ...(options.withPassword ? { populate: ['passwordHash'] as never } : {}) },
      );
    },

    async create({ email, displayName, roles = ['user'], passwordHash = null }: NewUser): Promise<User> {
      const normalized = normalizeEmail(email);
      const name = normalizeDisplayName(displayName ?? normalized.split('@')[0]!);
      if (await em.count(User, { email: normalized }, { connectionType: 'write' })) {
        throw new ConflictError('An account with this e-mail address already exists; sign in instead.', { field: 'email' });
      }
      const user = new User();
      user.id = randomUUID();
      user.email = normalized;
      user.displayName = name;
      user.roles = roles;
      user.passwordHash = passwordHash;
      user.passwordChangedAt = passwordHash ? clock.now() : null;
      user.createdAt = user.updatedAt = clock.now();
      try {
        await em.persist(user).flush();
      } catch (error) {
        // Two registrations of one address at once: the unique index decides, and the loser hears it plainly.
        if (error instanceof UniqueConstraintViolationException) {
          throw new ConflictError('An account with this e-mail address already exists; sign in instead.', { field: 'email' });
        }
        throw error;
      }
      return user;
    },
  };
}

export type UserDirectory = ReturnType<typeof createUserDirectory>;
