import { MeDocument, StartOidcLoginDocument } from '@parley/client';
import { postGraphQL } from '@parley/testing';
import { PASSPHRASE } from '@parley/testing/parley-client';
import { callRest, originOf, type RestResponse } from '@parley/testing/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatformUnderTest, type PlatformUnderTest } from '../../src/testing/platform-under-test';
import { OIDC_REDIRECT_URI, startTestOidcProvider, type TestOidcProvider } from '../support/test-oidc-provider';

const PATH = '/api/v1/auth/browser';
/** 30 days: the users service's REFRESH_IDLE_DAYS default. */
const REFRESH_LIFETIME_SECONDS = 30 * 24 * 60 * 60;
/** An origin CORS_ORIGINS allows: its pages may call the API cross-origin, but never hold a browser session. */
const PARTNER_ORIGIN = 'https://partner.example';

interface SetCookie {
  value: string;
  /** Lower-cased attribute names, with their values ('' for a flag). */
  attributes: Record<string, string>;
}

/** The parley_refresh cookie an answer sets (expected exactly once), or null when it sets none. */
function refreshCookieSet(response: RestResponse): SetCookie | null {
  const lines = response.headers.getSetCookie().filter((line) => line.startsWith('parley_refresh='));
  if (lines.length === 0) return null;
  expect(lines).toHaveLength(1);
  const [pair, ...attributes] = lines[0]!.split(';').map((part) => part.trim());
  return {
    value: pair!.slice('parley_refresh='.length),
    attributes: Object.fromEntries(
      attributes.map((attribute) => {
        const [name, value = ''] = attribute.split('=');
        return [name!.toLowerCase(), value];
      }),
    ),
  };
}

/** The cookie a browser would keep from an answer: its value, checked to be the session cookie and not a clearing one. */
function keptCookie(response: RestResponse): string {
  const cookie = refreshCookieSet(response);
  expect(cookie?.attributes['max-age']).toBe(String(REFRESH_LIFETIME_SECONDS));
  expect(cookie!.value).not.toBe('');
  return cookie!.value;
}

function expectCleared(response: RestResponse): void {
  const cookie = refreshCookieSet(response);
  expect(cookie).toEqual({
    value: '',
    attributes: { httponly: '', secure: '', samesite: 'Strict', path: PATH, 'max-age': '0' },
  });
}

describe('the browser session at the gateway: the refresh token in an HttpOnly cookie, never in a body', () => {
  let platform: PlatformUnderTest;
  let origin: string;
  let provider: TestOidcProvider;
  let n = 0;
  const email = () => `browser${++n}-${Date.now()}@example.com`;

  /** A POST as the web client's page sends it: same origin (a browser's Origin), `x-parley-client: web`, and the cookie it holds. */
  const browser = <T = any>(
    route: string,
    { body, cookie, headers = {} }: { body?: unknown; cookie?: string; headers?: Record<string, string> } = {},
  ) =>
    callRest<T>(origin, 'POST', `${PATH}/${route}`, {
      ...(body !== undefined ? { body } : {}),
      headers: { origin, 'x-parley-client': 'web', ...(cookie !== undefined ? { cookie: `parley_refresh=${cookie}` } : {}), ...headers },
    });
  const register = async (address = email()) => {
    const response = await browser('register', { body: { email: address, password: PASSPHRASE } });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    return { response, cookie: keptCookie(response), accessToken: response.body.accessToken as string, email: address };
  };
  const meWith = async (token: string) => (await postGraphQL(platform.url, MeDocument, { token })).body;

  beforeAll(async () => {
    provider = await startTestOidcProvider({ ada: { email: 'ada@example.com', verified: true, name: 'Ada Lovelace' } });
    platform = await startPlatformUnderTest({
      settings: { REGISTRATIONS_PER_IP: '1000', OIDC_PROVIDERS: provider.providersSetting, CORS_ORIGINS: PARTNER_ORIGIN },
    });
    origin = originOf(platform.url);
  }, 120_000);
  afterAll(async () => {
    await platform?.stop();
    await provider?.close();
  });

  describe('signing in', () => {
    it('register answers the access token and the user, and sets the refresh token as an HttpOnly, Secure, SameSite=Strict cookie scoped to the browser routes', async () => {
      const address = email();
      const response = await browser('register', { body: { email: address, password: PASSPHRASE, displayName: 'Browser Person' } });
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.body).toEqual({
        accessToken: expect.any(String),
        expiresAt: expect.any(String),
        user: { id: expect.any(String), email: address, displayName: 'Browser Person', roles: ['user'] },
      });
      const cookie = refreshCookieSet(response)!;
      expect(cookie.attributes).toEqual({
        httponly: '',
        secure: '',
        samesite: 'Strict',
        path: PATH,
        'max-age': String(REFRESH_LIFETIME_SECONDS),
      });
      expect(cookie.value).toMatch(/^rt_[\w-]+$/);
      // Nowhere in the body, under any name.
      expect(JSON.stringify(response.body)).not.toContain(cookie.value);
    });

    it('the access token it answers works on /graphql', async () => {
      const { response, accessToken } = await register();
      expect((await meWith(accessToken)).data?.me).toMatchObject({ id: response.body.user.id });
    });

    it('login answers a new session the same way', async () => {
      const { email: address } = await register();
      const response = await browser('login', { body: { email: address, password: PASSPHRASE } });
      expect(response.status).toBe(200);
      expect(Object.keys(response.body).sort()).toEqual(['accessToken', 'expiresAt', 'user']);
      keptCookie(response);
      expect((await meWith(response.body.accessToken)).data?.me?.email).toBe(address);
    });

    it('login with a wrong password gives the normal 401 UNAUTHENTICATED and sets no cookie', async () => {
      const { email: address } = await register();
      const response = await browser('login', { body: { email: address, password: 'not the password' } });
      expect(response.status).toBe(401);
      expect(response.body).toEqual({ error: { code: 'UNAUTHENTICATED', message: expect.any(String) } });
      expect(response.headers.getSetCookie()).toEqual([]);
    });

    it('refuses a body without the fields it needs with 400 BAD_USER_INPUT naming the field, and sets no cookie', async () => {
      const response = await browser('login', { body: { email: 'someone@example.com' } });
      expect(response.status).toBe(400);
      expect(response.body.error).toEqual({ code: 'BAD_USER_INPUT', message: '"password" is required (string).', field: 'password' });
      expect(response.headers.getSetCookie()).toEqual([]);
    });

    it('refuses a body over the REST limit with 413 PAYLOAD_TOO_LARGE', async () => {
      const response = await browser('register', { body: { email: email(), password: 'x'.repeat(1_100_000) } });
      expect(response.status).toBe(413);
      expect(response.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    });

    it('oidc finishes a sign-in with an external provider (finishOidcLogin) and sets the cookie', async () => {
      const start = await postGraphQL(platform.url, StartOidcLoginDocument, {
        variables: { provider: 'corp', redirectUri: OIDC_REDIRECT_URI },
      });
      expect(start.body.errors).toBeUndefined();
      const callbackUrl = await provider.signIn(start.body.data!.startOidcLogin.authorizationUrl, 'ada');

      const response = await browser('oidc', { body: { provider: 'corp', callbackUrl } });
      expect(response.status, JSON.stringify(response.body)).toBe(200);
      expect(response.body).toEqual({
        accessToken: expect.any(String),
        expiresAt: expect.any(String),
        user: { id: expect.any(String), email: 'ada@example.com', displayName: 'Ada Lovelace', roles: ['user'] },
      });
      const cookie = keptCookie(response);
      // The session it started refreshes like any other.
      const refreshed = await browser('refresh', { cookie });
      expect(refreshed.status).toBe(200);
      expect(refreshed.body.user.email).toBe('ada@example.com');
    });

    it('oidc refuses a callback replayed after the sign-in finished, and sets no cookie', async () => {
      const start = await postGraphQL(platform.url, StartOidcLoginDocument, {
        variables: { provider: 'corp', redirectUri: OIDC_REDIRECT_URI },
      });
      const callbackUrl = await provider.signIn(start.body.data!.startOidcLogin.authorizationUrl, 'ada');
      expect((await browser('oidc', { body: { provider: 'corp', callbackUrl } })).status).toBe(200);

      const replay = await browser('oidc', { body: { provider: 'corp', callbackUrl } });
      expect(replay.status).toBe(401);
      expect(replay.body.error.code).toBe('UNAUTHENTICATED');
      expect(replay.headers.getSetCookie()).toEqual([]);
    });
  });

  describe('refreshing', () => {
    it('refresh with only the cookie rotates it: a new cookie and a new access token, for the same user', async () => {
      const first = await register();
      const refreshed = await browser('refresh', { cookie: first.cookie });
      expect(refreshed.status).toBe(200);
      expect(refreshed.body).toEqual({ accessToken: expect.any(String), expiresAt: expect.any(String), user: first.response.body.user });
      const next = keptCookie(refreshed);
      expect(next).not.toBe(first.cookie);
      expect(refreshed.body.accessToken).not.toBe(first.accessToken);
      expect(JSON.stringify(refreshed.body)).not.toContain(next);
      expect((await meWith(refreshed.body.accessToken)).data?.me?.id).toBe(first.response.body.user.id);
      // And the new cookie rotates in turn.
      expect((await browser('refresh', { cookie: next })).status).toBe(200);
    });

    it('the old cookie is then refused as reuse, with 401 and the cookie cleared, and the whole session ends', async () => {
      const first = await register();
      const next = keptCookie(await browser('refresh', { cookie: first.cookie }));

      const reused = await browser('refresh', { cookie: first.cookie });
      expect(reused.status).toBe(401);
      expect(reused.body).toEqual({ error: { code: 'UNAUTHENTICATED', message: expect.stringMatching(/already used/) } });
      expectCleared(reused);
      // Reuse means a copy is about: the newest cookie of that session is no good either.
      const after = await browser('refresh', { cookie: next });
      expect(after.status).toBe(401);
      expectCleared(after);
    });

    it('refresh without a cookie is 401 UNAUTHENTICATED, saying so, and clears the cookie', async () => {
      const response = await browser('refresh');
      expect(response.status).toBe(401);
      expect(response.body.error).toEqual({
        code: 'UNAUTHENTICATED',
        message: expect.stringMatching(/parley_refresh cookie was not sent/),
      });
      expectCleared(response);
    });

    it('refresh with a cookie that is no refresh token is 401 and clears it', async () => {
      const response = await browser('refresh', { cookie: 'rt_not-a-real-token' });
      expect(response.status).toBe(401);
      expect(response.body.error.code).toBe('UNAUTHENTICATED');
      expectCleared(response);
    });

    it('reads no Authorization header: a stale access token sent along does not get a refresh refused', async () => {
      const { cookie } = await register();
      const response = await browser('refresh', { cookie, headers: { authorization: 'Bearer not-a-valid-access-token' } });
      expect(response.status).toBe(200);
      keptCookie(response);
    });
  });

  describe('signing out', () => {
    it('logout ends the session: 204, the cookie cleared, and a refresh with it refused afterwards', async () => {
      const { cookie } = await register();
      const signedOut = await browser('logout', { cookie });
      expect(signedOut.status).toBe(204);
      expect(signedOut.body).toBeUndefined();
      expectCleared(signedOut);

      const after = await browser('refresh', { cookie });
      expect(after.status).toBe(401);
      expect(after.body.error).toEqual({ code: 'UNAUTHENTICATED', message: expect.stringMatching(/session has ended/) });
      expectCleared(after);
    });

    it('logout answers 204 and clears the cookie even when there was no cookie, or one of an ended session', async () => {
      const without = await browser('logout');
      expect(without.status).toBe(204);
      expectCleared(without);
      const unknown = await browser('logout', { cookie: 'rt_not-a-real-token' });
      expect(unknown.status).toBe(204);
      expectCleared(unknown);
    });
  });

  describe('cross-site request forgery', () => {
    it('refuses a request without `x-parley-client: web` with 403 FORBIDDEN, before doing anything', async () => {
      const address = email();
      const refused = await callRest(origin, 'POST', `${PATH}/register`, {
        body: { email: address, password: PASSPHRASE },
        headers: { origin },
      });
      expect(refused.status).toBe(403);
      expect(refused.body).toEqual({
        error: { code: 'FORBIDDEN', message: expect.stringContaining('x-parley-client: web'), reason: 'web_client_header_missing' },
      });
      expect(refused.headers.getSetCookie()).toEqual([]);
      // Nothing was done: the address is still free.
      await register(address);
    });

    it('refuses every browser route without the header, whatever else the request has', async () => {
      const { cookie } = await register();
      for (const route of ['register', 'login', 'oidc', 'refresh', 'logout']) {
        const refused = await callRest(origin, 'POST', `${PATH}/${route}`, {
          body: {},
          headers: { origin, cookie: `parley_refresh=${cookie}`, 'x-parley-client': 'something-else' },
        });
        expect({ route, status: refused.status, reason: refused.body.error.reason }).toEqual({
          route,
          status: 403,
          reason: 'web_client_header_missing',
        });
      }
      // Neither the refused refresh nor the refused logout touched the session.
      expect((await browser('refresh', { cookie })).status).toBe(200);
    });

    it('refuses a request with a foreign Origin with 403 FORBIDDEN naming both origins, and leaves the session alone', async () => {
      const { cookie, email: address } = await register();
      const login = await browser('login', { body: { email: address, password: PASSPHRASE }, headers: { origin: 'https://evil.example' } });
      expect(login.status).toBe(403);
      expect(login.body.error).toEqual({
        code: 'FORBIDDEN',
        message: expect.stringContaining('https://evil.example'),
        reason: 'foreign_origin',
      });
      expect(login.body.error.message).toContain(origin);
      expect(login.headers.getSetCookie()).toEqual([]);

      // Same host, other scheme or port: another origin too.
      for (const foreign of [origin.replace(/^http:/, 'https:'), origin.replace(/:(\d+)$/, (_, port) => `:${Number(port) + 1}`), 'null']) {
        const refresh = await browser('refresh', { cookie, headers: { origin: foreign } });
        expect({ foreign, status: refresh.status, reason: refresh.body.error.reason }).toEqual({
          foreign,
          status: 403,
          reason: 'foreign_origin',
        });
        expect(refresh.headers.getSetCookie()).toEqual([]);
      }
      const logout = await browser('logout', { cookie, headers: { origin: 'https://evil.example' } });
      expect(logout.status).toBe(403);
      // The session is still there and its cookie unused.
      expect((await browser('refresh', { cookie })).status).toBe(200);
    });

    it('accepts a request of the web client that carries no Origin (the header alone is then the check)', async () => {
      const { cookie } = await register();
      const response = await callRest(origin, 'POST', `${PATH}/refresh`, {
        headers: { 'x-parley-client': 'web', cookie: `parley_refresh=${cookie}` },
      });
      expect(response.status).toBe(200);
    });
  });

  describe('HTTP', () => {
    it('answers POST only: another method is 405 with Allow', async () => {
      const response = await callRest(origin, 'GET', `${PATH}/refresh`, { headers: { 'x-parley-client': 'web' } });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('POST');
      expect(response.body.error.code).toBe('METHOD_NOT_ALLOWED');
    });

    it('goes through the edge protection of every route: rate limits reported in RateLimit-* headers', async () => {
      const response = await browser('refresh');
      expect(Number(response.headers.get('ratelimit-limit'))).toBeGreaterThan(0);
      expect(response.headers.get('ratelimit-remaining')).not.toBeNull();
    });

    it('grants no cross-origin preflight for the client header, even to an origin CORS_ORIGINS allows, and refuses that origin itself', async () => {
      const preflight = await fetch(`${origin}${PATH}/refresh`, {
        method: 'OPTIONS',
        headers: { origin: PARTNER_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-parley-client' },
      });
      expect(preflight.headers.get('access-control-allow-origin')).toBe(PARTNER_ORIGIN);
      expect(preflight.headers.get('access-control-allow-headers')).not.toMatch(/x-parley-client/i);
      // A page there that got the header through anyway is still not this origin.
      const { cookie } = await register();
      const refused = await browser('refresh', { cookie, headers: { origin: PARTNER_ORIGIN } });
      expect(refused.status).toBe(403);
      expect(refused.body.error.reason).toBe('foreign_origin');
    });
  });
});
