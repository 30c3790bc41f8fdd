import type { ModerationAction, ModerationCategory, ModerationPolicy } from './moderation-policy';
import { redact } from './redaction';
import type { Span } from './span';

/** One rule that acted. It never carries the matched text, so findings can be logged and stored. */
export interface ModerationFinding {
  category: ModerationCategory;
  action: Exclude<ModerationAction, 'allow'>;
}

export interface ModerationBlock {
  category: ModerationCategory;
}

export interface ModerationResult {
  /** The text with redacted spans replaced by placeholders such as "[email]"; empty when blocked. */
  text: string;
  /** In text order; the provider's finding, if any, last. */
  findings: ModerationFinding[];
  /** The first rule that blocks the text, or null. */
  blocked: ModerationBlock | null;
}

/** Applies the policy to resolved spans (non-overlapping, in text order). */
export function applyPolicy(text: string, spans: readonly Span[], policy: ModerationPolicy): ModerationResult {
  const acting = spans.filter((span) => policy[span.category] !== 'allow');
  const findings = acting.map((span) => ({ category: span.category, action: policy[span.category] as ModerationFinding['action'] }));
  const blocking = acting.find((span) => policy[span.category] === 'block');
  // A blocked text is not returned at all, so a caller that forgets to look at
  // `blocked` cannot pass it on.
  if (blocking) return { text: '', findings, blocked: { category: blocking.category } };
  return { text: redact(text, acting), findings, blocked: null };
}
