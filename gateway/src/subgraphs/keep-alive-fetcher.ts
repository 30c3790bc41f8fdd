import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Fetcher } from '@apollo/utils.fetcher';
import fetch from 'node-fetch';

/**
 * Subgraph requests over pooled keep-alive connections. Apollo Gateway's
 * default fetcher opens a connection per request; measured on this kind of
 * machine the pooled node-fetch v2 client doubles throughput and cuts p95 at
 * 1000 req/s from ~57 ms to ~8 ms (see docs/PERFORMANCE.md).
 */
export function createKeepAliveFetcher({ maxSockets = 256 }: { maxSockets?: number } = {}): { fetcher: Fetcher; close(): void } {
  const http = new HttpAgent({ keepAlive: true, maxSockets, keepAliveMsecs: 10_000 });
  const https = new HttpsAgent({ keepAlive: true, maxSockets, keepAliveMsecs: 10_000 });
  const fetcher = ((url: string, init?: Record<string, unknown>) =>
    fetch(url, { ...init, agent: (parsed: URL) => (parsed.protocol === 'https:' ? https : http) })) as unknown as Fetcher;
  return {
    fetcher,
    close() {
      http.destroy();
      https.destroy();
    },
  };
}
