import { describe, expect, it } from 'vitest';
import { maskPii } from '../src';

describe('masking personal data for logs', () => {
  it('replaces every e-mail, phone, card and resident ID with its placeholder', () => {
    expect(maskPii('alice@example.com, +86 138 1234 5678, 4111-1111-1111-1111, 11010519491231002X')).toBe(
      '[email], [phone], [payment_card], [national_id]',
    );
  });

  it('masks personal data in Chinese text', () => {
    expect(maskPii('用户alice@example.com的手机13812345678')).toBe('用户[email]的手机[phone]');
  });

  it('ignores the policy: profanity and listed terms are not its business', () => {
    expect(maskPii('what the fuck')).toBe('what the fuck');
  });

  it('returns text without personal data unchanged', () => {
    const text = 'request 3f2a1b4c-1234-4abc-9def-123456789012 took 12 ms at 2025-11-27T12:00:00.000Z';
    expect(maskPii(text)).toBe(text);
  });
});
