import { FinishOidcLoginDocument, IdentityProvidersDocument, MeDocument, StartOidcLoginDocument } from '@parley/client';
import { postGraphQL } from '@parley/testing';
import { registerUser } from '@parley/testing/parley-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatformUnderTest, type PlatformUnderTest } from '../../src/testing/platform-under-test';
import { OIDC_REDIRECT_URI as REDIRECT_URI, startTestOidcProvider, type TestOidcProvider } from '../support/test-oidc-provider';

/** People known to the identity provider, by the login they type on its sign-in page. */
const people = {
  grace: { email: 'grace@example.com', verified: true, name: 'Grace Hopper' },
  linus: { email: 'linus@example.com', verified: true, name: 'Linus' },
  mallory: { email: 'mallory@example.com', verified: false, name: 'Mallory' },
};

describe('signing in with an external OpenID Connect provider', () => {
  let platform: PlatformUnderTest;
  let provider: TestOidcProvider;

  beforeAll(async () => {
    provider = await startTestOidcProvider(people);
    platform = await startPlatformUnderTest({ settings: { OIDC_PROVIDERS: provider.providersSetting } });
  });

  afterAll(async () => {
    await platform?.stop();
    await provider?.close();
  });

  async function signIn(login: string) {
    const start = await postGraphQL(platform.url, StartOidcLoginDocument, { variables: { provider: 'corp', redirectUri: REDIRECT_URI } });
    expect(start.body.errors).toBeUndefined();
    const { authorizationUrl, state } = start.body.data!.startOidcLogin;
    const url = new URL(authorizationUrl);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('state')).toBe(state);
    expect(url.searchParams.get('nonce')).toBeTruthy();
    const callbackUrl = await provider.signIn(authorizationUrl, login);
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
