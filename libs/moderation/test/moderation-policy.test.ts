import { describe, expect, it } from 'vitest';
import { DEFAULT_MODERATION_POLICY, ModerationPolicyError, parseModerationPolicy } from '../src';

describe('the moderation policy', () => {
  it('redacts personal data and profanity and blocks listed terms and provider flags by default', () => {
    expect(DEFAULT_MODERATION_POLICY).toEqual({
      email: 'redact',
      phone: 'redact',
      payment_card: 'redact',
      national_id: 'redact',
      profanity: 'redact',
      block_list: 'block',
      provider: 'block',
    });
  });

  it('reads "email=redact,payment_card=block" over the defaults', () => {
    expect(parseModerationPolicy('email=allow, payment_card=block')).toEqual({
      ...DEFAULT_MODERATION_POLICY,
      email: 'allow',
      payment_card: 'block',
    });
  });

  it('gives the defaults for an empty setting', () => {
    expect(parseModerationPolicy('  ')).toEqual(DEFAULT_MODERATION_POLICY);
  });

  it.each([
    ['emial=redact', /unknown category "emial"/],
    ['email=hide', /unknown action "hide"/],
    ['email', /"email" is not of the form category=action/],
    ['email=redact=block', /"email=redact=block" is not of the form/],
    ['=block', /"=block" is not of the form/],
    ['provider=redact', /provider can only be allow or block/],
    ['phone=block,phone=allow', /"phone=allow": category "phone" is set twice/],
  ])('rejects "%s", naming the bad part', (settings, message) => {
    expect(() => parseModerationPolicy(settings)).toThrow(ModerationPolicyError);
    expect(() => parseModerationPolicy(settings)).toThrow(message);
  });
});
