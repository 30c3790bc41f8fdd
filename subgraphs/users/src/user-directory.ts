import { randomUUID } from 'node:crypto';
import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/postgresql';
import { BadUserInputError, ConflictError } from '@parley/errors';
import type { Clock } from '@parley/runtime';
import { User } from './entities/user';

export interface NewUser {
  email: string;
  displayName?: string | null;
  roles?: string[];
  passwordHash?: string | null;
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
    /** One SQL query for any number of ids; missing ids are simply absent. */
    async findByIds(ids: readonly string[]): Promise<User[]> {
      return em.find(User, { id: { $in: [...ids] } });
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
