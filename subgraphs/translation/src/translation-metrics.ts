/**
 * Counters for monitoring, served as Prometheus text at /metrics: the cache
 * hit ratio the issue asks to watch, and what each provider was asked and
 * how often its output failed the quality check.
 */
export interface TranslationMetrics {
  hit(count?: number): void;
  miss(count?: number): void;
  upstream(provider: string, texts: number, failed: boolean): void;
  flagged(provider: string): void;
  fallback(): void;
  snapshot(): { hits: number; misses: number; hitRatio: number };
  prometheus(): string;
}

export function createTranslationMetrics(): TranslationMetrics {
  let hits = 0;
  let misses = 0;
  let fallbacks = 0;
  const calls = new Map<string, { calls: number; texts: number; failures: number; flagged: number }>();
  const of = (provider: string) => {
    let entry = calls.get(provider);
    if (!entry) calls.set(provider, (entry = { calls: 0, texts: 0, failures: 0, flagged: 0 }));
    return entry;
  };
  const ratio = () => (hits + misses === 0 ? 0 : hits / (hits + misses));
  return {
    hit: (count = 1) => void (hits += count),
    miss: (count = 1) => void (misses += count),
    upstream(provider, texts, failed) {
      const entry = of(provider);
      entry.calls++;
      entry.texts += texts;
      if (failed) entry.failures++;
    },
    flagged: (provider) => void of(provider).flagged++,
    fallback: () => void fallbacks++,
    snapshot: () => ({ hits, misses, hitRatio: ratio() }),
    prometheus() {
      const lines = [
        '# HELP parley_translation_cache_hits_total Translations answered from the cache.',
        '# TYPE parley_translation_cache_hits_total counter',
        `parley_translation_cache_hits_total ${hits}`,
        '# HELP parley_translation_cache_misses_total Translations that needed a provider.',
        '# TYPE parley_translation_cache_misses_total counter',
        `parley_translation_cache_misses_total ${misses}`,
        '# HELP parley_translation_cache_hit_ratio Hits over lookups since the process started.',
        '# TYPE parley_translation_cache_hit_ratio gauge',
        `parley_translation_cache_hit_ratio ${ratio().toFixed(4)}`,
        '# HELP parley_translation_fallbacks_total Texts handed to the next provider after a failure or a flagged output.',
        '# TYPE parley_translation_fallbacks_total counter',
        `parley_translation_fallbacks_total ${fallbacks}`,
        '# TYPE parley_translation_provider_calls_total counter',
        '# TYPE parley_translation_provider_failures_total counter',
        '# TYPE parley_translation_provider_flagged_total counter',
      ];
      for (const [provider, entry] of calls) {
        lines.push(
          `parley_translation_provider_calls_total{provider="${provider}"} ${entry.calls}`,
          `parley_translation_provider_failures_total{provider="${provider}"} ${entry.failures}`,
          `parley_translation_provider_flagged_total{provider="${provider}"} ${entry.flagged}`,
        );
      }
      return `${lines.join('\n')}\n`;
    },
  };
}
