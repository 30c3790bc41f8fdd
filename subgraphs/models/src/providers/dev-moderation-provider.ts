import { MODERATION_CATEGORIES, type ModerationProvider, type ModerationVerdict } from './moderation-provider';

/**
 * The built-in development moderation, for deployments with `provider: dev`:
 * an input is flagged as "harassment" exactly when it contains `flagWord`
 * (ignoring case); nothing else is ever flagged. Deterministic and offline, so
 * tests and the embedded platform can exercise a flagged answer without a provider.
 */
export function createDevModerationProvider({ flagWord }: { flagWord: string }): ModerationProvider {
  const marker = flagWord.toLowerCase();
  return {
    async moderate(inputs, signal) {
      signal.throwIfAborted();
      return inputs.map((input): ModerationVerdict => {
        const flagged = input.toLowerCase().includes(marker);
        return {
          flagged,
          categories: Object.fromEntries(MODERATION_CATEGORIES.map((c) => [c, flagged && c === 'harassment'])),
          categoryScores: Object.fromEntries(MODERATION_CATEGORIES.map((c) => [c, flagged && c === 'harassment' ? 1 : 0])),
        };
      });
    },
  };
}
