import { passesLuhn } from './luhn';
import { isResidentIdentityNumber } from './resident-identity-number';
import type { Span } from './span';

export type PiiCategory = 'email' | 'phone' | 'payment_card' | 'national_id';

export interface PiiSpan extends Span {
  category: PiiCategory;
}

// JavaScript's \w is ASCII-only, so a Chinese character next to a match counts as a
// boundary: "电话13812345678" is found without spaces around it.
//
// A number is judged as a whole run of digit groups, never as a piece of one: the
// last 11 digits of a card are not a phone number, and numbers joined only by
// spaces are not a card (a "+" starts a new number).
const NUMBER_START = String.raw`(?<![\w+])(?:(?=\+)|(?<![\d)][ -]))`;
const NUMBER_END = String.raw`(?![\w])(?![ -]\(?\d)`;

const EMAIL = /(?<![\w.%+-])[\w.%+-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}/g;

const INTERNATIONAL_PHONE = String.raw`\+\d{1,3}(?:[ -]?\(\d{1,4}\))?(?:[ -]\d{1,12}){1,5}|\+\d{8,15}`;
const NORTH_AMERICAN_PHONE = String.raw`(?:1[ -])?(?:\([2-9]\d{2}\) ?|[2-9]\d{2}[ -])[2-9]\d{2}[ -]\d{4}`;
const CHINA_MOBILE = String.raw`1[3-9]\d(?:\d{8}|[ -]\d{4}[ -]\d{4})`;
const PHONE = new RegExp(`${NUMBER_START}(?:${INTERNATIONAL_PHONE}|${NORTH_AMERICAN_PHONE}|${CHINA_MOBILE})${NUMBER_END}`, 'g');

const PAYMENT_CARD = new RegExp(String.raw`${NUMBER_START}\d(?:[ -]?\d){12,18}${NUMBER_END}`, 'g');

const RESIDENT_ID = new RegExp(String.raw`${NUMBER_START}\d{17}[\dXx]${NUMBER_END}`, 'g');

export function detectEmails(text: string): PiiSpan[] {
  return spansOf(EMAIL, text, 'email');
}

export function detectPhones(text: string): PiiSpan[] {
  // E.164 allows at most 15 digits; fewer than 8 is an extension or a short code.
  return spansOf(PHONE, text, 'phone', (match) => !match.startsWith('+') || between(digitCount(match), 8, 15));
}

export function detectPaymentCards(text: string): PiiSpan[] {
  return spansOf(PAYMENT_CARD, text, 'payment_card', (match) => passesLuhn(match.replace(/[ -]/g, '')));
}

export function detectNationalIds(text: string): PiiSpan[] {
  return spansOf(RESIDENT_ID, text, 'national_id', isResidentIdentityNumber);
}

/** Every PII match, overlaps included (a card may also look like a phone). */
export function detectPii(text: string): PiiSpan[] {
  return [...detectEmails(text), ...detectPhones(text), ...detectPaymentCards(text), ...detectNationalIds(text)];
}

function spansOf(pattern: RegExp, text: string, category: PiiCategory, accept: (match: string) => boolean = () => true): PiiSpan[] {
  const spans: PiiSpan[] = [];
  for (const match of text.matchAll(pattern)) {
    if (accept(match[0])) spans.push({ category, start: match.index, end: match.index + match[0].length });
  }
  return spans;
}

function digitCount(text: string): number {
  return text.replace(/\D/g, '').length;
}

function between(value: number, min: number, max: number): boolean {
  return value >= min && value <= max;
}
