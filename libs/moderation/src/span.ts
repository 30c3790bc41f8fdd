import type { ModerationCategory } from './moderation-policy';

/** Where a rule matched: UTF-16 offsets into the checked text, `end` exclusive. */
export interface Span {
  category: ModerationCategory;
  start: number;
  end: number;
}

// On an exact tie the more specific reading wins: an 18-digit resident ID can
// also pass Luhn, and an operator's listed term says more than the generic
// profanity list.
const TIE_ORDER: readonly ModerationCategory[] = ['block_list', 'national_id', 'payment_card', 'email', 'phone', 'profanity', 'provider'];

/**
 * Keeps non-overlapping spans, in text order. `severity` lets a caller put some
 * spans first (a span that blocks must not lose to one that only redacts);
 * otherwise the longer span wins, then the earlier one.
 */
export function resolveOverlaps(spans: readonly Span[], severity: (span: Span) => number = () => 0): Span[] {
  const ranked = [...spans].sort(
    (a, b) =>
      severity(b) - severity(a) ||
      b.end - b.start - (a.end - a.start) ||
      a.start - b.start ||
      TIE_ORDER.indexOf(a.category) - TIE_ORDER.indexOf(b.category),
  );
  const kept: Span[] = [];
  for (const span of ranked) {
    if (!kept.some((other) => other.start < span.end && span.start < other.end)) kept.push(span);
  }
  return kept.sort((a, b) => a.start - b.start);
}
