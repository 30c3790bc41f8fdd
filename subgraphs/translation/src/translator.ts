import { BadUserInputError, UpstreamUnavailableError } from '@parley/errors';
import type { LanguageGuess } from './language-detector';
import { UNDETERMINED } from './language-detector';
import { protectSpans } from './protected-spans';
import { requireLanguage, sameLanguage } from './supported-languages';
import { translationKey, type TranslationCache } from './translation-cache';
import type { TranslationMetrics } from './translation-metrics';
import type { TranslationProvider } from './translation-provider';
import type { QualityLog, QualityRecord } from './translation-quality-log';

export interface TranslationRequest {
  text: string;
  /** BCP 47 tag of the target language. */
  to: string;
  /** BCP 47 tag of the source language; detected when omitted. */
  from?: string | null;
  /** Whose budget an LLM translation is charged to. */
  userId: string;
}

export interface TranslationResult {
  text: string;
  from: string;
  to: string;
  cached: boolean;
  /** "llm", "libretranslate", or "none" when the text already was in the target language. */
  provider: string;
  model: string;
  /** The output failed the quality check with every provider; it is the best there is, and was not cached. */
  flagged: boolean;
}

export interface Translator {
  translate(request: TranslationRequest): Promise<TranslationResult>;
  /**
   * Many texts at once: one cache read, and one provider call per (from, to)
   * group (LibreTranslate takes a whole group). A request that fails gets its
   * error in its place; the others are still answered.
   */
  translateMany(requests: TranslationRequest[]): Promise<(TranslationResult | Error)[]>;
  detect(text: string): LanguageGuess;
}

interface Prepared {
  text: string;
  from: string;
  to: string;
  userId: string;
}

/**
 * Translation with a two-tier cache, in-process single flight, providers in
 * order of preference, and a quality check: an output detected as another
 * language than the target (or that lost a protected span) is flagged, handed
 * to the next provider, and never cached.
 */
export function createTranslator({
  providers,
  cache,
  detector,
  metrics,
  quality,
  maxChars,
  now = () => performance.now(),
}: {
  providers: TranslationProvider[];
  cache: TranslationCache;
  detector: { detect(text: string): LanguageGuess };
  metrics: TranslationMetrics;
  quality: QualityLog;
  maxChars: number;
  now?: () => number;
}): Translator {
  if (providers.length === 0) throw new Error('translation needs at least one provider');
  const inFlight = new Map<string, Promise<TranslationResult>>();

  function prepare({ text, to, from, userId }: TranslationRequest): Prepared {
    if (text.trim() === '') throw new BadUserInputError('The text to translate is empty: give at least one word.', { field: 'text' });
    const length = [...text].length;
    if (length > maxChars) {
      throw new BadUserInputError(`The text is ${length} characters long; translation takes at most ${maxChars}. Split it into parts.`, {
        field: 'text',
        maxChars,
      });
    }
    const target = requireLanguage(to, 'to').code;
    const source = from ? requireLanguage(from, 'from').code : detector.detect(text).language;
    return { text, from: source, to: target, userId };
  }

  async function translateMany(requests: TranslationRequest[]): Promise<(TranslationResult | Error)[]> {
    const results: (TranslationResult | Error | Promise<TranslationResult | Error>)[] = new Array(requests.length);
    const items: Prepared[] = [];
    const pending: number[] = [];
    requests.forEach((request, i) => {
      let item: Prepared;
      try {
        item = items[i] = prepare(request);
      } catch (error) {
        results[i] = error as Error;
        return;
      }
      if (item.from !== UNDETERMINED && sameLanguage(item.from, item.to)) {
        results[i] = { text: item.text, from: item.from, to: item.to, cached: false, provider: 'none', model: 'none', flagged: false };
      } else pending.push(i);
    });

    const keysOf = (item: Prepared) => providers.map((p) => translationKey(item.text, item.from, item.to, p.name, p.model));
    const found = await cache.getMany([...new Set(pending.flatMap((i) => keysOf(items[i]!)))]);
    const misses = new Map<string, { item: Prepared; resolve: (r: TranslationResult) => void; reject: (e: unknown) => void }>();
    for (const i of pending) {
      const item = items[i]!;
      const hit = keysOf(item)
        .map((key) => found.get(key))
        .find((entry) => entry !== undefined);
      if (hit) {
        metrics.hit();
        results[i] = { ...hit, cached: true, flagged: false };
        continue;
      }
      metrics.miss();
      const identity = JSON.stringify([item.text, item.from, item.to]);
      let promise = inFlight.get(identity);
      if (!promise) {
        let resolve!: (r: TranslationResult) => void;
        let reject!: (e: unknown) => void;
        promise = new Promise<TranslationResult>((res, rej) => ((resolve = res), (reject = rej)));
        inFlight.set(identity, promise);
        void promise.catch(() => {}).finally(() => inFlight.delete(identity));
        misses.set(identity, { item, resolve, reject });
      }
      results[i] = promise.catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
    }

    const groups = new Map<string, { item: Prepared; resolve: (r: TranslationResult) => void; reject: (e: unknown) => void }[]>();
    for (const miss of misses.values()) {
      const group = `${miss.item.from}|${miss.item.to}|${miss.item.userId}`;
      groups.set(group, [...(groups.get(group) ?? []), miss]);
    }
    await Promise.all(
      [...groups.values()].map(async (group) => {
        try {
          const translated = await translateGroup(group.map((m) => m.item));
          group.forEach((m, k) => m.resolve(translated[k]!));
        } catch (error) {
          group.forEach((m) => m.reject(error));
        }
      }),
    );
    return Promise.all(results);
  }

  async function translateGroup(items: Prepared[]): Promise<TranslationResult[]> {
    const { from, to, userId } = items[0]!;
    const done: (TranslationResult | undefined)[] = new Array(items.length);
    const bestFlagged = new Map<number, TranslationResult>();
    const failures: string[] = [];
    let remaining = items.map((_, k) => k);
    for (const [index, provider] of providers.entries()) {
      if (remaining.length === 0) break;
      if (index > 0) metrics.fallback();
      const shielded = remaining.map((k) => protectSpans(items[k]!.text));
      const started = now();
      let outputs: string[];
      try {
        outputs = await provider.translate({ texts: shielded.map((s) => s.masked), from, to, userId });
        metrics.upstream(provider.name, remaining.length, false);
      } catch (error) {
        metrics.upstream(provider.name, remaining.length, true);
        failures.push(error instanceof Error ? error.message : String(error));
        continue;
      }
      const latencyMs = now() - started;
      const records: QualityRecord[] = [];
      const toCache: Parameters<TranslationCache['putMany']>[0] = [];
      const stillFlagged: number[] = [];
      remaining.forEach((k, j) => {
        const source = items[k]!.text;
        const { text, complete } = shielded[j]!.restore(outputs[j] ?? '');
        // Judged on the translated prose alone: protected code and URLs would read as English.
        const detected = detector.detect((outputs[j] ?? '').replace(/⟦\d+⟧/g, ' ')).language;
        const wrongLanguage = detected !== UNDETERMINED && detected.split('-')[0] !== to.split('-')[0];
        const flagged = !complete || wrongLanguage || text.trim() === '';
        records.push({
          provider: provider.name,
          model: provider.model,
          from,
          to,
          detected,
          latencyMs,
          sourceChars: source.length,
          lengthRatio: text.length / source.length,
          flagged,
        });
        const result = { text, from, to, cached: false, provider: provider.name, model: provider.model, flagged };
        if (flagged) {
          metrics.flagged(provider.name);
          bestFlagged.set(k, result);
          stillFlagged.push(k);
        } else {
          done[k] = result;
          toCache.push({
            key: translationKey(source, from, to, provider.name, provider.model),
            value: { text, from, to, provider: provider.name, model: provider.model },
          });
        }
      });
      await Promise.all([quality.record(records), cache.putMany(toCache)]);
      remaining = stillFlagged;
    }
    return items.map((_, k) => {
      const result = done[k] ?? bestFlagged.get(k);
      if (!result) {
        throw new UpstreamUnavailableError(
          `Translation is unavailable right now; every provider was tried (${failures.join('; ')}). Try again in a minute.`,
        );
      }
      return result;
    });
  }

  return {
    async translate(request) {
      const [result] = await translateMany([request]);
      if (result instanceof Error) throw result;
      return result!;
    },
    translateMany,
    detect: (text) => {
      if (text.trim() === '')
        throw new BadUserInputError('The text is empty: give at least one word to detect its language.', { field: 'text' });
      if ([...text].length > maxChars) {
        throw new BadUserInputError(`The text is longer than ${maxChars} characters; detection needs only a sentence or two.`, {
          field: 'text',
          maxChars,
        });
      }
      return detector.detect(text);
    },
  };
}
