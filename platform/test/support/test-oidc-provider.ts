import { freePort } from '@parley/testing';
import Provider from 'oidc-provider';

/** Where the provider sends the browser back to: the web client's callback page (Vite's development server). */
export const OIDC_REDIRECT_URI = 'http://127.0.0.1:5173/auth/callback';

/** Someone the identity provider knows, by the login they type on its sign-in page. */
export interface ProviderPerson {
  email: string;
  verified: boolean;
  name: string;
}

export interface TestOidcProvider {
  issuer: string;
  /** `OIDC_PROVIDERS` for the users service: this provider as `corp` ("Corp SSO"). */
  providersSetting: string;
  /**
   * Plays the browser at the provider: follows redirects with a cookie jar and submits its own sign-in and consent
   * forms as `login`, until it redirects to `OIDC_REDIRECT_URI`; returns that URL (the callback URL to finish with).
   */
  signIn(authorizationUrl: string, login: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * A real OpenID Connect provider (oidc-provider, its development sign-in
 * pages: any password is accepted) on a free local port, with Parley
 * registered as the confidential client `parley` and PKCE required.
 */
export async function startTestOidcProvider(
  people: Record<string, ProviderPerson>,
  /** Where the provider may send the browser back to (a browser suite's own web client origin). */
  { redirectUris = [OIDC_REDIRECT_URI] }: { redirectUris?: string[] } = {},
): Promise<TestOidcProvider> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'parley',
        client_secret: 'parley-client-secret',
        redirect_uris: redirectUris,
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
  const server = provider.listen(port, '127.0.0.1');
  return {
    issuer,
    providersSetting: JSON.stringify([
      { id: 'corp', displayName: 'Corp SSO', issuer, clientId: 'parley', clientSecret: 'parley-client-secret' },
    ]),
    signIn: (authorizationUrl, login) => signInAtProvider(authorizationUrl, login),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

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
      if (next.startsWith(OIDC_REDIRECT_URI)) return next;
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
