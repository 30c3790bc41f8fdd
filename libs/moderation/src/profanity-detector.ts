import { englishDataset, englishRecommendedTransformers, RegExpMatcher } from 'obscenity';
import type { Span } from './span';

// Building the dataset compiles every pattern; do it once, and only for a process that moderates.
let matcher: RegExpMatcher | undefined;

/**
 * English profanity, including disguised spellings ("fuuuck", "sh1t", look-alike
 * letters), as found by obscenity's recommended English preset.
 */
export function detectProfanity(text: string): Span[] {
  matcher ??= new RegExpMatcher({ ...englishDataset.build(), ...englishRecommendedTransformers });
  // obscenity's endIndex is inclusive and points at the low surrogate of a final astral character.
  return matcher.getAllMatches(text).map((match) => ({ category: 'profanity', start: match.startIndex, end: match.endIndex + 1 }));
}
