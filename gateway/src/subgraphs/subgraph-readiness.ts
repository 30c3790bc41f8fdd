import type { ReadinessCheck } from '@parley/runtime';

/** The gateway is ready when every subgraph answers its /healthz. */
export function subgraphReadiness(subgraphUrls: Record<string, string>): ReadinessCheck[] {
  return Object.entries(subgraphUrls).map(([name, url]) => ({
    name,
    address: url,
    check: async () => {
      const response = await fetch(new URL('/healthz', url), { signal: AbortSignal.timeout(2000) });
      if (!response.ok) throw new Error(`answered ${response.status}`);
    },
  }));
}
