import type { Span } from './span';

export interface BlockList {
  /** Length of the longest term, in UTF-16 units: how much of a stream's tail could still become a match. */
  readonly longestTerm: number;
  detect(text: string): Span[];
}

const ASCII_ALPHANUMERIC = /^[A-Za-z0-9]$/;

/**
 * Operator-listed terms, matched case-insensitively. An English term is matched
 * as a whole word ("kill" does not match "skill"), but a Chinese term has no
 * word boundaries to respect, so it is matched wherever it appears.
 */
export function createBlockList(terms: readonly string[]): BlockList {
  const unique = [...new Set(terms.map((term) => term.trim()).filter((term) => term !== ''))];
  if (unique.length === 0) return { longestTerm: 0, detect: () => [] };
  // Longest first, so that at one position the longer term is the one reported.
  const alternatives = unique.sort((a, b) => b.length - a.length).map(termPattern);
  const pattern = new RegExp(alternatives.join('|'), 'giu');
  return {
    longestTerm: unique[0]!.length,
    detect: (text) =>
      [...text.matchAll(pattern)].map((match) => ({ category: 'block_list', start: match.index, end: match.index + match[0].length })),
  };
}

function termPattern(term: string): string {
  const escaped = term.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const before = ASCII_ALPHANUMERIC.test(term[0]!) ? '(?<![A-Za-z0-9])' : '';
  const after = ASCII_ALPHANUMERIC.test(term[term.length - 1]!) ? '(?![A-Za-z0-9])' : '';
  return `${before}${escaped}${after}`;
}
