import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuthError, createSession } from '../../src/auth/session';

const user = { id: 'u1', email: 'ada@example.com', displayName: 'Ada', roles: ['user'] };

/** A gateway stand-in for the browser session routes: answers by path, records what was sent. */
function fakeAuthRoutes(answers: Record<string, () => Response>) {
  const calls: { path: string; init: RequestInit }[] = [];
  const fetch = async (input: string | URL | Request, init: RequestInit = {}) => {
    const path = String(input);
    calls.push({ path, init });
    const answer = answers[path.split('/').pop()!];
    return answer ? answer() : new Response('{}', { status: 404 });
  };
  return { calls, fetch: fetch as typeof globalThis.fetch };
}

const signedIn = (token: string, expiresInMs: number, now: number) =>
  new Response(JSON.stringify({ accessToken: token, expiresAt: new Date(now + expiresInMs).toISOString(), user }), {
    status: 200,
    headers: { 'content-type': 'application/json' },
  });

afterEach(() => vi.useRealTimers());

describe('the browser session', () => {
  it('signs in with the cookie routes, sending the CSRF header and the cookie, and keeps the access token in memory only', async () => {
    const now = Date.parse('2026-12-03T10:00:00Z');
    const routes = fakeAuthRoutes({ login: () => signedIn('access-1', 15 * 60_000, now) });
    const session = createSession({ fetch: routes.fetch, now: () => now });
    await session.login('ada@example.com', 'a long enough passphrase');
    expect(session.state()).toMatchObject({ status: 'signedIn', accessToken: 'access-1', user });
    expect(await session.accessToken()).toBe('access-1');
    const call = routes.calls[0]!;
    expect(call.path).toBe('/api/v1/auth/browser/login');
    expect(call.init.credentials).toBe('same-origin');
    expect(new Headers(call.init.headers).get('x-parley-client')).toBe('web');
    await session.logout();
  });

  it('renews the access token through the refresh cookie before it expires', async () => {
    vi.useFakeTimers();
    const start = Date.parse('2026-12-03T10:00:00Z');
    vi.setSystemTime(start);
    let issued = 0;
    const routes = fakeAuthRoutes({
      login: () => signedIn('access-0', 15 * 60_000, Date.now()),
      refresh: () => signedIn(`access-${++issued}`, 15 * 60_000, Date.now()),
    });
    const session = createSession({ fetch: routes.fetch });
    await session.login('ada@example.com', 'pw');
    await vi.advanceTimersByTimeAsync(14 * 60_000 + 1);
    expect(session.state()).toMatchObject({ status: 'signedIn', accessToken: 'access-1' });
    expect(routes.calls.map((c) => c.path.split('/').pop())).toEqual(['login', 'refresh']);
  });

  it('is signed out when the refresh cookie is refused', async () => {
    const routes = fakeAuthRoutes({
      refresh: () => new Response(JSON.stringify({ error: { code: 'UNAUTHENTICATED', message: 'ended' } }), { status: 401 }),
    });
    const session = createSession({ fetch: routes.fetch });
    await session.resume();
    expect(session.state().status).toBe('signedOut');
    expect(await session.accessToken()).toBeNull();
  });

  it('renews once for concurrent requests that found the token refused', async () => {
    let refreshes = 0;
    const routes = fakeAuthRoutes({ refresh: () => (refreshes++, signedIn('access-2', 15 * 60_000, Date.now())) });
    const session = createSession({ fetch: routes.fetch });
    await Promise.all([session.renew(), session.renew(), session.renew()]);
    expect(refreshes).toBe(1);
    await session.logout();
  });

  it('does not let a renewal that fails after a newer sign-in sign that one out', async () => {
    const now = Date.now();
    let answerRefresh: (response: Response) => void = () => {};
    const routes = fakeAuthRoutes({ login: () => signedIn('fresh', 15 * 60_000, now) });
    const fetch = (async (input: string | URL | Request, init?: RequestInit) =>
      String(input).endsWith('/refresh')
        ? new Promise<Response>((done) => (answerRefresh = done))
        : routes.fetch(input, init)) as typeof globalThis.fetch;
    const session = createSession({ fetch });
    const renewal = session.renew();
    await session.login('ada@example.com', 'new password');
    answerRefresh(new Response('{}', { status: 401 }));
    expect(await renewal).toBe('fresh');
    expect(session.state()).toMatchObject({ status: 'signedIn', accessToken: 'fresh' });
    await session.logout();
  });

  it('shows a browser that never signed in the sign-in page at once, without asking the gateway', async () => {
    const routes = fakeAuthRoutes({ login: () => signedIn('a', 15 * 60_000, Date.now()) });
    let remembered = false;
    const session = createSession({ fetch: routes.fetch, hint: { get: () => remembered, set: (value) => (remembered = value) } });
    await session.resume();
    expect(session.state().status).toBe('signedOut');
    expect(routes.calls).toEqual([]);
    await session.login('ada@example.com', 'pw');
    expect(remembered).toBe(true);
    await session.logout();
    expect(remembered).toBe(false);
  });

  it('reports a refused sign-in with the API code and message', async () => {
    const routes = fakeAuthRoutes({
      login: () =>
        new Response(JSON.stringify({ error: { code: 'UNAUTHENTICATED', message: 'Wrong e-mail or password.' } }), { status: 401 }),
    });
    const session = createSession({ fetch: routes.fetch });
    const error = await session.login('ada@example.com', 'wrong').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({ code: 'UNAUTHENTICATED', message: 'Wrong e-mail or password.' });
    expect(session.state().status).toBe('loading');
  });
});
