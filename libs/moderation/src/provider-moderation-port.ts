/** An external moderation model's verdict on a whole text. */
export interface ProviderVerdict {
  flagged: boolean;
  /** The provider's own category names, e.g. "harassment"; informative only. */
  categories: string[];
}

/**
 * What the moderator needs from an external moderation service. Adapters (an
 * OpenAI-compatible moderation endpoint, a fake in tests) implement it, so the
 * rules here never depend on a vendor SDK.
 */
export interface ProviderModeration {
  check(text: string, signal?: AbortSignal): Promise<ProviderVerdict>;
}
