import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { BadUserInputError, NotFoundError, UnauthenticatedError } from '@parley/errors';
import type { Clock } from '@parley/runtime';
import { ApiKey } from './entities/api-key';
import { User } from './entities/user';

/** What a key can be allowed to do. Account management is never among them. */
export const API_KEY_SCOPES = ['chat', 'models'] as const;
const MAX_ACTIVE_KEYS = 25;
/** lastUsedAt is a hint for people, not an audit log: one write a minute per key is plenty. */
const LAST_USED_RESOLUTION_MS = 60_000;

const hashSecret = (secret: string) => createHash('sha256').update(secret).digest();
const KEY_FORMAT = /^pk_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;

export function looksLikeApiKey(token: string): boolean {
  return token.startsWith('pk_');
}

/** Partner API keys: `pk_<id>_<secret>`; only a SHA-256 hash of the secret is stored (it has 256 bits of entropy). */
export function createApiKeys({ em, clock }: { em: EntityManager; clock: Clock }) {
  return {
    async create(userId: string, name: string, scopes: string[] | null | undefined): Promise<{ key: string; apiKey: ApiKey }> {
      const trimmed = name.trim();
      if (trimmed.length === 0 || trimmed.length > 100)
        throw new BadUserInputError('A key name must be 1 to 100 characters.', { field: 'name' });
      const granted = scopes ?? [...API_KEY_SCOPES];
      const unknown = granted.filter((s) => !(API_KEY_SCOPES as readonly string[]).includes(s));
      if (unknown.length > 0 || granted.length === 0) {
        throw new BadUserInputError(`Unknown scope(s) ${JSON.stringify(unknown)}; choose from ${API_KEY_SCOPES.join(', ')}.`, {
          field: 'scopes',
        });
      }
      if ((await em.count(ApiKey, { userId, revokedAt: null }, { connectionType: 'write' })) >= MAX_ACTIVE_KEYS) {
        throw new BadUserInputError(`You already have ${MAX_ACTIVE_KEYS} active API keys; revoke one first.`, { field: 'name' });
      }
      const secret = randomBytes(32).toString('base64url');
      const apiKey = new ApiKey();
      apiKey.id = randomUUID();
      apiKey.userId = userId;
      apiKey.name = trimmed;
      apiKey.secretHash = hashSecret(secret).toString('base64url');
      apiKey.scopes = [...new Set(granted)].sort();
      apiKey.createdAt = clock.now();
      await em.persist(apiKey).flush();
      return { key: `pk_${apiKey.id.replaceAll('-', '')}_${secret}`, apiKey };
    },

    list(userId: string): Promise<ApiKey[]> {
      return em.find(ApiKey, { userId, revokedAt: null }, { orderBy: { createdAt: 'desc' }, connectionType: 'write' });
    },

    async revoke(userId: string, id: string): Promise<void> {
      const valid = /^[0-9a-f-]{36}$/i.test(id);
      const revoked = valid ? await em.nativeUpdate(ApiKey, { id, userId, revokedAt: null }, { revokedAt: clock.now() }) : 0;
      if (revoked === 0) throw new NotFoundError(`No active API key with id "${id.slice(0, 40)}".`);
    },

    /** The key's owner and grant, or UnauthenticatedError; the comparison takes constant time. */
    async authenticate(key: string): Promise<{ apiKey: ApiKey; user: User }> {
      const match = KEY_FORMAT.exec(key);
      const refused = new UnauthenticatedError('This API key is not valid or was revoked.');
      if (!match) throw refused;
      const id = match[1]!.replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
      const apiKey = await em.findOne(ApiKey, { id }, { connectionType: 'write' });
      if (!apiKey || apiKey.revokedAt) throw refused;
      const expected = Buffer.from(apiKey.secretHash, 'base64url');
      if (!timingSafeEqual(expected, hashSecret(match[2]!))) throw refused;
      const user = await em.findOne(User, { id: apiKey.userId }, { connectionType: 'write' });
      if (!user) throw refused;
      const now = clock.now();
      if (!apiKey.lastUsedAt || now.getTime() - apiKey.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
        await em.nativeUpdate(ApiKey, { id }, { lastUsedAt: now });
        apiKey.lastUsedAt = now;
      }
      return { apiKey, user };
    },
  };
}

export type ApiKeys = ReturnType<typeof createApiKeys>;
