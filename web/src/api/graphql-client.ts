import { cacheExchange } from '@urql/exchange-graphcache';
import { Client, fetchExchange, subscriptionExchange } from 'urql';
import { createClient as createSocketClient, type Client as SocketClient } from 'graphql-ws';
import type { Session } from '../auth/session';
import { cacheConfig } from './cache-config';

/** The socket closes with this code when its token is refused; graphql-ws retries, and the retry presents a renewed token. */
const FORBIDDEN_CLOSE = 4403;

export interface ParleyClients {
  /** Queries and mutations over HTTP through the normalized cache. */
  graph: Client;
  /** The graphql-ws socket: subscriptions (reply streams) bypass the cache, see stream/stream-store.ts. */
  socket: SocketClient;
}

/**
 * urql with graphcache: the normalized cache keeps a renamed conversation or
 * a finished reply the same object on every screen, and urql with graphcache
 * is about a third of Apollo Client's size in the bundle. Every request
 * carries the session's in-memory access token; a refused token is renewed
 * once through the refresh cookie and the request sent again.
 */
export function createParleyClients(session: Session, { origin = window.location.origin } = {}): ParleyClients {
  const socket = createSocketClient({
    url: `${origin.replace(/^http/, 'ws')}/graphql`,
    lazy: true,
    keepAlive: 15_000,
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
    // Back off up to 10 s, with jitter, so a restarted gateway is not met by every tab at once.
    retryWait: (retries) => new Promise((done) => setTimeout(done, Math.min(10_000, 500 * 2 ** retries) * (0.5 + Math.random() / 2))),
    connectionParams: async () => {
      const token = await session.accessToken();
      return token ? { authorization: `Bearer ${token}` } : {};
    },
    on: {
      closed: (event) => {
        if ((event as CloseEvent | undefined)?.code === FORBIDDEN_CLOSE) void session.renew();
      },
    },
  });

  const authorizedFetch: typeof fetch = async (input, init) => {
    const send = async (token: string | null) => {
      const headers = new Headers(init?.headers);
      if (token) headers.set('authorization', `Bearer ${token}`);
      return fetch(input, { ...init, headers });
    };
    const response = await send(await session.accessToken());
    if (!(await isUnauthenticated(response))) return response;
    const renewed = await session.renew();
    return renewed ? send(renewed) : response;
  };

  const graph = new Client({
    url: `${origin}/graphql`,
    fetch: authorizedFetch,
    preferGetMethod: false,
    requestPolicy: 'cache-and-network',
    exchanges: [
      cacheExchange(cacheConfig),
      fetchExchange,
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({ unsubscribe: socket.subscribe({ ...request, query: request.query ?? '' }, sink) }),
        }),
      }),
    ],
  });
  return { graph, socket };
}

async function isUnauthenticated(response: Response): Promise<boolean> {
  if (response.status === 401) return true;
  if (!response.headers.get('content-type')?.includes('json')) return false;
  try {
    const body = (await response.clone().json()) as { errors?: { extensions?: { code?: string } }[] };
    return body.errors?.some((error) => error.extensions?.code === 'UNAUTHENTICATED') ?? false;
  } catch {
    return false;
  }
}
