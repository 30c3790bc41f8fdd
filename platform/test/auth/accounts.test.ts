import {
  ChangePasswordDocument,
  CreateApiKeyDocument,
  LoginDocument,
  LogoutDocument,
  MeDocument,
  MyApiKeysDocument,
  MySessionsDocument,
  RefreshTokenDocument,
  RegisterDocument,
  RevokeApiKeyDocument,
  RevokeSessionDocument,
  RotateSigningKeyDocument,
  UpdateProfileDocument,
  UpdateSettingsDocument,
} from '@parley/client';
import { postGraphQL } from '@parley/testing';
import { PASSPHRASE, registerUser } from '@parley/testing/parley-client';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatformUnderTest, type PlatformUnderTest } from '../../src/testing/platform-under-test';

describe('accounts and sessions through the gateway', () => {
  let platform: PlatformUnderTest;
  let url: string;
  let n = 0;
  const email = () => `person${++n}-${Date.now()}@example.com`;
  const login = (address: string, password = PASSPHRASE, userAgent = 'test-agent/1') =>
    postGraphQL(url, LoginDocument, { variables: { email: address, password }, headers: { 'user-agent': userAgent } });
  /** A sign-in from another machine: the gateway takes the socket's address as the client's. */
  const loginFrom = (localAddress: string, address: string, password = PASSPHRASE) =>
    postGraphQL(url, LoginDocument, { variables: { email: address, password }, localAddress });
  const refreshes = async (refreshToken: string) =>
    (await postGraphQL(url, RefreshTokenDocument, { variables: { refreshToken } })).body.errors === undefined;

  beforeAll(async () => {
    platform = await startPlatformUnderTest({
      logLevel: 'debug',
      settings: {
        ADMIN_EMAILS: 'boss@example.com',
        LOGIN_ATTEMPTS_PER_ACCOUNT: '5',
        LOGIN_ATTEMPTS_PER_ACCOUNT_ALL_ADDRESSES: '12',
        REGISTRATIONS_PER_IP: '1000',
      },
    });
    url = platform.url;
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it('registers an account with a normalized e-mail and signs it in', async () => {
    const payload = await registerUser(url, '  New.Person@Example.COM ');
    expect(payload).toMatchObject({ email: 'new.person@example.com', displayName: 'new.person', roles: ['user'] });
    expect(payload.refreshToken).toMatch(/^rt_/);
    expect(new Date(payload.expiresAt).getTime() - Date.now()).toBeGreaterThan(14 * 60_000);
    const me = await postGraphQL(url, MeDocument, { token: payload.token });
    expect(me.body.data!.me!.email).toBe('new.person@example.com');
  });

  it.each([
    ['not-an-email', PASSPHRASE, 'email', /not a valid e-mail address/],
    ['short@example.com', 'short', 'password', /at least 10 characters/],
    ['common@example.com', 'password123', 'password', /too common/],
    ['same@example.com', 'same@example.com', 'password', /must not be your e-mail/],
  ])('refuses registering %s with BAD_USER_INPUT on %s, storing nothing', async (address, password, field, message) => {
    const { body } = await postGraphQL(url, RegisterDocument, { variables: { input: { email: address, password } } });
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(body.errors?.[0]?.message).toMatch(message);
    if (address.includes('@')) {
      const retry = await postGraphQL(url, RegisterDocument, { variables: { input: { email: address, password: PASSPHRASE } } });
      expect(retry.body.errors).toBeUndefined();
    }
  });

  it('refuses a second account for the same e-mail with a clear CONFLICT', async () => {
    const address = email();
    await registerUser(url, address);
    const { body } = await postGraphQL(url, RegisterDocument, {
      variables: { input: { email: address.toUpperCase(), password: PASSPHRASE } },
    });
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'email' });
    expect(body.errors?.[0]?.message).toMatch(/already exists; sign in instead/);
  });

  it('answers an unknown e-mail and a wrong password alike', async () => {
    const address = email();
    await registerUser(url, address);
    const wrong = await login(address, 'not the password');
    const unknown = await login(email(), 'not the password');
    for (const { body } of [wrong, unknown]) {
      expect(body.data?.login ?? null).toBeNull();
      expect(body.errors?.[0]).toMatchObject({ message: 'Incorrect e-mail or password.', extensions: { code: 'UNAUTHENTICATED' } });
    }
  });

  it('rotates the refresh token on every use and ends the session when an old one is replayed', async () => {
    const first = await registerUser(url, email());
    const refreshed = await postGraphQL(url, RefreshTokenDocument, { variables: { refreshToken: first.refreshToken } });
    const second = refreshed.body.data!.refreshToken;
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect((await postGraphQL(url, MeDocument, { token: second.accessToken })).body.data!.me!.id).toBe(first.id);

    const replay = await postGraphQL(url, RefreshTokenDocument, { variables: { refreshToken: first.refreshToken } });
    expect(replay.body.errors?.[0]).toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
    expect(replay.body.errors?.[0]?.message).toMatch(/already used, so the session was ended/);
    // The thief's copy and the owner's newest token die together.
    const afterReuse = await postGraphQL(url, RefreshTokenDocument, { variables: { refreshToken: second.refreshToken } });
    expect(afterReuse.body.errors?.[0]?.message).toMatch(/session has ended/);
  });

  it('ends the session on logout', async () => {
    const payload = await registerUser(url, email());
    const { body } = await postGraphQL(url, LogoutDocument, { variables: { refreshToken: payload.refreshToken } });
    expect(body.data!.logout).toBe(true);
    const refresh = await postGraphQL(url, RefreshTokenDocument, { variables: { refreshToken: payload.refreshToken } });
    expect(refresh.body.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
  });

  it('shows each signed-in device as a session that can be ended from another', async () => {
    const address = email();
    const laptop = await registerUser(url, address, { headers: { 'user-agent': 'Laptop Browser' } });
    const phone = (await login(address, PASSPHRASE, 'Phone App')).body.data!.login;
    const sessions = (await postGraphQL(url, MySessionsDocument, { token: phone.accessToken })).body.data!.me!.sessions;
    expect(sessions.map((s) => [s.userAgent, s.current])).toEqual([
      ['Phone App', true],
      ['Laptop Browser', false],
    ]);
    const laptopSession = sessions.find((s) => !s.current)!;
    const revoked = await postGraphQL(url, RevokeSessionDocument, { token: phone.accessToken, variables: { id: laptopSession.id } });
    expect(revoked.body.data!.revokeSession).toBe(true);
    const laptopRefresh = await postGraphQL(url, RefreshTokenDocument, { variables: { refreshToken: laptop.refreshToken } });
    expect(laptopRefresh.body.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
    const phoneRefresh = await postGraphQL(url, RefreshTokenDocument, { variables: { refreshToken: phone.refreshToken } });
    expect(phoneRefresh.body.errors).toBeUndefined();
  });

  it('ends every session when the password changes', async () => {
    const address = email();
    const one = await registerUser(url, address);
    const two = (await login(address)).body.data!.login;
    const changed = await postGraphQL(url, ChangePasswordDocument, {
      token: two.accessToken,
      variables: { currentPassword: PASSPHRASE, newPassword: 'an entirely new phrase' },
    });
    expect(changed.body.data!.changePassword).toBe(true);
    for (const session of [one, two]) {
      const refresh = await postGraphQL(url, RefreshTokenDocument, { variables: { refreshToken: session.refreshToken } });
      expect(refresh.body.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
    }
    expect((await login(address)).body.errors?.[0]?.message).toBe('Incorrect e-mail or password.');
    expect((await login(address, 'an entirely new phrase')).body.errors).toBeUndefined();
  });

  it('refuses a wrong current password without changing anything', async () => {
    const payload = await registerUser(url, email());
    const { body } = await postGraphQL(url, ChangePasswordDocument, {
      token: payload.token,
      variables: { currentPassword: 'wrong wrong wrong', newPassword: 'an entirely new phrase' },
    });
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'currentPassword' });
    expect((await login(payload.email)).body.errors).toBeUndefined();
  });

  it('limits wrong current passwords to five per account, then refuses even the right one, ending no session', async () => {
    // A stolen access token must not be a way to test guesses at the password without end.
    const laptop = await registerUser(url, email());
    const phone = (await login(laptop.email, PASSPHRASE, 'Phone')).body.data!.login;
    const change = (currentPassword: string, newPassword = 'an entirely new phrase') =>
      postGraphQL(url, ChangePasswordDocument, { token: laptop.token, variables: { currentPassword, newPassword } });
    // The right current password is no guess: a refused new password does not count.
    for (let i = 0; i < 3; i++) {
      expect((await change(PASSPHRASE, 'short')).body.errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'newPassword',
      });
    }
    for (let guess = 1; guess <= 5; guess++) {
      const { body } = await change(`wrong guess ${guess}`);
      expect(body.errors?.[0]?.extensions, `guess ${guess}`).toMatchObject({ code: 'BAD_USER_INPUT', field: 'currentPassword' });
    }
    const limited = (await change('wrong guess 6')).body.errors?.[0];
    expect(limited?.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
    expect(limited?.extensions?.['retryAfterSeconds']).toBeGreaterThan(0);
    expect(limited?.message).toMatch(/^Too many password change attempts for this account; try again in \d+ seconds\.$/);
    expect((await change(PASSPHRASE)).body.errors?.[0]?.extensions?.['code']).toBe('RATE_LIMITED');
    // Nothing changed: both sessions go on, and the password is the old one.
    expect(await refreshes(laptop.refreshToken)).toBe(true);
    expect(await refreshes(phone.refreshToken)).toBe(true);
    expect((await login(laptop.email)).body.errors).toBeUndefined();
  });

  it('updates settings with canonical BCP 47 tags and refuses what is not one', async () => {
    const { token: accessToken } = await registerUser(url, email());
    const updated = await postGraphQL(url, UpdateSettingsDocument, {
      token: accessToken,
      variables: { input: { preferredLanguage: 'zh-cn', defaultModel: 'dev/echo', autoTranslate: true } },
    });
    expect(updated.body.data!.updateSettings).toEqual({ preferredLanguage: 'zh-CN', defaultModel: 'dev/echo', autoTranslate: true });
    const bad = await postGraphQL(url, UpdateSettingsDocument, {
      token: accessToken,
      variables: { input: { preferredLanguage: 'not a language!' } },
    });
    expect(bad.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'preferredLanguage' });
    const profile = await postGraphQL(url, UpdateProfileDocument, {
      token: accessToken,
      variables: { input: { displayName: '  Ada L.  ' } },
    });
    expect(profile.body.data!.updateProfile.displayName).toBe('Ada L.');
    const anonymous = await postGraphQL(url, UpdateSettingsDocument, { variables: { input: { autoTranslate: false } } });
    expect(anonymous.body.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
  });

  it('gives partners API keys that work once shown, carry scopes, and stop when revoked', async () => {
    const owner = await registerUser(url, email());
    const created = await postGraphQL(url, CreateApiKeyDocument, {
      token: owner.token,
      variables: { name: 'CI bot', scopes: ['chat'] },
    });
    const { key, apiKey } = created.body.data!.createApiKey;
    expect(key).toMatch(/^pk_[0-9a-f]{32}_/);
    expect(apiKey).toMatchObject({ name: 'CI bot', scopes: ['chat'], lastUsedAt: null });
    const listed = await postGraphQL(url, MyApiKeysDocument, { token: owner.token });
    expect(listed.body.data!.me!.apiKeys).toEqual([{ id: apiKey.id, name: 'CI bot', scopes: ['chat'], lastUsedAt: null }]);
    expect(JSON.stringify(listed.body)).not.toContain(key.slice('pk_'.length + 32 + 1));

    const asKey = await postGraphQL(url, MeDocument, { token: key });
    expect(asKey.body.data!.me!.id).toBe(owner.id);
    const escalate = await postGraphQL(url, CreateApiKeyDocument, { token: key, variables: { name: 'another' } });
    expect(escalate.body.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');

    const badScope = await postGraphQL(url, CreateApiKeyDocument, {
      token: owner.token,
      variables: { name: 'x', scopes: ['admin'] },
    });
    expect(badScope.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'scopes' });
    expect(badScope.body.errors?.[0]?.message).toMatch(/choose from chat, models/);

    await postGraphQL(url, RevokeApiKeyDocument, { token: owner.token, variables: { id: apiKey.id } });
    const revoked = await postGraphQL(url, MeDocument, { token: key });
    expect(revoked.status).toBe(401);
    expect(revoked.body.errors?.[0]).toMatchObject({
      message: 'This API key is not valid or was revoked.',
      extensions: { code: 'UNAUTHENTICATED' },
    });
  });

  it('makes admins only from ADMIN_EMAILS and lets only them rotate signing keys, logging nobody out', async () => {
    const admin = await registerUser(url, 'boss@example.com');
    expect(admin.roles).toEqual(['user', 'admin']);
    const user = await registerUser(url, email());
    const refused = await postGraphQL(url, RotateSigningKeyDocument, { token: user.token });
    expect(refused.body.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');

    const oldKid = decodeProtectedHeader(user.token).kid;
    const rotated = await postGraphQL(url, RotateSigningKeyDocument, { token: admin.token });
    expect(rotated.body.data!.rotateSigningKey).toBe(true);
    // A token signed before the rotation still works everywhere…
    expect((await postGraphQL(url, MeDocument, { token: user.token })).body.data!.me!.id).toBe(user.id);
    // …and a new one is signed with the new key and works too.
    const fresh = (await postGraphQL(url, RefreshTokenDocument, { variables: { refreshToken: user.refreshToken } })).body.data!
      .refreshToken;
    expect(decodeProtectedHeader(fresh.accessToken).kid).not.toBe(oldKid);
    const me = await postGraphQL(url, MySessionsDocument, { token: fresh.accessToken });
    expect(me.body.errors).toBeUndefined();
    expect(me.body.data!.me!.id).toBe(user.id);
  });

  it('limits login attempts per account, and aliases do not buy extra attempts', async () => {
    const address = email();
    await registerUser(url, address);
    const aliases = Array.from(
      { length: 7 },
      (_, i) => `a${i}: login(email: "${address}", password: "wrong password ${i}") { accessToken }`,
    ).join('\n');
    const aliased = await postGraphQL(url, `mutation { ${aliases} }`);
    // Mutations run one after another and the first refusal ends the request: one attempt, counted.
    expect(aliased.body.errors?.map((e) => e.extensions?.['code'])).toEqual(['UNAUTHENTICATED']);
    for (let attempt = 2; attempt <= 5; attempt++) {
      expect((await login(address, `wrong again ${attempt}`)).body.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
    }
    const limited = (await login(address, 'wrong a sixth time')).body.errors?.[0];
    expect(limited?.extensions?.['code']).toBe('RATE_LIMITED');
    expect(limited?.extensions?.['retryAfterSeconds']).toBeGreaterThan(0);
    expect(limited?.message).toMatch(/Too many sign-in attempts for this account; try again in \d+ seconds/);
    // Even the right password waits out the window.
    expect((await login(address)).body.errors?.[0]?.extensions?.['code']).toBe('RATE_LIMITED');
  });

  it("locks out the guessing address only: the account's owner still signs in from another", async () => {
    const address = email();
    await registerUser(url, address);
    for (let guess = 1; guess <= 5; guess++) {
      const { body } = await loginFrom('127.0.0.2', address, `wrong guess ${guess}`);
      expect(body.errors?.[0]?.extensions?.['code'], `guess ${guess}`).toBe('UNAUTHENTICATED');
    }
    for (let guess = 6; guess <= 12; guess++) {
      const { body } = await loginFrom('127.0.0.2', address, `wrong guess ${guess}`);
      expect(body.errors?.[0]?.extensions?.['code'], `guess ${guess}`).toBe('RATE_LIMITED');
    }
    const attacker = (await loginFrom('127.0.0.2', address)).body.errors?.[0];
    expect(attacker?.extensions?.['code']).toBe('RATE_LIMITED');
    expect(attacker?.message).toMatch(/^Too many sign-in attempts for this account; try again in \d+ seconds\.$/);

    const owner = await loginFrom('127.0.0.3', address);
    expect(owner.body.errors).toBeUndefined();
    expect(owner.body.data!.login.user.email).toBe(address);
  });

  it('limits an account guessed at from many addresses, each under its own limit, across all of them', async () => {
    const address = email();
    await registerUser(url, address);
    // Twelve attempts across every address (this suite's setting): three addresses of four guesses, each under five.
    for (let guess = 0; guess < 12; guess++) {
      const { body } = await loginFrom(`127.0.1.${1 + Math.floor(guess / 4)}`, address, `wrong guess ${guess}`);
      expect(body.errors?.[0]?.extensions?.['code'], `guess ${guess + 1}`).toBe('UNAUTHENTICATED');
    }
    for (const from of ['127.0.1.4', '127.0.1.5']) {
      const refused = (await loginFrom(from, address)).body.errors?.[0];
      expect(refused?.extensions, from).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
      expect(refused?.message).toMatch(/^Too many sign-in attempts for this account from many addresses; try again in \d+ seconds\.$/);
    }
  });

  it('never writes a password or a token into the logs', async () => {
    const address = email();
    const secret = 'a secret that must not be logged';
    const payload = await registerUser(url, address, { password: secret });
    await login(address, secret);
    await postGraphQL(url, RefreshTokenDocument, { variables: { refreshToken: payload.refreshToken } });
    await postGraphQL(url, MeDocument, { token: payload.token });
    await postGraphQL(url, LoginDocument, { variables: { email: address, password: 'wrong but secret-ish 123' } });
    const text = platform.logs();
    expect(text.length).toBeGreaterThan(0);
    expect(text).not.toContain(secret);
    expect(text).not.toContain('wrong but secret-ish 123');
    expect(text).not.toContain(payload.refreshToken);
    expect(text).not.toContain(payload.token.split('.')[2]);
  });
});
