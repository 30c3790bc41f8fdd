/** What a rule can have found. `provider` is the external model's verdict on the whole text. */
export const MODERATION_CATEGORIES = ['profanity', 'block_list', 'email', 'phone', 'payment_card', 'national_id', 'provider'] as const;
export type ModerationCategory = (typeof MODERATION_CATEGORIES)[number];

export const MODERATION_ACTIONS = ['allow', 'redact', 'block'] as const;
export type ModerationAction = (typeof MODERATION_ACTIONS)[number];

export type ModerationPolicy = Readonly<Record<ModerationCategory, ModerationAction>>;

/**
 * Personal data and swearing are hidden but the conversation goes on; terms an
 * operator listed, and what the provider flags, stop it.
 */
export const DEFAULT_MODERATION_POLICY: ModerationPolicy = Object.freeze({
  profanity: 'redact',
  block_list: 'block',
  email: 'redact',
  phone: 'redact',
  payment_card: 'redact',
  national_id: 'redact',
  provider: 'block',
});

export class ModerationPolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModerationPolicyError';
  }
}

/**
 * Reads settings such as `"email=redact,payment_card=block"` over `base`
 * (the defaults unless given). Settings come from configuration, so a mistake
 * must stop start-up with the offending entry named rather than silently
 * leaving a category at its default.
 */
export function parseModerationPolicy(settings: string, base: ModerationPolicy = DEFAULT_MODERATION_POLICY): ModerationPolicy {
  const policy: Record<ModerationCategory, ModerationAction> = { ...base };
  const seen = new Set<string>();
  for (const rawEntry of settings.split(',')) {
    const entry = rawEntry.trim();
    if (entry === '') continue;
    const parts = entry.split('=').map((part) => part.trim());
    if (parts.length !== 2 || !parts[0] || !parts[1]) {
      throw new ModerationPolicyError(`Moderation policy entry "${entry}" is not of the form category=action`);
    }
    const [category, action] = parts as [string, string];
    if (!isCategory(category)) {
      throw new ModerationPolicyError(
        `Moderation policy entry "${entry}": unknown category "${category}" (expected one of ${MODERATION_CATEGORIES.join(', ')})`,
      );
    }
    if (!isAction(action)) {
      throw new ModerationPolicyError(
        `Moderation policy entry "${entry}": unknown action "${action}" (expected one of ${MODERATION_ACTIONS.join(', ')})`,
      );
    }
    // The provider judges the whole text and names no span, so there is nothing to redact.
    if (category === 'provider' && action === 'redact') {
      throw new ModerationPolicyError(`Moderation policy entry "${entry}": provider can only be allow or block`);
    }
    if (seen.has(category)) {
      throw new ModerationPolicyError(`Moderation policy entry "${entry}": category "${category}" is set twice`);
    }
    seen.add(category);
    policy[category] = action;
  }
  return Object.freeze(policy);
}

function isCategory(value: string): value is ModerationCategory {
  return (MODERATION_CATEGORIES as readonly string[]).includes(value);
}

function isAction(value: string): value is ModerationAction {
  return (MODERATION_ACTIONS as readonly string[]).includes(value);
}
