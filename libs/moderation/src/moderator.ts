import { createLocalRules } from './local-rules';
import type { ModerationPolicy } from './moderation-policy';
import { applyPolicy, type ModerationResult } from './moderation-result';
import { createOutputFilter, type OutputFilter } from './output-filter';
import type { ProviderModeration } from './provider-moderation-port';

export interface ModeratorOptions {
  policy: ModerationPolicy;
  /** Terms that trigger the `block_list` category, matched case-insensitively. */
  blockList: readonly string[];
  /** An external moderation model, asked after the local rules pass. */
  provider?: ProviderModeration;
}

export interface Moderator {
  /**
   * Local rules, then the provider if one is set and the text is not already
   * blocked. The provider sees the locally redacted text, so personal data never
   * reaches it. A provider failure rejects: whether to fail open is the caller's call.
   */
  check(text: string, signal?: AbortSignal): Promise<ModerationResult>;
  /** Local rules only, synchronously. */
  checkLocal(text: string): ModerationResult;
  /** A fresh filter for one streamed text (local rules only). */
  outputFilter(): OutputFilter;
}

export function createModerator({ policy, blockList, provider }: ModeratorOptions): Moderator {
  const rules = createLocalRules(policy, blockList);

  function checkLocal(text: string): ModerationResult {
    return applyPolicy(text, rules.resolve(rules.find(text)), policy);
  }

  return {
    checkLocal,
    async check(text, signal) {
      const local = checkLocal(text);
      if (local.blocked || !provider || policy.provider === 'allow') return local;
      const verdict = await provider.check(local.text, signal);
      if (!verdict.flagged) return local;
      // The provider names no span to redact, so anything but allow blocks.
      return { text: '', findings: [...local.findings, { category: 'provider', action: 'block' }], blocked: { category: 'provider' } };
    },
    outputFilter: () => createOutputFilter(rules),
  };
}
