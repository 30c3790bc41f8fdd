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
  /** Local rules only, synchronously. The result is shared by every call with the same text: do not change it. */
  checkLocal(text: string): Readonly<ModerationResult>;
  /** A fresh filter for one streamed text (local rules only). */
  outputFilter(): OutputFilter;
}

/** Texts up to this long have their local verdict remembered, up to this many characters in all (~8 MB). */
const MAX_REMEMBERED_TEXT = 16_384;
const MAX_REMEMBERED_CHARS = 4_000_000;

export function createModerator({ policy, blockList, provider }: ModeratorOptions): Moderator {
  const rules = createLocalRules(policy, blockList);

  // A conversation's earlier turns are screened again with every reply (the policy in force may be stricter than the
  // one they were sent under), so the same texts come back reply after reply: the local rules are a pure function
  // of the text under this moderator's policy, and running them again was a sixth of a chat worker's CPU (issue 15).
  const remembered = new Map<string, ModerationResult>();
  let rememberedChars = 0;

  function checkLocal(text: string): ModerationResult {
    const known = remembered.get(text);
    if (known) return known;
    const result = applyPolicy(text, rules.resolve(rules.find(text)), policy);
    if (text.length <= MAX_REMEMBERED_TEXT) {
      remembered.set(text, result);
      rememberedChars += text.length;
      for (const [oldest] of remembered) {
        if (rememberedChars <= MAX_REMEMBERED_CHARS) break;
        remembered.delete(oldest);
        rememberedChars -= oldest.length;
      }
    }
    return result;
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
