import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Clock } from '@parley/runtime';
import { createLocalJWKSet, exportJWK, generateKeyPair, importJWK, type JWK, type JWTVerifyGetKey } from 'jose';
import { SigningKey } from './entities/signing-key';

const ALGORITHM = 'ES256';

export interface ActiveSigningKey {
  kid: string;
  privateKey: Awaited<ReturnType<typeof importJWK>>;
}

export interface SigningKeyStore {
  /** Creates the first key if there is none; call once at start. */
  ensureActiveKey(): Promise<void>;
  /** The key new tokens are signed with. */
  activeKey(): Promise<ActiveSigningKey>;
  /** Every key that may still verify a token: served at /.well-known/jwks.json. */
  publicJwks(): Promise<{ keys: JWK[] }>;
  /** Verification for the users service itself, reloading when a token names an unknown kid. */
  keySet(): JWTVerifyGetKey;
}

/**
 * Signing keys live in the users database so every users replica signs with
 * the same key. Keys are cached in memory and reloaded when a token names a
 * kid this process has not seen (another replica rotated).
 */
export function createSigningKeyStore({ orm, clock }: { orm: MikroORM; clock: Clock }): SigningKeyStore {
  let cache: { active: ActiveSigningKey; jwks: { keys: JWK[] } } | undefined;

  async function load() {
    const em = orm.em.fork();
    const rows = await em.find(SigningKey, {}, { orderBy: { createdAt: 'desc' }, connectionType: 'write' });
    const activeRow = rows.find((r) => r.retiredAt === null);
    if (!activeRow) throw new Error('No active signing key: ensureActiveKey() was not called at start');
    cache = {
      active: { kid: activeRow.kid, privateKey: await importJWK(activeRow.privateJwk, ALGORITHM) },
      jwks: { keys: rows.map((r) => ({ ...r.publicJwk, kid: r.kid, alg: r.algorithm, use: 'sig' })) },
    };
    return cache;
  }

  return {
    async ensureActiveKey() {
      const em = orm.em.fork();
      const existing = await em.count(SigningKey, { retiredAt: null });
      if (existing === 0) {
        const { publicKey, privateKey } = await generateKeyPair(ALGORITHM, { extractable: true });
        const key = new SigningKey();
        key.kid = randomUUID();
        key.algorithm = ALGORITHM;
        key.publicJwk = await exportJWK(publicKey);
        key.privateJwk = await exportJWK(privateKey);
        key.createdAt = clock.now();
        await em.persistAndFlush(key);
      }
      await load();
    },
    async activeKey() {
      return (cache ?? (await load())).active;
    },
    async publicJwks() {
      return (cache ?? (await load())).jwks;
    },
    keySet() {
      return async (header, token) => {
        const current = cache ?? (await load());
        const known = current.jwks.keys.some((k) => k.kid === header.kid);
        const jwks = known ? current.jwks : (await load()).jwks;
        return createLocalJWKSet(jwks)(header, token);
      };
    },
  };
}
