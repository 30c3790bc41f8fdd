import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { BadUserInputError, ConflictError } from '@parley/errors';
import type { Clock } from '@parley/runtime';
import { User } from './entities/user';

export interface NewUser {
  email: string;
  displayName?: string;
  roles?: string[];
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Finding and creating accounts. Works on the EntityManager of one request. */
export function createUserDirectory({ em, clock }: { em: EntityManager; clock: Clock }) {
  return {
    /** One SQL query for any number of ids; missing ids are simply absent. */
    async findByIds(ids: readonly string[]): Promise<User[]> {
      return em.find(User, { id: { $in: [...ids] } });
    },

    async create({ email, displayName, roles = ['user'] }: NewUser): Promise<User> {
      const normalized = email.trim().toLowerCase();
      if (!EMAIL.test(normalized) || normalized.length > 254) {
        throw new BadUserInputError(`"${email}" is not a valid e-mail address.`, { field: 'email' });
      }
      const name = (displayName ?? normalized.split('@')[0]!).trim();
      if (name.length === 0 || name.length > 100) {
        throw new BadUserInputError('The display name must be 1 to 100 characters.', { field: 'displayName' });
      }
      if (await em.count(User, { email: normalized }, { connectionType: 'write' })) {
        throw new ConflictError('An account with this e-mail address already exists.', { field: 'email' });
      }
      const user = new User();
      user.id = randomUUID();
      user.email = normalized;
      user.displayName = name;
      user.roles = roles;
      user.createdAt = user.updatedAt = clock.now();
      await em.persistAndFlush(user);
      return user;
    },
  };
}

export type UserDirectory = ReturnType<typeof createUserDirectory>;
