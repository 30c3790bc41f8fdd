import { UpstreamUnavailableError } from '@parley/errors';
import { retryConnectionFailures, type Logger } from '@parley/runtime';
import type { SubgraphAnswer, SubgraphHttp } from './subgraph-http';

// Apollo's data source serializes `query` first; plan fetches of queries start with "query" or "{", never "mutation".
const READ_ONLY_FETCH = /^\{"query":"(?:query\b|\{)/;

export interface SubgraphFetcher {
  /** POSTs one subgraph request (a JSON body) and answers it whole. */
  fetch(url: string, headers: Record<string, string>, body: string): Promise<SubgraphAnswer>;
  /** Reads being shared right now (for tests and diagnostics). */
  inFlight(): number;
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
  http,
  timeoutMs,
  retryBudgetMs,
  subgraphNameOf,
  logger,
}: {
  http: SubgraphHttp;
  timeoutMs: number;
  /** How long connection failures are retried, from the first attempt; capped by `timeoutMs`. */
  retryBudgetMs: number;
  subgraphNameOf: (url: string) => string;
  logger: Logger;
}): SubgraphFetcher {
  const inFlight = new Map<string, Promise<SubgraphAnswer>>();

  async function send(url: string, headers: Record<string, string>, body: string, readOnly: boolean): Promise<SubgraphAnswer> {
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      return await retryConnectionFailures(() => http.post(url, headers, body, signal), {
        idempotent: readOnly,
        budgetMs: Math.min(retryBudgetMs, timeoutMs),
        signal,
        onRetry: (error, attempt, delayMs) => {
          // One line per request, not per attempt: an outage already multiplies them by the traffic.
          if (attempt === 1) logger.warn({ err: error, subgraph: subgraphNameOf(url), delayMs }, 'subgraph could not be reached; retrying');
        },
      });
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

  return {
    fetch(url, headers, body) {
      const readOnly = READ_ONLY_FETCH.test(body);
      if (!readOnly) return send(url, headers, body, false);
      const key = `${url}\n${headers['authorization'] ?? ''}\n${body}`;
      let pending = inFlight.get(key);
      if (!pending) {
        pending = send(url, headers, body, true);
        inFlight.set(key, pending);
        void pending.catch(() => {}).finally(() => inFlight.delete(key));
      }
      return pending;
    },
    inFlight: () => inFlight.size,
  };
}
