import { STATUS_CODES } from 'node:http';
import type { SubgraphServer } from '@parley/runtime';
import type { SubgraphHttp } from './subgraph-http';

/** A subgraph the gateway can ask without HTTP. */
export type InProcessSubgraph = Pick<SubgraphServer, 'answer'>;

/**
 * Subgraph requests for the subgraphs of this very process (embedded mode) handed to them directly, by routing URL;
 * any other URL goes to `fallback`. What the subgraph sees is what a POST would carry (the same headers and body),
 * and the gateway's timeout still applies: past it the answer is abandoned as an HTTP one would be.
 */
export function inProcessSubgraphHttp(subgraphs: Record<string, InProcessSubgraph>, fallback: SubgraphHttp): SubgraphHttp {
  return {
    async post(url, headers, body, signal) {
      const subgraph = subgraphs[url];
      if (!subgraph) return fallback.post(url, headers, body, signal);
      signal.throwIfAborted();
      let abandon!: (reason: unknown) => void;
      const abandoned = new Promise<never>((_, reject) => (abandon = reject));
      const onAbort = () => abandon(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        const answer = await Promise.race([subgraph.answer(body, headers), abandoned]);
        return { status: answer.status, statusText: STATUS_CODES[answer.status] ?? '', headers: answer.headers, body: answer.body };
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    },
    close() {
      fallback.close();
    },
  };
}
