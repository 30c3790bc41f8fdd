import { describe, expect, it } from 'vitest';
import { detectEmails, detectNationalIds, detectPaymentCards, detectPhones, detectPii, isResidentIdentityNumber, passesLuhn } from '../src';

const found = (spans: { start: number; end: number }[], text: string) => spans.map((span) => text.slice(span.start, span.end));

describe('e-mail addresses', () => {
  it('finds an address in English prose, without the full stop that ends the sentence', () => {
    const text = 'Write to alice.smith+news@mail.example.co.uk.';
    expect(found(detectEmails(text), text)).toEqual(['alice.smith+news@mail.example.co.uk']);
  });

  it('finds an address glued to Chinese text and a full-width comma', () => {
    const text = '我的邮箱是alice@example.com，电话13812345678';
    expect(found(detectEmails(text), text)).toEqual(['alice@example.com']);
  });

  it('ignores an @ that is not an address', () => {
    expect(detectEmails('ping @alice or meet me @ 5pm')).toEqual([]);
  });
});

describe('phone numbers', () => {
  it.each([
    ['international with spaces', 'Call +44 20 7946 0958 today', '+44 20 7946 0958'],
    ['international with parentheses and a hyphen', 'Call +1 (415) 555-0100 today', '+1 (415) 555-0100'],
    ['North American with parentheses', 'Call (415) 555-0100 today', '(415) 555-0100'],
    ['North American with hyphens', 'Call 415-555-0100 today', '415-555-0100'],
    ['a mainland China mobile inside Chinese text', '电话13812345678，谢谢', '13812345678'],
    ['a mainland China mobile with its country code', '请拨打+86 138 1234 5678。', '+86 138 1234 5678'],
  ])('finds %s', (_shape, text, phone) => {
    expect(found(detectPhones(text), text)).toEqual([phone]);
  });

  it('finds each of two international numbers separated only by a space', () => {
    const text = '+86 138 1234 5678 +44 20 7946 0958';
    expect(found(detectPhones(text), text)).toEqual(['+86 138 1234 5678', '+44 20 7946 0958']);
  });

  it.each([
    ['a year', 'It happened in 2024.'],
    ['a price', 'It costs $1,299.99 or ¥8999.'],
    ['a short number', 'Room 12, order 12345678, extension 555-0100.'],
    ['a date', 'Due 2024-12-05.'],
    ['the digits of a payment card', 'Card 4111 1111 1111 1111.'],
    ['the digits of a card that fails Luhn', 'Card 4111 1111 1111 1112.'],
    ['the digits of a resident ID', '身份证11010519491231002X。'],
    ['a plus with too few digits', 'Score +12 34.'],
  ])('does not flag %s', (_what, text) => {
    expect(detectPhones(text)).toEqual([]);
  });
});

describe('payment cards', () => {
  it.each([
    ['grouped by spaces', 'Card 4111 1111 1111 1111, exp 12/29', '4111 1111 1111 1111'],
    ['grouped by hyphens', 'Card 5555-5555-5555-4444.', '5555-5555-5555-4444'],
    ['ungrouped, in Chinese text', '卡号4111111111111111，谢谢', '4111111111111111'],
    ['an American Express number (15 digits)', 'Amex 3782 822463 10005 ok', '3782 822463 10005'],
  ])('finds a Luhn-valid number %s', (_shape, text, card) => {
    expect(found(detectPaymentCards(text), text)).toEqual([card]);
  });

  it('does not flag 4111 1111 1111 1112, whose Luhn check fails', () => {
    expect(detectPaymentCards('Card 4111 1111 1111 1112.')).toEqual([]);
    expect(detectPii('Card 4111 1111 1111 1112.')).toEqual([]);
  });

  it('does not flag a Luhn-valid run that is part of a longer run of digit groups', () => {
    expect(detectPaymentCards('Serial 4111 1111 1111 1111 2024')).toEqual([]);
  });

  it('checks Luhn over the digits', () => {
    expect(passesLuhn('4111111111111111')).toBe(true);
    expect(passesLuhn('4111111111111112')).toBe(false);
  });
});

describe('mainland China resident identity numbers', () => {
  it('finds a valid number with an X check character, in English and in Chinese text', () => {
    expect(found(detectNationalIds('ID: 11010519491231002X.'), 'ID: 11010519491231002X.')).toEqual(['11010519491231002X']);
    const chinese = '我的身份证号是11010519491231002X，请保密';
    expect(found(detectNationalIds(chinese), chinese)).toEqual(['11010519491231002X']);
  });

  it('does not flag a number whose check character is wrong', () => {
    expect(isResidentIdentityNumber('110105194912310021')).toBe(false);
    expect(detectNationalIds('ID 110105194912310021')).toEqual([]);
    expect(detectPii('ID 110105194912310021')).toEqual([]);
  });

  it('does not flag a number whose birth date does not exist', () => {
    // 1949-02-30, with a check character that would otherwise be right.
    expect(isResidentIdentityNumber(withCheckCharacter('11010519490230002'))).toBe(false);
    expect(isResidentIdentityNumber(withCheckCharacter('11010519491231002'))).toBe(true);
  });

  it('reports a valid ID as an ID, not as a phone or card', () => {
    const text = 'ID 11010519491231002X';
    expect(detectPii(text).map((span) => span.category)).toEqual(['national_id']);
  });
});

function withCheckCharacter(first17: string): string {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((total, digit, i) => total + Number(digit) * weights[i]!, 0);
  return first17 + '10X98765432'[sum % 11];
}
