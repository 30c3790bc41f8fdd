import { createBlockList } from './block-list';
import type { ModerationPolicy } from './moderation-policy';
import { detectEmails, detectNationalIds, detectPaymentCards, detectPhones } from './pii-detectors';
import { detectProfanity } from './profanity-detector';
import { resolveOverlaps, type Span } from './span';

/** The rules that run in-process, limited to the categories a policy does not allow. */
export interface LocalRules {
  readonly policy: ModerationPolicy;
  /** Length of the longest block-list term in force (0 when none). */
  readonly longestBlockTerm: number;
  /** Every match, overlaps included. */
  find(text: string): Span[];
  /** The spans that act on the text: overlaps settled, in text order. */
  resolve(spans: readonly Span[]): Span[];
}

export function createLocalRules(policy: ModerationPolicy, blockListTerms: readonly string[]): LocalRules {
  const blockList = createBlockList(policy.block_list === 'allow' ? [] : blockListTerms);
  const detectors: ((text: string) => Span[])[] = [];
  if (policy.email !== 'allow') detectors.push(detectEmails);
  if (policy.phone !== 'allow') detectors.push(detectPhones);
  if (policy.payment_card !== 'allow') detectors.push(detectPaymentCards);
  if (policy.national_id !== 'allow') detectors.push(detectNationalIds);
  if (policy.profanity !== 'allow') detectors.push(detectProfanity);
  if (blockList.longestTerm > 0) detectors.push(blockList.detect);
  return {
    policy,
    longestBlockTerm: blockList.longestTerm,
    find: (text) => detectors.flatMap((detect) => detect(text)),
    // A span that blocks must not be hidden inside a longer one that only redacts.
    resolve: (spans) => resolveOverlaps(spans, (span) => (policy[span.category] === 'block' ? 1 : 0)),
  };
}
