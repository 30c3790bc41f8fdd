import { request } from 'node:http';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type DocumentNode } from 'graphql';

export interface GraphQLResponse<T> {
  status: number;
  headers: Headers;
  body: { data?: T | null; errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[] };
}

/** Posts one operation the way a browser client would, and returns status, headers and body. */
export async function postGraphQL<T, V extends Record<string, unknown> = Record<string, never>>(
  url: string,
  document: TypedDocumentNode<T, V> | DocumentNode | string,
  {
    variables,
    token,
    headers = {},
    localAddress,
    signal,
  }: {
    variables?: V;
    token?: string;
    headers?: Record<string, string>;
    /** Send from this local address (e.g. 127.0.0.2), to act as another client machine. */
    localAddress?: string;
    /** Gives up on the request (e.g. `AbortSignal.timeout(ms)`): a client that will not wait forever. */
    signal?: AbortSignal;
  } = {},
): Promise<GraphQLResponse<T>> {
  const allHeaders = {
    'content-type': 'application/json',
    ...(token ? { authorization: `Bearer ${token}` } : {}),
    ...headers,
  };
  const payload = JSON.stringify({ query: typeof document === 'string' ? document : print(document), variables });
  if (localAddress) return postFrom(url, localAddress, allHeaders, payload, signal);
  const response = await fetch(url, { method: 'POST', headers: allHeaders, body: payload, ...(signal ? { signal } : {}) });
  return { status: response.status, headers: response.headers, body: (await response.json()) as GraphQLResponse<T>['body'] };
}

/** A subgraph's /graphql and the internal credential it wants, as a subgraph under test or a platform's gives them. */
export interface SubgraphDoor {
  url: string;
  internalHeaders: Record<string, string>;
}

/** `postGraphQL` to a subgraph as the gateway would: with the internal credential (and `headers` on top). */
export function postToSubgraph<T, V extends Record<string, unknown> = Record<string, never>>(
  door: SubgraphDoor,
  document: TypedDocumentNode<T, V> | DocumentNode | string,
  options: Parameters<typeof postGraphQL<T, V>>[2] = {},
): Promise<GraphQLResponse<T>> {
  return postGraphQL(door.url, document, { ...options, headers: { ...door.internalHeaders, ...options.headers } });
}

function postFrom<T>(
  url: string,
  localAddress: string,
  headers: Record<string, string>,
  payload: string,
  signal: AbortSignal | undefined,
): Promise<GraphQLResponse<T>> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        localAddress,
        headers,
        agent: false,
        ...(signal ? { signal } : {}),
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          const responseHeaders = new Headers();
          for (const [key, value] of Object.entries(res.headers)) if (typeof value === 'string') responseHeaders.set(key, value);
          resolve({ status: res.statusCode ?? 0, headers: responseHeaders, body: JSON.parse(text) as GraphQLResponse<T>['body'] });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
