import { randomBytes } from 'node:crypto';
import { MeDocument } from '@parley/client';
import { postToSubgraph } from '@parley/testing';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SigningKey } from '../src/entities/signing-key';
import type { UsersService } from '../src/server';
import { startUsersUnderTest, type UsersUnderTest } from './support/users-under-test';

const DAY = 86_400_000;
/** The longest-lived token these keys sign: an access token, 15 minutes by default (API-key tokens live 5). */
const TOKEN_TTL_MS = 15 * 60_000;

/**
 * The keys that sign every access token: kept across restarts, rotated at start after SIGNING_KEY_ROTATION_DAYS
 * (30 by default) or on demand, published while a token they signed may still be valid, encrypted at rest, and
 * shared by every replica through the database.
 */
describe('the users service: signing keys', () => {
  let users: UsersUnderTest;
  let userId: string;
  /** The kid the service signs with now: the header of a token it issues. */
  const signingKid = async (service: UsersService) =>
    decodeProtectedHeader((await service.tokens.issue({ userId, roles: ['user'] })).token).kid!;
  /** The kids the service publishes at /.well-known/jwks.json. */
  const published = async (url: string) => {
    const jwks = (await (await fetch(new URL('/.well-known/jwks.json', url))).json()) as { keys: { kid: string }[] };
    return jwks.keys.map((k) => k.kid);
  };
  const stored = () => users.orm.em.fork().find(SigningKey, {}, { connectionType: 'write' });

  beforeAll(async () => {
    users = await startUsersUnderTest();
    userId = (await users.service.directory().create({ email: 'holder@example.com' })).id;
  });
  afterAll(async () => {
    await users?.stop();
  });

  it('keeps its key across restarts until the key is older than SIGNING_KEY_ROTATION_DAYS, then rotates at start', async () => {
    await users.service.keys.rotate();
    const kept = await signingKid(users.service);
    users.clock.advance(30 * DAY);
    expect(await signingKid((await users.replica()).service)).toBe(kept);
    users.clock.advance(1_000);
    const restarted = await users.replica();
    const rotated = await signingKid(restarted.service);
    expect(rotated).not.toBe(kept);
    expect(await published(restarted.url)).toEqual(expect.arrayContaining([rotated, kept]));
    // The instance that started first signs with the new key too: it reloads keys it has held for over 5 s.
    expect(await signingKid(users.service)).toBe(rotated);
  });

  it('publishes a retired key until the last token it signed has expired (and a minute more), then no longer', async () => {
    const retired = await signingKid(users.service);
    await users.service.keys.rotate();
    const active = await signingKid(users.service);
    users.clock.advance(TOKEN_TTL_MS + 59_000);
    expect(await published(users.url)).toEqual(expect.arrayContaining([active, retired]));
    // A second past that, and past the 5 s for which an instance keeps the keys it read.
    users.clock.advance(6_000);
    const later = await published(users.url);
    expect(later).toContain(active);
    expect(later).not.toContain(retired);
  });

  it('deletes a key at the next rotation once it has been retired a day longer than any token it signed lives', async () => {
    const old = await signingKid(users.service);
    await users.service.keys.rotate();
    const recent = await signingKid(users.service);
    users.clock.advance(TOKEN_TTL_MS + DAY + 1_000);
    await users.service.keys.rotate();
    const kids = (await stored()).map((k) => k.kid);
    expect(kids).toContain(recent);
    expect(kids).not.toContain(old);
  });

  it('accepts a token signed with the key another replica has just rotated to, without waiting for its cache', async () => {
    const other = await users.replica();
    // Both hold freshly loaded keys; the clock does not move in this test.
    await users.service.keys.publicJwks();
    await other.service.keys.rotate();
    const { token } = await other.service.tokens.issue({ userId, roles: ['user'] });
    const newKid = decodeProtectedHeader(token).kid!;
    expect(await published(users.url)).not.toContain(newKid);

    const { status, body } = await postToSubgraph(users, MeDocument, { token });
    expect(status).toBe(200);
    expect(body.data!.me!.id).toBe(userId);
    expect(await published(users.url)).toContain(newKid);
  });

  it('stores private keys encrypted, and does not start with another key-encryption key', async () => {
    await users.service.keys.rotate();
    for (const key of await stored()) {
      expect(key.privateKeyCiphertext).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
      expect(key.publicJwk).not.toHaveProperty('d');
    }
    await expect(users.replica({ USERS_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64') })).rejects.toThrow(
      /unable to authenticate data/,
    );
  });
});
