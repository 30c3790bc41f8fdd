import { API_KEY_TOKEN_PATH } from '@parley/auth';
import {
  ChangePasswordDocument,
  CreateApiKeyDocument,
  LogoutDocument,
  MeDocument,
  MyApiKeysDocument,
  MySessionsDocument,
  RegisterDocument,
  RevokeApiKeyDocument,
  UpdateSettingsDocument,
} from '@parley/client';
import { postToSubgraph } from '@parley/testing';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Session } from '../src/entities/session';
import { User } from '../src/entities/user';
import { login, PASSWORD, refresh, register, startUsersUnderTest, type UsersUnderTest } from './support/users-under-test';

const DAY = 86_400_000;

/**
 * What the users service does beyond what the gateway suites (platform/test/auth) already show: the refusals they do
 * not reach, and what depends on time, on a clock the test moves.
 */
describe('the users service: accounts, sessions and API keys', () => {
  let users: UsersUnderTest;
  let url: string;
  const userCount = () => users.orm.em.fork().count(User, {}, { connectionType: 'write' });

  beforeAll(async () => {
    users = await startUsersUnderTest({ LOGIN_ATTEMPTS_PER_ACCOUNT: '3', LOGIN_ATTEMPTS_PER_IP: '1000', REGISTRATIONS_PER_IP: '1000' });
    url = users.url;
  });
  afterAll(async () => {
    await users?.stop();
  });

  describe('registration', () => {
    it.each([
      ['a blank display name', { email: 'blank@example.com', password: PASSWORD, displayName: '   ' }, 'displayName', /1 to 100 printable/],
      [
        'a display name with a control character',
        { email: 'bell@example.com', password: PASSWORD, displayName: 'Ada\u0007' },
        'displayName',
        /printable/,
      ],
      [
        'a display name over 100 characters',
        { email: 'long@example.com', password: PASSWORD, displayName: 'x'.repeat(101) },
        'displayName',
        /1 to 100/,
      ],
      [
        'a password over 256 characters',
        { email: 'essay@example.com', password: 'long passphrase '.repeat(17) },
        'password',
        /at most 256/,
      ],
      ['a password of two characters over and over', { email: 'abab@example.com', password: 'abababababab' }, 'password', /too common/],
      [
        'the part of the address before the @ as password',
        { email: 'ada.lovelace@example.com', password: 'Ada.Lovelace' },
        'password',
        /not be your e-mail/,
      ],
      ['an address over 254 characters', { email: `${'a'.repeat(250)}@example.com`, password: PASSWORD }, 'email', /not a valid e-mail/],
    ])('refuses %s with BAD_USER_INPUT naming the field, and stores no account', async (_case, input, field, message) => {
      const before = await userCount();
      const { body } = await postToSubgraph(users, RegisterDocument, { variables: { input } });
      expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
      expect(body.errors?.[0]?.message).toMatch(message);
      expect(await userCount()).toBe(before);
    });

    it('limits registration attempts for one e-mail address to five a window, in any case, refused ones included', async () => {
      await register(users, 'Twice@Example.com');
      for (let attempt = 2; attempt <= 5; attempt++) {
        const { body } = await postToSubgraph(users, RegisterDocument, {
          variables: { input: { email: 'twice@EXAMPLE.com', password: PASSWORD } },
        });
        expect(body.errors?.[0]?.extensions?.['code'], `attempt ${attempt}`).toBe('CONFLICT');
      }
      const { body } = await postToSubgraph(users, RegisterDocument, {
        variables: { input: { email: 'TWICE@example.com', password: PASSWORD } },
      });
      expect(body.errors?.[0]?.extensions?.['code']).toBe('RATE_LIMITED');
      expect(body.errors?.[0]?.extensions?.['retryAfterSeconds']).toBeGreaterThan(0);
      expect(body.errors?.[0]?.message).toMatch(/^Too many registration attempts for this e-mail address; try again in \d+ seconds\.$/);
    });
  });

  describe('signing in with a password', () => {
    it('finds the account whatever the case and spacing of the address', async () => {
      await register(users, 'spaced@example.com');
      const { body } = await login(users, '  SPACED@Example.COM ');
      expect(body.errors).toBeUndefined();
      expect(body.data!.login.user.email).toBe('spaced@example.com');
    });

    it('answers a password over 256 characters and an account without a password as a wrong password', async () => {
      await register(users, 'verbose@example.com');
      // An account made by an identity provider has no password to sign in with.
      await users.service.directory().create({ email: 'sso-only@example.com' });
      for (const [email, password] of [
        ['verbose@example.com', 'x'.repeat(257)],
        ['sso-only@example.com', PASSWORD],
      ] as const) {
        const { body } = await login(users, email, password);
        expect(body.errors?.[0], email).toMatchObject({
          message: 'Incorrect e-mail or password.',
          extensions: { code: 'UNAUTHENTICATED' },
        });
      }
    });

    it("forgets an account's failed attempts once its owner signs in", async () => {
      await register(users, 'typos@example.com');
      for (let i = 0; i < 2; i++)
        expect((await login(users, 'typos@example.com', 'not it at all')).body.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
      // The third attempt of three: allowed, and it clears the count.
      expect((await login(users, 'typos@example.com')).body.errors).toBeUndefined();
      for (let i = 0; i < 3; i++)
        expect((await login(users, 'typos@example.com', 'not it at all')).body.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
      expect((await login(users, 'typos@example.com')).body.errors?.[0]?.extensions?.['code']).toBe('RATE_LIMITED');
    });

    it('makes an existing account an admin at its next sign-in once ADMIN_EMAILS names it', async () => {
      const before = await register(users, 'ops@example.com');
      expect(before.user.roles).toEqual(['user']);
      const restarted = await users.replica({ ADMIN_EMAILS: 'ops@example.com' });
      const signedIn = (await login(restarted, 'ops@example.com')).body.data!.login;
      expect(signedIn.user.roles).toEqual(['user', 'admin']);
      // Stored, not only in the token: an instance that was never told sees it too.
      expect((await postToSubgraph(users, MeDocument, { token: signedIn.accessToken })).body.data!.me!.roles).toEqual(['user', 'admin']);
    });
  });

  describe('sessions', () => {
    it("ends only the family of a reused refresh token: the user's other sessions stay signed in", async () => {
      const laptop = await register(users, 'two-devices@example.com', 'Laptop');
      const phone = (await login(users, 'two-devices@example.com', PASSWORD, 'Phone')).body.data!.login;
      const rotated = (await refresh(users, laptop.refreshToken)).body.data!.refreshToken;
      expect((await refresh(users, laptop.refreshToken)).body.errors?.[0]?.message).toMatch(/already used, so the session was ended/);
      expect((await refresh(users, rotated.refreshToken)).body.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');

      const phoneNext = await refresh(users, phone.refreshToken);
      expect(phoneNext.body.errors).toBeUndefined();
      const sessions = (await postToSubgraph(users, MySessionsDocument, { token: phoneNext.body.data!.refreshToken.accessToken })).body
        .data!.me!.sessions;
      expect(sessions.map((s) => [s.userAgent, s.current])).toEqual([['Phone', true]]);
      const stored = await users.orm.em.fork().find(Session, { userId: laptop.user.id }, { connectionType: 'write' });
      expect(stored.map((s) => [s.userAgent, s.revokeReason]).sort()).toEqual([
        ['Laptop', 'reuse'],
        ['Phone', null],
      ]);
    });

    it('refuses a refresh token it never issued, and takes one at logout without complaint', async () => {
      const { body } = await refresh(users, 'rt_never-issued');
      expect(body.errors?.[0]).toMatchObject({
        message: 'This refresh token is not valid; sign in again.',
        extensions: { code: 'UNAUTHENTICATED' },
      });
      expect((await postToSubgraph(users, LogoutDocument, { variables: { refreshToken: 'rt_never-issued' } })).body.data!.logout).toBe(
        true,
      );
    });

    it('lists only sessions within their idle limit (30 days) and their maximum age (90 days)', async () => {
      await register(users, 'ages@example.com', 'Tablet');
      let phone: { accessToken: string; refreshToken: string } = (await login(users, 'ages@example.com', PASSWORD, 'Phone')).body.data!
        .login;
      const usePhone = async () => {
        phone = (await refresh(users, phone.refreshToken)).body.data!.refreshToken;
      };
      const listed = async (token: string) =>
        (await postToSubgraph(users, MySessionsDocument, { token })).body.data!.me!.sessions.map((s) => s.userAgent);

      users.clock.advance(20 * DAY);
      await usePhone();
      users.clock.advance(15 * DAY);
      await usePhone();
      // The tablet has not been used for 35 days.
      expect(await listed(phone.accessToken)).toEqual(['Phone']);

      users.clock.advance(20 * DAY);
      await usePhone();
      users.clock.advance(20 * DAY);
      await usePhone();
      users.clock.advance(20 * DAY);
      // Day 95: the phone was used 20 days ago, but its session began 95 days ago.
      const laptop = (await login(users, 'ages@example.com', PASSWORD, 'Laptop')).body.data!.login;
      expect(await listed(laptop.accessToken)).toEqual(['Laptop']);
    });
  });

  describe('account changes', () => {
    it('refuses a new password the policy refuses, or the current one again, on newPassword, changing nothing', async () => {
      const { accessToken, refreshToken } = await register(users, 'steady@example.com');
      for (const [newPassword, message] of [
        ['short', /at least 10 characters/],
        [PASSWORD, /must differ from the current one/],
      ] as const) {
        const { body } = await postToSubgraph(users, ChangePasswordDocument, {
          token: accessToken,
          variables: { currentPassword: PASSWORD, newPassword },
        });
        expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'newPassword' });
        expect(body.errors?.[0]?.message).toMatch(message);
      }
      expect((await refresh(users, refreshToken)).body.errors).toBeUndefined();
      expect((await login(users, 'steady@example.com')).body.errors).toBeUndefined();
    });

    it('clears the default model with null, but refuses null for the language and for auto-translation, and a malformed model id', async () => {
      const { accessToken } = await register(users, 'settings@example.com');
      const update = (input: { preferredLanguage?: string | null; defaultModel?: string | null; autoTranslate?: boolean | null }) =>
        postToSubgraph(users, UpdateSettingsDocument, { token: accessToken, variables: { input } });
      expect((await update({ defaultModel: 'dev/echo' })).body.data!.updateSettings.defaultModel).toBe('dev/echo');
      expect((await update({ defaultModel: null })).body.data!.updateSettings).toEqual({
        preferredLanguage: 'en',
        defaultModel: null,
        autoTranslate: false,
      });
      for (const [input, field] of [
        [{ preferredLanguage: null }, 'preferredLanguage'],
        [{ autoTranslate: null }, 'autoTranslate'],
        [{ defaultModel: 'echo' }, 'defaultModel'],
      ] as const) {
        expect((await update(input)).body.errors?.[0]?.extensions, field).toMatchObject({ code: 'BAD_USER_INPUT', field });
      }
    });
  });

  describe('API keys', () => {
    const createKey = (token: string, name: string, scopes?: string[]) =>
      postToSubgraph(users, CreateApiKeyDocument, { token, variables: { name, ...(scopes && { scopes }) } });
    /** The gateway's side of the exchange: with the internal credential, as only Parley's own callers have it. */
    const exchange = (init: RequestInit, headers: Record<string, string> = users.internalHeaders) =>
      fetch(new URL(API_KEY_TOKEN_PATH, url), { ...init, headers: { ...headers, ...(init.headers as Record<string, string>) } });
    const trade = async (key: string) => {
      const response = await exchange({ method: 'POST', body: JSON.stringify({ key }) });
      return { status: response.status, body: (await response.json()) as Record<string, string> };
    };

    it('grants both scopes when none are named, and each named scope once, sorted', async () => {
      const { accessToken } = await register(users, 'scopes@example.com');
      expect((await createKey(accessToken, 'all')).body.data!.createApiKey.apiKey.scopes).toEqual(['chat', 'models']);
      expect((await createKey(accessToken, 'twice', ['models', 'chat', 'models'])).body.data!.createApiKey.apiKey.scopes).toEqual([
        'chat',
        'models',
      ]);
    });

    it('refuses a blank or overlong key name, and a 26th active key until one is revoked', async () => {
      const { accessToken } = await register(users, 'many-keys@example.com');
      for (const name of ['   ', 'k'.repeat(101)]) {
        expect((await createKey(accessToken, name)).body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
      }
      const ids: string[] = [];
      for (let i = 1; i <= 25; i++) ids.push((await createKey(accessToken, `key ${i}`)).body.data!.createApiKey.apiKey.id);
      const refused = (await createKey(accessToken, 'key 26')).body.errors?.[0];
      expect(refused?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
      expect(refused?.message).toMatch(/already have 25 active API keys; revoke one first/);
      await postToSubgraph(users, RevokeApiKeyDocument, { token: accessToken, variables: { id: ids[0]! } });
      expect((await createKey(accessToken, 'key 26')).body.errors).toBeUndefined();
    });

    it('answers NOT_FOUND for revoking a key twice, or an id that is no key at all', async () => {
      const { accessToken } = await register(users, 'revoker@example.com');
      const { id } = (await createKey(accessToken, 'once')).body.data!.createApiKey.apiKey;
      const revoke = (keyId: string) => postToSubgraph(users, RevokeApiKeyDocument, { token: accessToken, variables: { id: keyId } });
      expect((await revoke(id)).body.data!.revokeApiKey).toBe(true);
      for (const keyId of [id, 'not-a-key-id'])
        expect((await revoke(keyId)).body.errors?.[0]?.extensions?.['code'], keyId).toBe('NOT_FOUND');
    });

    it("trades a key for a five-minute access token with the key's scopes, and records its use at most once a minute", async () => {
      const owner = await register(users, 'partner@example.com');
      const { key, apiKey } = (await createKey(owner.accessToken, 'CI bot', ['chat'])).body.data!.createApiKey;
      const lastUsedAt = async () =>
        (await postToSubgraph(users, MyApiKeysDocument, { token: owner.accessToken })).body.data!.me!.apiKeys[0]!.lastUsedAt;

      const traded = await trade(key);
      expect(traded.status).toBe(200);
      const claims = decodeJwt(traded.body['accessToken']!);
      expect(claims).toMatchObject({ sub: owner.user.id, scope: 'chat', akid: apiKey.id, roles: ['user'] });
      expect(claims.exp! - claims.iat!).toBe(300);
      expect(traded.body['expiresAt']).toBe(new Date(users.clock.millis() + 300_000).toISOString());
      const firstUse = users.clock.now().toISOString();
      expect(await lastUsedAt()).toBe(firstUse);

      users.clock.advance(30_000);
      expect((await trade(key)).status).toBe(200);
      expect(await lastUsedAt()).toBe(firstUse);
      users.clock.advance(31_000);
      expect((await trade(key)).status).toBe(200);
      expect(await lastUsedAt()).toBe(users.clock.now().toISOString());
    });

    it("trades keys for Parley's gateway only: a caller on the port without the internal credential is refused", async () => {
      const { accessToken } = await register(users, 'direct-trade@example.com');
      const { key } = (await createKey(accessToken, 'direct')).body.data!.createApiKey;
      const direct = await exchange({ method: 'POST', body: JSON.stringify({ key }) }, {});
      expect(direct.status).toBe(401);
      expect(((await direct.json()) as { error: string }).error).toBe('unauthenticated');
      const forged = await exchange({ method: 'POST', body: JSON.stringify({ key }) }, { 'x-parley-internal': 'x'.repeat(40) });
      expect(forged.status).toBe(403);
      expect((await trade(key)).status).toBe(200);
    });

    it('takes only a POST of {"key": …} at the exchange, and refuses a key it never issued with 401', async () => {
      const get = await exchange({ method: 'GET' });
      expect([get.status, await get.json()]).toEqual([
        405,
        { error: 'method_not_allowed', message: 'Use POST for /internal/api-key-token.' },
      ]);
      const noKey = await exchange({ method: 'POST', body: '{}' });
      expect([noKey.status, await noKey.json()]).toEqual([400, { error: 'bad_request', message: 'Send {"key": "<api key>"}.' }]);
      for (const key of ['not a key', `pk_${'0'.repeat(32)}_${'A'.repeat(43)}`]) {
        expect(await trade(key), key).toEqual({
          status: 401,
          body: { error: 'unauthenticated', message: 'This API key is not valid or was revoked.' },
        });
      }
    });
  });
});
