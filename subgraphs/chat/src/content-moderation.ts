import { ContentBlockedError } from '@parley/errors';
import type { Moderator } from '@parley/moderation';
import type { ModerationFlags, NewModerationFlag } from './moderation-flags';

const DESCRIPTIONS: Record<string, string> = {
  email: 'an e-mail address',
  phone: 'a phone number',
  payment_card: 'a payment card number',
  national_id: 'a national ID number',
  profanity: 'profanity',
  block_list: 'a term this deployment blocks',
  provider: 'content the moderation provider flagged',
};

export const describeCategory = (category: string) => DESCRIPTIONS[category] ?? `content of category "${category}"`;

export interface ScreenedInput {
  /** The text to store and send to a model: redacted spans replaced by placeholders such as [email]. */
  text: string;
  /** Records what was redacted, once the message it concerns exists. */
  recordFor(messageId: string, conversationId: string): Promise<void>;
}

/**
 * Chat's use of the moderation module: a user's text is screened before it
 * is stored (so neither the database nor any model ever holds a blocked or
 * redacted span), and every redaction or block is queued for admin review.
 */
export interface ContentModeration {
  /** Refuses a blocked input with CONTENT_BLOCKED naming the category (and records the refusal); otherwise answers the redacted text. */
  screenInput(ownerId: string, text: string, conversationId: string | null): Promise<ScreenedInput>;
  moderator: Moderator;
  flags: ModerationFlags;
}

export function createContentModeration({ moderator, flags }: { moderator: Moderator; flags: ModerationFlags }): ContentModeration {
  return {
    moderator,
    flags,
    async screenInput(ownerId, text, conversationId) {
      const result = await moderator.check(text);
      if (result.blocked) {
        await flags.record([
          { userId: ownerId, conversationId, messageId: null, direction: 'INPUT', category: result.blocked.category, action: 'block' },
        ]);
        throw new ContentBlockedError(
          `Your message was not sent: it contains ${describeCategory(result.blocked.category)}, which this service does not accept. Remove it and send again.`,
          result.blocked.category,
        );
      }
      const redacted = uniqueCategories(result.findings.filter((f) => f.action === 'redact'));
      return {
        text: result.text,
        recordFor: (messageId, conversation) =>
          flags.record(
            redacted.map((category): NewModerationFlag => ({
              userId: ownerId,
              conversationId: conversation,
              messageId,
              direction: 'INPUT',
              category,
              action: 'redact',
            })),
          ),
      };
    },
  };
}

export function uniqueCategories(findings: { category: string }[]): string[] {
  return [...new Set(findings.map((f) => f.category))];
}
