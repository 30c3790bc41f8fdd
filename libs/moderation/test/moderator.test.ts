import { describe, expect, it, vi } from 'vitest';
import { createModerator, DEFAULT_MODERATION_POLICY, parseModerationPolicy, type ProviderModeration } from '../src';

const moderator = (settings = '', blockList: string[] = ['project nightingale', '机密文件']) =>
  createModerator({ policy: parseModerationPolicy(settings), blockList });

describe('checking a text with the local rules', () => {
  it('replaces every kind of personal data with a typed placeholder and reports only categories', () => {
    const result = moderator().checkLocal(
      'Mail alice@example.com, call +1 (415) 555-0100, card 4111 1111 1111 1111, ID 11010519491231002X.',
    );
    expect(result).toEqual({
      text: 'Mail [email], call [phone], card [payment_card], ID [national_id].',
      findings: [
        { category: 'email', action: 'redact' },
        { category: 'phone', action: 'redact' },
        { category: 'payment_card', action: 'redact' },
        { category: 'national_id', action: 'redact' },
      ],
      blocked: null,
    });
    expect(JSON.stringify(result.findings)).not.toMatch(/alice|4111|0100|1101/);
  });

  it('redacts personal data in Chinese text with no spaces around it', () => {
    expect(moderator().checkLocal('我的邮箱是alice@example.com，电话13812345678').text).toBe('我的邮箱是[email]，电话[phone]');
  });

  it('redacts profanity found by obscenity, including disguised spellings', () => {
    expect(moderator().checkLocal('What the fuuuck is this sh1t?').text).toBe('What the [profanity] is this [profanity]?');
  });

  it("remembers a text's verdict, as a conversation's earlier turns are checked again with every reply", () => {
    const checking = moderator();
    const first = checking.checkLocal('Mail alice@example.com about project nightingale.');
    expect(checking.checkLocal('Mail alice@example.com about project nightingale.')).toBe(first);
    expect(first.blocked).toEqual({ category: 'block_list' });
    // Another text, another verdict; another moderator (another policy) decides for itself.
    expect(checking.checkLocal('Mail alice@example.com.').text).toBe('Mail [email].');
    expect(moderator('email=allow').checkLocal('Mail alice@example.com.').text).toBe('Mail alice@example.com.');
  });

  it('leaves words that merely contain a swear word alone', () => {
    const text = 'The class assessment in Scunthorpe was a grape-picking job.';
    expect(moderator().checkLocal(text)).toEqual({ text, findings: [], blocked: null });
  });

  it('blocks a listed term whatever its case, and returns no text', () => {
    expect(moderator().checkLocal('Tell me about PROJECT Nightingale.')).toEqual({
      text: '',
      findings: [{ category: 'block_list', action: 'block' }],
      blocked: { category: 'block_list' },
    });
  });

  it('blocks a listed Chinese term inside Chinese text', () => {
    expect(moderator().checkLocal('请把这份机密文件发给我').blocked).toEqual({ category: 'block_list' });
  });

  it('matches an English listed term as a whole word only', () => {
    expect(moderator('', ['kill']).checkLocal('a skilled killer').blocked).toBeNull();
    expect(moderator('', ['kill']).checkLocal('kill it').blocked).toEqual({ category: 'block_list' });
  });

  it('blocks on a category the policy says to block, naming the first such finding', () => {
    const result = moderator('payment_card=block').checkLocal('mail alice@example.com, card 4111-1111-1111-1111');
    expect(result).toEqual({
      text: '',
      findings: [
        { category: 'email', action: 'redact' },
        { category: 'payment_card', action: 'block' },
      ],
      blocked: { category: 'payment_card' },
    });
  });

  it('lets an allowed category through untouched and unreported', () => {
    expect(moderator('email=allow').checkLocal('mail alice@example.com')).toEqual({
      text: 'mail alice@example.com',
      findings: [],
      blocked: null,
    });
  });

  it('reports a Luhn-valid card as a card only, never also as a phone', () => {
    expect(moderator().checkLocal('4111 1111 1111 1111').findings).toEqual([{ category: 'payment_card', action: 'redact' }]);
  });

  it('lets the longer of two overlapping spans win', () => {
    // "shit" inside an address: the address is the longer span.
    expect(moderator().checkLocal('shit@example.com').text).toBe('[email]');
  });

  it('does not let a redacting span hide a blocked term inside it', () => {
    expect(moderator('', ['nightingale']).checkLocal('nightingale@example.com').blocked).toEqual({ category: 'block_list' });
  });
});

describe('checking a text with the provider', () => {
  const flagging = (flagged: boolean): ProviderModeration & { check: ReturnType<typeof vi.fn> } => ({
    check: vi.fn(async () => ({ flagged, categories: flagged ? ['harassment'] : [] })),
  });

  it('asks the provider after the local rules, with personal data already redacted', async () => {
    const provider = flagging(false);
    const signal = new AbortController().signal;
    const result = await createModerator({ policy: DEFAULT_MODERATION_POLICY, blockList: [], provider }).check(
      'mail alice@example.com',
      signal,
    );
    expect(result).toEqual({ text: 'mail [email]', findings: [{ category: 'email', action: 'redact' }], blocked: null });
    expect(provider.check).toHaveBeenCalledWith('mail [email]', signal);
  });

  it('blocks what the provider flags', async () => {
    const result = await createModerator({ policy: DEFAULT_MODERATION_POLICY, blockList: [], provider: flagging(true) }).check(
      'you are awful',
    );
    expect(result).toEqual({ text: '', findings: [{ category: 'provider', action: 'block' }], blocked: { category: 'provider' } });
  });

  it('does not ask the provider about a text the local rules already blocked', async () => {
    const provider = flagging(true);
    const result = await createModerator({ policy: DEFAULT_MODERATION_POLICY, blockList: ['nightingale'], provider }).check('nightingale');
    expect(result.blocked).toEqual({ category: 'block_list' });
    expect(provider.check).not.toHaveBeenCalled();
  });

  it('does not ask the provider when the policy allows its category', async () => {
    const provider = flagging(true);
    const result = await createModerator({ policy: parseModerationPolicy('provider=allow'), blockList: [], provider }).check('hello');
    expect(result.blocked).toBeNull();
    expect(provider.check).not.toHaveBeenCalled();
  });

  it('gives the local result when no provider is set', async () => {
    expect(await createModerator({ policy: DEFAULT_MODERATION_POLICY, blockList: [] }).check('hello')).toEqual({
      text: 'hello',
      findings: [],
      blocked: null,
    });
  });

  it('rejects when the provider fails, leaving fail-open or fail-closed to the caller', async () => {
    const provider: ProviderModeration = { check: async () => Promise.reject(new Error('provider down')) };
    await expect(createModerator({ policy: DEFAULT_MODERATION_POLICY, blockList: [], provider }).check('hello')).rejects.toThrow(
      'provider down',
    );
  });
});
