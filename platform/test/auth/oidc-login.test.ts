import type { Server } from 'node:http';
import { FinishOidcLoginDocument, IdentityProvidersDocument, MeDocument, StartOidcLoginDocument } from '@parley/client';
import { freePort, postGraphQL } from '@parley/testing';
import { registerUser } from '@parley/testing/parley-client';
import Provider from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatformUnderTest, type PlatformUnderTest } from '../../src/testing/platform-under-test';

const REDIRECT_URI = 'http://127.0.0.1:5173/auth/callback';

/** People known to the identity provider, by the login they type on its sign-in page. */
const people: Record<string, { email: string; verified: boolean; name: string }> = {
  grace: { email: 'grace@example.com', verified: true, name: 'Grace Hopper' },
  linus: { email: 'linus@example.com', verified: true, name: 'Linus' },
  mallory: { email: 'mallory@example.com', verified: false, name: 'Mallory' },
};

/**
 * Plays the browser: follows redirects with a cookie jar and submits the
 * provider's own sign-in and consent forms, until the provider redirects to
 * Parley's redirect URI; returns that URL.
 */
async function signInAtProvider(authorizationUrl: string, login: string): Promise<string> {
  const cookies = new Map<string, string>();
  let request: { url: string; init?: RequestInit } = { url: authorizationUrl };
  for (let step = 0; step < 20; step++) {
    const response = await fetch(request.url, {
      ...request.init,
      redirect: 'manual',
      headers: { ...(request.init?.headers as Record<string, string>), cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const [name, value] = pair!.split('=');
      cookies.set(name!.trim(), value ?? '');
    }
    const location = response.headers.get('location');
    if (location) {
      const next = new URL(location, request.url).href;
      if (next.startsWith(REDIRECT_URI)) return next;
      request = { url: next };
      continue;
    }
    const html = await response.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    if (!action) throw new Error(`The provider showed no form (status ${response.status}):\n${html.slice(0, 500)}`);
    const fields = new URLSearchParams();
    for (const [, name, value] of html.matchAll(/<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g))
      fields.set(name!, value!);
    if (html.includes('name="login"')) {
      fields.set('login', login);
      fields.set('password', 'any password: the development sign-in page accepts any');
    }
    request = {
      url: new URL(action.replaceAll('&amp;', '&'), request.url).href,
      init: { method: 'POST', body: fields.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } },
    };
  }
  throw new Error('The sign-in did not come back to the redirect URI');
}

describe('signing in with an external OpenID Connect provider', () => {
  let platform: PlatformUnderTest;
  let providerServer: Server;

  beforeAll(async () => {
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    const provider = new Provider(issuer, {
      clients: [
        {
          client_id: 'parley',
          client_secret: 'parley-client-secret',
          redirect_uris: [REDIRECT_URI],
          grant_types: ['authorization_code'],
          response_types: ['code'],
        },
      ],
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
      features: { devInteractions: { enabled: true } },
      pkce: { required: () => true },
      cookies: { keys: ['test-cookie-key'] },
      findAccount: async (_ctx, sub) => {
        const person = people[sub];
        if (!person) return undefined;
        return { accountId: sub, claims: async () => ({ sub, email: person.email, email_verified: person.verified, name: person.name }) };
      },
    });
    providerServer = provider.listen(port, '127.0.0.1');
    platform = await startPlatformUnderTest({
      settings: {
        OIDC_PROVIDERS: JSON.stringify([
          { id: 'corp', displayName: 'Corp SSO', issuer, clientId: 'parley', clientSecret: 'parley-client-secret' },
        ]),
      },
    });
  });

  afterAll(async () => {
    await platform?.stop();
    await new Promise((resolve) => providerServer?.close(resolve));
  });

  async function signIn(login: string) {
    const start = await postGraphQL(platform.url, StartOidcLoginDocument, { variables: { provider: 'corp', redirectUri: REDIRECT_URI } });
    expect(start.body.errors).toBeUndefined();
    const { authorizationUrl, state } = start.body.data!.startOidcLogin;
    const url = new URL(authorizationUrl);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('state')).toBe(state);
    expect(url.searchParams.get('nonce')).toBeTruthy();
    const callbackUrl = await signInAtProvider(authorizationUrl, login);
    return {
      callbackUrl,
      finish: () => postGraphQL(platform.url, FinishOidcLoginDocument, { variables: { provider: 'corp', callbackUrl } }),
    };
  }

  it('lists the configured providers', async () => {
    const { body } = await postGraphQL(platform.url, IdentityProvidersDocument);
    expect(body.data!.identityProviders).toEqual([{ id: 'corp', displayName: 'Corp SSO' }]);
  });

  it('creates an account for a new verified e-mail and signs it in (code flow with PKCE, state and nonce)', async () => {
    const { body } = await (await signIn('grace')).finish();
    expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
    const payload = body.data!.finishOidcLogin;
    expect(payload.user).toMatchObject({
      email: 'grace@example.com',
      displayName: 'Grace Hopper',
      linkedIdentities: [{ provider: 'corp', email: 'grace@example.com' }],
    });
    const me = await postGraphQL(platform.url, MeDocument, { token: payload.accessToken });
    expect(me.body.data!.me!.id).toBe(payload.user.id);
  });

  it('links the provider to an existing account with the same verified e-mail', async () => {
    const existingId = (await registerUser(platform.url, 'linus@example.com')).id;
    const { body } = await (await signIn('linus')).finish();
    expect(body.data!.finishOidcLogin.user.id).toBe(existingId);
    // And the next sign-in finds the link by the provider's subject.
    const again = await (await signIn('linus')).finish();
    expect(again.body.data!.finishOidcLogin.user.id).toBe(existingId);
  });

  it('refuses a callback replayed after the sign-in finished', async () => {
    const attempt = await signIn('grace');
    expect((await attempt.finish()).body.errors).toBeUndefined();
    const replay = await attempt.finish();
    expect(replay.body.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
    expect(replay.body.errors?.[0]?.message).toMatch(/already finished/);
  });

  it('refuses to link an e-mail the provider did not verify', async () => {
    const { body } = await (await signIn('mallory')).finish();
    expect(body.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    expect(body.errors?.[0]?.message).toMatch(/did not confirm a verified e-mail/);
  });

  it('answers an unknown provider with NOT_FOUND naming the configured ones', async () => {
    const { body } = await postGraphQL(platform.url, StartOidcLoginDocument, {
      variables: { provider: 'nope', redirectUri: REDIRECT_URI },
    });
    expect(body.errors?.[0]?.extensions?.['code']).toBe('NOT_FOUND');
    expect(body.errors?.[0]?.message).toMatch(/configured: corp/);
  });
});
