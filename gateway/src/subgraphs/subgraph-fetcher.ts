import { UpstreamUnavailableError } from '@parley/errors';
import { retryConnectionFailures, type Logger } from '@parley/runtime';
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
 *
 * A subgraph that cannot be reached (restarting, a replica gone) is tried
 * again with a short jittered backoff for `retryBudgetMs`, inside the same
 * `timeoutMs` deadline, so a restart shorter than that costs a user a wait,
 * not an error. A refused connection is retried for any operation (nothing was
 * sent); a connection that broke after the request went out only for reads,
 * since the subgraph may already have run a mutation. Answers (a 503 of a
 * subgraph shedding load, say) are never retried here: that would add load
 * where there is too much.
 */
export function createSubgraphFetcher({
  fetcher,
  timeoutMs,
  retryBudgetMs,
  subgraphNameOf,
  logger,
}: {
  fetcher: Fetcher;
  timeoutMs: number;
  /** How long connection failures are retried, from the first attempt; capped by `timeoutMs`. */
  retryBudgetMs: number;
  subgraphNameOf: (url: string) => string;
  logger: Logger;
}): Fetcher & { inFlight(): number } {
  const inFlight = new Map<string, Promise<Captured>>();

  async function send(url: string, init: FetcherRequestInit | undefined, readOnly: boolean): Promise<Captured> {
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      return await retryConnectionFailures(
        async () => {
          const response: FetcherResponse = await fetcher(url, { ...init, signal } as FetcherRequestInit);
          const body = await response.text();
          return { status: response.status, statusText: response.statusText, headers: [...response.headers], body };
        },
        {
          idempotent: readOnly,
          budgetMs: Math.min(retryBudgetMs, timeoutMs),
          signal,
          onRetry: (error, attempt, delayMs) => {
            // One line per request, not per attempt: an outage already multiplies them by the traffic.
            if (attempt === 1)
              logger.warn({ err: error, subgraph: subgraphNameOf(url), delayMs }, 'subgraph could not be reached; retrying');
          },
        },
      );
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
    const readOnly = body !== undefined && READ_ONLY_FETCH.test(body);
    const key = readOnly ? `${url}\n${authorizationOf(init)}\n${body}` : null;
    if (key === null) return toResponse(await send(url, init, false));
    let pending = inFlight.get(key);
    if (!pending) {
      pending = send(url, init, true);
      inFlight.set(key, pending);
      void pending.catch(() => {}).finally(() => inFlight.delete(key));
    }
    return toResponse(await pending);
  }) as Fetcher & { inFlight(): number };
  fetch.inFlight = () => inFlight.size;
  return fetch;
}
