/** The categories of OpenAI's moderation models; the built-in dev moderation answers with the same set. */
export const MODERATION_CATEGORIES = [
  'harassment',
  'harassment/threatening',
  'hate',
  'hate/threatening',
  'illicit',
  'illicit/violent',
  'self-harm',
  'self-harm/intent',
  'self-harm/instructions',
  'sexual',
  'sexual/minors',
  'violence',
  'violence/graphic',
] as const;

/** What a moderation model says about one input. */
export interface ModerationVerdict {
  flagged: boolean;
  /** Category name → whether the input is flagged for it. */
  categories: Record<string, boolean>;
  /** Category name → the model's confidence, 0–1. */
  categoryScores: Record<string, number>;
}

/**
 * A deployment's moderation endpoint. `moderate` answers one verdict per
 * input, in order, and rejects with a ProviderError when the provider failed
 * (or with the abort reason when `signal` aborted).
 */
export interface ModerationProvider {
  moderate(inputs: string[], signal: AbortSignal): Promise<ModerationVerdict[]>;
}
