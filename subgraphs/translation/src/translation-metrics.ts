import type { Metrics } from '@parley/telemetry';

/**
 * What the translator reports, as series of the process's metrics (served at /metrics with the rest): the cache's
 * hits and misses (`parley_cache_lookups_total{cache="translation"}`, whose ratio the issue asks to watch), what
 * each provider was asked, how often it failed or its output failed the quality check, and the fallbacks.
 */
export interface TranslationMetrics {
  hit(count?: number): void;
  miss(count?: number): void;
  upstream(provider: string, texts: number, failed: boolean): void;
  flagged(provider: string): void;
  fallback(): void;
  /** The cache's counts so far, for tests and logs. */
  snapshot(): Promise<{ hits: number; misses: number; hitRatio: number }>;
}

export function createTranslationMetrics(metrics: Metrics): TranslationMetrics {
  const lookups = metrics.cacheLookups;
  const countOf = async (result: 'hit' | 'miss') =>
    (await lookups.get()).values.find((v) => v.labels['cache'] === 'translation' && v.labels['result'] === result)?.value ?? 0;
  return {
    hit: (count = 1) => lookups.inc({ cache: 'translation', result: 'hit' }, count),
    miss: (count = 1) => lookups.inc({ cache: 'translation', result: 'miss' }, count),
    upstream: (provider, _texts, failed) => metrics.translation.providerCalls.inc({ provider, failed: String(failed) }),
    flagged: (provider) => metrics.translation.providerFlagged.inc({ provider }),
    fallback: () => metrics.translation.fallbacks.inc(),
    async snapshot() {
      const [hits, misses] = await Promise.all([countOf('hit'), countOf('miss')]);
      return { hits, misses, hitRatio: hits + misses === 0 ? 0 : hits / (hits + misses) };
    },
  };
}
