import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isBreak, PROFANITY_LOOKALIKES } from '../src/stream-holdback';

describe('what ends a word for the stream filter', () => {
  it('treats spaces, Chinese characters and Chinese punctuation as breaks', () => {
    for (const character of [' ', '\n', '\u3000', '我', '，', '。', '「']) expect(isBreak(character)).toBe(true);
  });

  it('does not treat letters, digits or the symbols of addresses and numbers as breaks', () => {
    for (const character of ['a', 'Z', '7', '@', '.', '-', '+', '(', ')', '$']) expect(isBreak(character)).toBe(false);
  });

  it('knows every character that obscenity reads as a Latin letter, so none of them splits a swear word', () => {
    // obscenity does not export its confusables table; read it from the installed package.
    const entry = createRequire(import.meta.url).resolve('obscenity');
    const source = readFileSync(join(dirname(entry), 'transformer/resolve-confusables/confusables.js'), 'utf8');
    const table = new Function('exports', `${source.replace(/^"use strict";/, '')}; return exports.confusables;`)({}) as Map<
      string,
      string
    >;
    const lookalikes = [...table]
      .filter(([letter]) => /^[A-Za-z]$/.test(letter))
      .flatMap(([, variants]) => [...variants])
      .filter((character) => !PROFANITY_LOOKALIKES.has(character) && character.trim() !== '');
    expect(lookalikes.filter(isBreak)).toEqual([]);
  });
});
