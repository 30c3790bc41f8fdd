/**
 * How much of a streamed text's tail must wait because more text could still
 * turn it into (or out of) a match. Everything before the returned offset is
 * settled: no rule can match across it whatever arrives next.
 *
 * Matches never contain a break, with two exceptions handled below: numbers whose
 * digit groups are joined by single spaces, and profanity patterns that bridge one
 * gap ("f?ck", "double penetra"). Treating Chinese and Japanese characters as
 * breaks keeps the hold short in text without spaces.
 */
export function unsettledFrom(text: string, longestBlockTerm: number): number {
  const tokenStart = trailingTokenStart(text, text.length);
  return Math.max(
    0,
    Math.min(
      tokenStart,
      bridgedTokenStart(text, tokenStart),
      numberRunStart(text, tokenStart),
      // A term ending at the very end may still be followed by a letter that makes it no match.
      text.length - longestBlockTerm,
    ),
  );
}

// A number span is at most ~50 characters, and one must end where its run of digit
// groups ends, so a longer run can only be extended, never matched from its start.
const NUMBER_WINDOW = 64;
const NUMBER_GROUPS_BEFORE_TOKEN = /(?:[\dXx()+-]+ )+$/;
const NUMBER_LIKE_TOKEN = /^[\dXx()+-]/;

const BREAK_CANDIDATE =
  /^[\s\p{Unified_Ideograph}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u3000-\u303F\uFF01-\uFF0F\uFF1A-\uFF1F\uFF3B-\uFF40\uFF5B-\uFF65]$/u;

/**
 * Characters in the break ranges that obscenity 0.4.6 reads as Latin letters
 * ("乃" as B, "山" as W, "〇" as O): they can be part of a swear word, so they
 * are not breaks. Taken from obscenity's confusables table; a test compares.
 */
export const PROFANITY_LOOKALIKES: ReadonlySet<string> = new Set([...'乃匚モ乇卄んェエﾌ丿乚ᄂﾚ｜州几刀ㇿロ〇尸ｱ尺イｲ下丅丁ナ凵山乂ﾒ乙']);

export function isBreak(character: string): boolean {
  return BREAK_CANDIDATE.test(character) && !PROFANITY_LOOKALIKES.has(character);
}

/** Start of the run of non-break characters that ends at `end`. */
function trailingTokenStart(text: string, end: number): number {
  let start = end;
  for (let character = characterBefore(text, start); character !== '' && !isBreak(character); character = characterBefore(text, start)) {
    start -= character.length;
  }
  return start;
}

/**
 * A profanity pattern may bridge one gap, and obscenity collapses repeated
 * characters, so "f" + "   " + "ck" is one match: when the gap before the last
 * token is one repeated character, the token before it may still be the start
 * of a match.
 */
function bridgedTokenStart(text: string, tokenStart: number): number {
  const gapCharacter = characterBefore(text, tokenStart);
  if (gapCharacter === '') return tokenStart;
  let gapStart = tokenStart;
  while (characterBefore(text, gapStart) === gapCharacter) gapStart -= gapCharacter.length;
  const previousTokenStart = trailingTokenStart(text, gapStart);
  return previousTokenStart < gapStart ? previousTokenStart : tokenStart;
}

/** Digit groups joined by single spaces before a number-like (or empty) last token: a card or phone in the making. */
function numberRunStart(text: string, tokenStart: number): number {
  if (tokenStart < text.length && !NUMBER_LIKE_TOKEN.test(text.slice(tokenStart))) return tokenStart;
  const windowStart = Math.max(0, tokenStart - NUMBER_WINDOW);
  const match = NUMBER_GROUPS_BEFORE_TOKEN.exec(text.slice(windowStart, tokenStart));
  return match ? windowStart + match.index : tokenStart;
}

/** The whole code point that ends at `end` ('' at the start of the text). */
function characterBefore(text: string, end: number): string {
  if (end <= 0) return '';
  const low = text.charCodeAt(end - 1);
  if (end >= 2 && low >= 0xdc00 && low <= 0xdfff) {
    const high = text.charCodeAt(end - 2);
    if (high >= 0xd800 && high <= 0xdbff) return text.slice(end - 2, end);
  }
  return text.slice(end - 1, end);
}
