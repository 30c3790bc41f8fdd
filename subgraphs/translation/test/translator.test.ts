import { BadUserInputError } from '@parley/errors';
import { describe, expect, it } from 'vitest';
import { createLanguageDetector } from '../src/language-detector';
import type { CachedTranslation, TranslationCache } from '../src/translation-cache';
import { createMetrics } from '@parley/telemetry';
import { createTranslationMetrics } from '../src/translation-metrics';
import type { TranslationProvider } from '../src/translation-provider';
import type { QualityRecord } from '../src/translation-quality-log';
import { createTranslator } from '../src/translator';

/** A provider that records what it was sent and answers with `answer`. */
function provider(name: string, answer: (text: string) => string) {
  const calls: string[][] = [];
  const p: TranslationProvider = {
    name,
    model: `${name}-model`,
    async translate({ texts }) {
      calls.push(texts);
      await new Promise((resolve) => setTimeout(resolve, 10));
      return texts.map(answer);
    },
  };
  return { provider: p, calls };
}

function memoryCache(): TranslationCache & { entries: Map<string, CachedTranslation> } {
  const entries = new Map<string, CachedTranslation>();
  return {
    entries,
    getMany: async (keys) => new Map(keys.filter((k) => entries.has(k)).map((k) => [k, entries.get(k)!])),
    putMany: async (list) => list.forEach(({ key, value }) => entries.set(key, value)),
  };
}

function translatorWith(providers: TranslationProvider[], cache = memoryCache()) {
  const records: QualityRecord[] = [];
  const metrics = createTranslationMetrics(createMetrics({ service: 'test', runtime: false }));
  const translator = createTranslator({
    providers,
    cache,
    detector: createLanguageDetector(),
    metrics,
    quality: { record: async (r) => void records.push(...r) },
    maxChars: 1_000,
  });
  return { translator, records, metrics, cache };
}

const chinese = '这是一个很好的翻译，我们都喜欢它。';
const user = '5b0f7f2e-9a62-4a36-9d0c-3f2f0c1c2a11';

describe('translator', () => {
  it('sends code blocks, inline code, URLs and e-mail addresses to no provider, and puts them back unchanged', async () => {
    const text =
      'Run `npm test` as shown at https://example.com/docs?a=1, or write to help@example.com:\n```sh\nnpm ci\n```\nThanks for reading this note.';
    const fake = provider('llm', () => '按照 ⟦1⟧ 所示运行 ⟦0⟧，或写信给 ⟦2⟧：\n⟦3⟧\n感谢您阅读这份说明，我们非常高兴。');
    const { translator } = translatorWith([fake.provider]);
    const result = await translator.translate({ text, to: 'zh-CN', userId: user });
    expect(fake.calls[0]![0]).not.toMatch(/npm|example\.com/);
    expect(fake.calls[0]![0]).toMatch(/⟦0⟧.*⟦1⟧.*⟦2⟧.*⟦3⟧/s);
    expect(result.text).toContain('`npm test`');
    expect(result.text).toContain('https://example.com/docs?a=1');
    expect(result.text).toContain('help@example.com');
    expect(result.text).toContain('```sh\nnpm ci\n```');
    expect(result.flagged).toBe(false);
  });

  it('treats a translation that lost a protected span as failed and asks the next provider', async () => {
    const lossy = provider('llm', () => chinese); // drops the marker for the URL
    const faithful = provider('libretranslate', (masked) => `${chinese} ${masked.match(/⟦\d+⟧/)![0]}`);
    const { translator, records } = translatorWith([lossy.provider, faithful.provider]);
    const result = await translator.translate({
      text: 'Read the guide at https://example.com/guide before you start.',
      to: 'zh-CN',
      userId: user,
    });
    expect(result).toMatchObject({ provider: 'libretranslate', flagged: false });
    expect(result.text).toContain('https://example.com/guide');
    expect(records.map((r) => [r.provider, r.flagged])).toEqual([
      ['llm', true],
      ['libretranslate', false],
    ]);
  });

  it('records provider, latency, length ratio and detected language for every output', async () => {
    const fake = provider('llm', () => chinese);
    const { translator, records } = translatorWith([fake.provider]);
    await translator.translate({ text: 'This is a good translation and we all like it.', to: 'zh-CN', userId: user });
    expect(records).toEqual([
      expect.objectContaining({
        provider: 'llm',
        model: 'llm-model',
        from: 'en',
        to: 'zh-CN',
        detected: 'zh-CN',
        flagged: false,
        sourceChars: 46,
      }),
    ]);
    expect(records[0]!.latencyMs).toBeGreaterThanOrEqual(5);
    expect(records[0]!.lengthRatio).toBeCloseTo(chinese.length / 46, 5);
  });

  it('makes one provider call for concurrent requests of the same uncached text', async () => {
    const fake = provider('llm', () => chinese);
    const { translator, metrics } = translatorWith([fake.provider]);
    const text = 'Please water the plants while I am away on holiday.';
    const results = await Promise.all(Array.from({ length: 5 }, () => translator.translate({ text, to: 'zh-CN', userId: user })));
    expect(results.map((r) => r.text)).toEqual(Array(5).fill(chinese));
    expect(fake.calls).toHaveLength(1);
    await translator.translate({ text, to: 'zh-CN', userId: user });
    expect(fake.calls).toHaveLength(1);
    expect(await metrics.snapshot()).toMatchObject({ hits: 1, misses: 5 });
  });

  it('answers a batch in one call per language pair, with an error in place of each bad request', async () => {
    const fake = provider('libretranslate', () => chinese);
    const { translator } = translatorWith([fake.provider]);
    const results = await translator.translateMany([
      { text: 'The first sentence of the batch is here.', to: 'zh-CN', userId: user },
      { text: '', to: 'zh-CN', userId: user },
      { text: 'The second sentence of the batch is here.', to: 'zh-CN', userId: user },
      { text: 'The third sentence of the batch is here.', to: 'nowhere', userId: user },
    ]);
    expect(fake.calls).toEqual([['The first sentence of the batch is here.', 'The second sentence of the batch is here.']]);
    expect(results[0]).toMatchObject({ text: chinese });
    expect(results[1]).toBeInstanceOf(BadUserInputError);
    expect(results[2]).toMatchObject({ text: chinese });
    expect(results[3]).toBeInstanceOf(BadUserInputError);
  });
});
