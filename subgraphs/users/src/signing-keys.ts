import { randomUUID } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Clock } from '@parley/runtime';
import { createLocalJWKSet, exportJWK, generateKeyPair, importJWK, type JWK, type JWTVerifyGetKey } from 'jose';
import { SigningKey } from './entities/signing-key';
import type { KeyEncryption } from './key-encryption';

const ALGORITHM = 'ES256';
/** How long a replica trusts its cached keys before looking for a rotation made by another (and so what its JWKS may lag). */
const CACHE_SECONDS = 5;

export interface ActiveSigningKey {
  kid: string;
  privateKey: Awaited<ReturnType<typeof importJWK>>;
}

export interface SigningKeyStore {
  /** At start: creates the first key, or rotates when the active one is older than the rotation period. */
  ensureActiveKey(): Promise<void>;
  /** A new key signs from now on; the old one keeps verifying until its last token expires. */
  rotate(): Promise<void>;
  activeKey(): Promise<ActiveSigningKey>;
  /** Every key that may still verify a token: served at /.well-known/jwks.json. */
  publicJwks(): Promise<{ keys: JWK[] }>;
  /** Verification inside the users service, reloading when a token names an unknown kid. */
  keySet(): JWTVerifyGetKey;
}

/**
 * Signing keys live in the users database, private halves encrypted, so every
 * users replica signs with the same key and a database dump cannot mint tokens.
 */
export function createSigningKeyStore({
  orm,
  clock,
  encryption,
  tokenTtlSeconds,
  rotationDays,
}: {
  orm: MikroORM;
  clock: Clock;
  encryption: KeyEncryption;
  /** The longest lifetime of a token signed by these keys: a retired key verifies this long. */
  tokenTtlSeconds: number;
  rotationDays: number;
}): SigningKeyStore {
  let cache: { loadedAt: number; active: ActiveSigningKey; jwks: { keys: JWK[] } } | undefined;
  const verifiesUntil = (key: SigningKey) => (key.retiredAt ? key.retiredAt.getTime() + (tokenTtlSeconds + 60) * 1000 : Infinity);

  async function load() {
    const rows = await orm.em.fork().find(SigningKey, {}, { orderBy: { createdAt: 'desc' }, connectionType: 'write' });
    const activeRow = rows.find((r) => r.retiredAt === null);
    if (!activeRow) throw new Error('No active signing key: ensureActiveKey() was not called at start');
    const now = clock.now().getTime();
    cache = {
      loadedAt: now,
      active: {
        kid: activeRow.kid,
        privateKey: await importJWK(JSON.parse(encryption.decrypt(activeRow.privateKeyCiphertext)) as JWK, ALGORITHM),
      },
      jwks: {
        keys: rows.filter((r) => verifiesUntil(r) > now).map((r) => ({ ...r.publicJwk, kid: r.kid, alg: r.algorithm, use: 'sig' })),
      },
    };
    return cache;
  }

  async function current() {
    if (cache && clock.now().getTime() - cache.loadedAt < CACHE_SECONDS * 1000) return cache;
    return load();
  }

  async function newKey(): Promise<SigningKey> {
    const { publicKey, privateKey } = await generateKeyPair(ALGORITHM, { extractable: true });
    const key = new SigningKey();
    key.kid = randomUUID();
    key.algorithm = ALGORITHM;
    key.publicJwk = await exportJWK(publicKey);
    key.privateKeyCiphertext = encryption.encrypt(JSON.stringify(await exportJWK(privateKey)));
    key.createdAt = clock.now();
    return key;
  }

  /** Replaces the active key when `shouldRotate` says so, under a lock so replicas starting together agree. */
  async function rotateIf(shouldRotate: (active: SigningKey | null) => boolean) {
    await orm.em.fork().transactional(async (em) => {
      await em.execute(`select pg_advisory_xact_lock(hashtext('users.signing_key'))`);
      const active = await em.findOne(SigningKey, { retiredAt: null }, { orderBy: { createdAt: 'desc' } });
      if (!shouldRotate(active)) return;
      const now = clock.now();
      if (active) active.retiredAt = now;
      em.persist(await newKey());
      // Keys whose last token expired long ago are of no use to anyone.
      await em.nativeDelete(SigningKey, { retiredAt: { $lt: new Date(now.getTime() - (tokenTtlSeconds + 86_400) * 1000) } });
    });
    await load();
  }

  return {
    ensureActiveKey: () => rotateIf((active) => !active || clock.now().getTime() - active.createdAt.getTime() > rotationDays * 86_400_000),
    rotate: () => rotateIf(() => true),
    activeKey: async () => (await current()).active,
    publicJwks: async () => (await current()).jwks,
    keySet() {
      // Tokens naming a kid we do not know reload the keys (another replica rotated), but at most once a second,
      // so made-up kids cannot turn into a database query each.
      let lastUnknownReload = 0;
      let reloading: Promise<Awaited<ReturnType<typeof load>>> | null = null;
      return async (header, token) => {
        let keys = await current();
        if (!keys.jwks.keys.some((k) => k.kid === header.kid) && clock.now().getTime() - lastUnknownReload >= 1_000) {
          lastUnknownReload = clock.now().getTime();
          reloading ??= load().finally(() => (reloading = null));
          keys = await reloading;
        }
        return createLocalJWKSet(keys.jwks)(header, token);
      };
    },
  };
}
