import DataLoader from 'dataloader';
import type { TranslationResult, Translator } from './translator';

/**
 * Batches the `Message.translation` fields of one request: the gateway sends
 * a page of messages as one `_entities` call, and this turns its fifty field
 * resolutions into one `translateMany` (one cache read, one provider call per
 * language pair).
 */
export function createTranslationLoader(
  translator: Translator,
  userId: string,
): DataLoader<{ text: string; to: string }, TranslationResult, string> {
  return new DataLoader((keys) => translator.translateMany(keys.map(({ text, to }) => ({ text, to, userId }))), {
    cacheKeyFn: ({ text, to }) => JSON.stringify([text, to]),
  });
}
