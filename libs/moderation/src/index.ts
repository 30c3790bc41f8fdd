export {
  MODERATION_CATEGORIES,
  MODERATION_ACTIONS,
  DEFAULT_MODERATION_POLICY,
  ModerationPolicyError,
  parseModerationPolicy,
  type ModerationCategory,
  type ModerationAction,
  type ModerationPolicy,
} from './moderation-policy';
export { createModerator, type Moderator, type ModeratorOptions } from './moderator';
export type { ModerationResult, ModerationFinding, ModerationBlock } from './moderation-result';
export type { OutputFilter, OutputFilterStep } from './output-filter';
export type { ProviderModeration, ProviderVerdict } from './provider-moderation-port';
export { createProviderModeration, type ProviderModerationOptions } from './provider-moderation';
export { maskPii } from './mask-pii';
export {
  detectPii,
  detectEmails,
  detectPhones,
  detectPaymentCards,
  detectNationalIds,
  type PiiCategory,
  type PiiSpan,
} from './pii-detectors';
export { detectProfanity } from './profanity-detector';
export { createBlockList, type BlockList } from './block-list';
export { passesLuhn } from './luhn';
export { isResidentIdentityNumber } from './resident-identity-number';
export { placeholderFor } from './redaction';
export type { Span } from './span';
