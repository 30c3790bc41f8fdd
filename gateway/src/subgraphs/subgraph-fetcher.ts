import { UpstreamUnavailableError } from '@parley/errors';
import type { Fetcher, FetcherRequestInit, FetcherResponse } from '@apollo/utils.fetcher';
import { Response } from 'node-fetch';

interface Captured {
  status: number;
  statusText: string;
  headers: [string, string][];
  body: string;
}

// Apollo's data source serializes `query` first; plan fetches of queries start with "query" or "{", never "mutation".
const READ_ONLY_FETCH = /^\{"query":"(?:query\b|\{)/;

function authorizationOf(init: FetcherRequestInit | undefined): string {
  const headers = init?.headers as unknown;
  if (!headers) return '';
  if (typeof (headers as { get?: unknown }).get === 'function')
    return (headers as { get(name: string): string | null }).get('authorization') ?? '';
  return (headers as Record<string, string>)['authorization'] ?? '';
}

/**
 * Every subgraph request the gateway makes: bounded by `timeoutMs` with an
 * AbortSignal (Apollo Gateway sets none, so a hanging subgraph would hang the
 * request), and identical in-flight read-only fetches — same subgraph, same
 * caller, same body — share one request. Mutations are never shared: each must
 * run. A timeout becomes UPSTREAM_UNAVAILABLE naming the subgraph, for the
 * fields it serves; the rest of the answer still arrives.
 */
export function createSubgraphFetcher({
  fetcher,
  timeoutMs,
  subgraphNameOf,
}: {
  fetcher: Fetcher;
  timeoutMs: number;
  subgraphNameOf: (url: string) => string;
}): Fetcher & { inFlight(): number } {
  const inFlight = new Map<string, Promise<Captured>>();

  async function send(url: string, init: FetcherRequestInit | undefined): Promise<Captured> {
    const signal = AbortSignal.timeout(timeoutMs);
    let response: FetcherResponse;
    try {
      response = await fetcher(url, { ...init, signal } as FetcherRequestInit);
      const body = await response.text();
      return { status: response.status, statusText: response.statusText, headers: [...response.headers], body };
    } catch (error) {
      if (signal.aborted) {
        throw new UpstreamUnavailableError(
          `The ${subgraphNameOf(url)} service did not answer within ${timeoutMs} ms; its part of the answer is missing.`,
          {
            service: subgraphNameOf(url),
          },
        );
      }
      throw new UpstreamUnavailableError(
        `The ${subgraphNameOf(url)} service could not be reached; its part of the answer is missing.`,
        {
          service: subgraphNameOf(url),
        },
        { cause: error },
      );
    }
  }

  const toResponse = (captured: Captured) =>
    new Response(captured.body, {
      status: captured.status,
      statusText: captured.statusText,
      headers: captured.headers,
    }) as unknown as FetcherResponse;

  const fetch = (async (url: string, init?: FetcherRequestInit) => {
    const body = typeof init?.body === 'string' ? init.body : undefined;
    const key = body !== undefined && READ_ONLY_FETCH.test(body) ? `${url}\n${authorizationOf(init)}\n${body}` : null;
    if (key === null) return toResponse(await send(url, init));
    let pending = inFlight.get(key);
    if (!pending) {
      pending = send(url, init);
      inFlight.set(key, pending);
      void pending.catch(() => {}).finally(() => inFlight.delete(key));
    }
    return toResponse(await pending);
  }) as Fetcher & { inFlight(): number };
  fetch.inFlight = () => inFlight.size;
  return fetch;
}
