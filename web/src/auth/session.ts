/**
 * The signed-in session as the browser holds it. The refresh token lives in
 * an httpOnly cookie scoped to the gateway's /api/v1/auth/browser routes, so
 * no script of the page can read it; the access token lives only in memory,
 * and is renewed through that cookie shortly before it expires, when the page
 * loads and whenever the graph says it is no longer valid.
 */

const AUTH_BASE = '/api/v1/auth/browser';
/** Renew this long before the access token expires, so no request goes out with a token about to lapse. */
const RENEW_BEFORE_MS = 60_000;

export interface SessionUser {
  id: string;
  email: string;
  displayName: string;
  roles: string[];
}

export interface SignedIn {
  accessToken: string;
  expiresAt: string;
  user: SessionUser;
}

export type SessionState = { status: 'loading' } | { status: 'signedOut'; reason?: string } | ({ status: 'signedIn' } & SignedIn);

/** What an auth route refused, with the API's stable code and its message for people. */
export class AuthError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

export interface Session {
  state(): SessionState;
  subscribe(listener: () => void): () => void;
  /** The current access token, renewed first if it is about to expire; null when signed out. */
  accessToken(): Promise<string | null>;
  /** Tries the refresh cookie (on page load): signed in if the browser still holds a live session. */
  resume(): Promise<void>;
  register(input: { email: string; password: string; displayName?: string }): Promise<void>;
  login(email: string, password: string): Promise<void>;
  finishOidc(provider: string, callbackUrl: string): Promise<void>;
  /** After the graph refused the token (UNAUTHENTICATED): renew once, or sign out. */
  renew(): Promise<string | null>;
  logout(): Promise<void>;
  /** The session ended elsewhere (password change, revoked): forget it locally. */
  ended(reason?: string): void;
}

/**
 * Whether this browser was signed in when it last looked: not a credential (the cookie is), only a hint that
 * saves a first-time visitor a refresh request that must fail, so the sign-in page shows at once.
 */
export interface SessionHint {
  get(): boolean;
  set(signedIn: boolean): void;
}

const HINT_KEY = 'parley.signedIn';
export const localStorageHint: SessionHint = {
  get: () => {
    try {
      return window.localStorage.getItem(HINT_KEY) === '1';
    } catch {
      return true; // storage unavailable: ask the gateway
    }
  },
  set: (signedIn) => {
    try {
      if (signedIn) window.localStorage.setItem(HINT_KEY, '1');
      else window.localStorage.removeItem(HINT_KEY);
    } catch {
      // private mode: the hint is only an optimisation
    }
  },
};
const alwaysAsk: SessionHint = { get: () => true, set: () => {} };

export function createSession({
  fetch: doFetch = globalThis.fetch.bind(globalThis),
  now = () => Date.now(),
  hint = alwaysAsk,
}: { fetch?: typeof fetch; now?: () => number; hint?: SessionHint } = {}): Session {
  let state: SessionState = { status: 'loading' };
  const listeners = new Set<() => void>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let renewing: Promise<string | null> | undefined;
  /** Counts sign-ins and sign-outs, so a renewal that fails after a newer sign-in does not sign that one out. */
  let generation = 0;

  const set = (next: SessionState) => {
    state = next;
    if (next.status !== 'loading') hint.set(next.status === 'signedIn');
    generation++;
    clearTimeout(timer);
    if (next.status === 'signedIn') {
      const delay = Math.max(0, Date.parse(next.expiresAt) - now() - RENEW_BEFORE_MS);
      timer = setTimeout(() => void renew(), delay);
    }
    for (const listener of listeners) listener();
  };

  const post = async (path: string, body?: unknown): Promise<Response> =>
    doFetch(`${AUTH_BASE}/${path}`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'x-parley-client': 'web' },
      body: body === undefined ? '{}' : JSON.stringify(body),
    });

  const signIn = async (path: string, body?: unknown) => {
    const response = await post(path, body);
    if (!response.ok) throw await authError(response);
    const signedIn = (await response.json()) as SignedIn;
    set({ status: 'signedIn', ...signedIn });
  };

  const renew = (): Promise<string | null> =>
    (renewing ??= (async () => {
      const startedAt = generation;
      try {
        const response = await post('refresh');
        if (generation !== startedAt) return state.status === 'signedIn' ? state.accessToken : null;
        if (!response.ok) {
          set({ status: 'signedOut' });
          return null;
        }
        const signedIn = (await response.json()) as SignedIn;
        set({ status: 'signedIn', ...signedIn });
        return signedIn.accessToken;
      } catch {
        // Offline: keep what we have, the next request tries again.
        return state.status === 'signedIn' ? state.accessToken : null;
      } finally {
        renewing = undefined;
      }
    })());

  return {
    state: () => state,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async accessToken() {
      if (state.status !== 'signedIn') return renewing ? renewing : null;
      if (Date.parse(state.expiresAt) - now() < RENEW_BEFORE_MS / 2) return renew();
      return state.accessToken;
    },
    async resume() {
      if (!hint.get()) return set({ status: 'signedOut' });
      await renew();
    },
    register: (input) => signIn('register', input),
    login: (email, password) => signIn('login', { email, password }),
    finishOidc: (provider, callbackUrl) => signIn('oidc', { provider, callbackUrl }),
    renew,
    async logout() {
      try {
        await post('logout');
      } finally {
        set({ status: 'signedOut' });
      }
    },
    ended(reason) {
      set(reason ? { status: 'signedOut', reason } : { status: 'signedOut' });
    },
  };
}

async function authError(response: Response): Promise<AuthError> {
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string; retryAfterSeconds?: number } };
    return new AuthError(body.error?.code ?? 'UNKNOWN', body.error?.message ?? response.statusText, body.error?.retryAfterSeconds);
  } catch {
    return new AuthError('UNAVAILABLE', `The server answered ${response.status}. Try again in a moment.`);
  }
}
