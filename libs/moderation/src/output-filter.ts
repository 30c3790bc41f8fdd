import type { LocalRules } from './local-rules';
import { applyPolicy, type ModerationBlock, type ModerationFinding } from './moderation-result';
import { unsettledFrom } from './stream-holdback';

export interface OutputFilterStep {
  /** Text that is safe to show now, already redacted. */
  emit: string;
  /** Set once the stream is blocked, and on every step after. */
  blocked: ModerationBlock | null;
  /** The findings in the text settled by this step. */
  findings: ModerationFinding[];
}

/**
 * Moderates text that arrives in pieces (a model's reply). Concatenating every
 * `emit` gives what checking the whole text at once gives, and no part of a span
 * that will be redacted or blocked is emitted before it is known.
 */
export interface OutputFilter {
  push(delta: string): OutputFilterStep;
  /** Settles whatever was held back; the filter takes nothing after this. */
  end(): OutputFilterStep;
}

// Settled text kept for rules that look behind a match (word boundaries,
// obscenity's whitelist such as "van dyke"); longer than any of them needs.
const CONTEXT_LENGTH = 32;

export function createOutputFilter(rules: LocalRules): OutputFilter {
  let context = '';
  let pending = '';
  let blocked: ModerationBlock | null = null;
  let ended = false;

  function settle(final: boolean): OutputFilterStep {
    if (blocked) return { emit: '', blocked, findings: [] };
    const text = context + pending;
    const offset = context.length;
    let cut = final ? text.length : Math.max(offset, unsettledFrom(text, rules.longestBlockTerm));
    // Mid-word deltas settle nothing; skip running every rule over the tail again.
    if (cut === offset) return { emit: '', blocked: null, findings: [] };
    // Spans that start in the context were settled, and their text emitted, before.
    const spans = rules.resolve(rules.find(text).filter((span) => span.start >= offset));
    for (let moved = true; moved;) {
      moved = false;
      for (const span of spans) {
        if (span.start < cut && cut < span.end) {
          cut = span.start;
          moved = true;
        }
      }
    }
    if (cut > offset && cut < text.length && isLowSurrogate(text.charCodeAt(cut))) cut -= 1;
    const settled = spans
      .filter((span) => span.end <= cut)
      .map((span) => ({ ...span, start: span.start - offset, end: span.end - offset }));
    const result = applyPolicy(text.slice(offset, cut), settled, rules.policy);
    if (result.blocked) {
      blocked = result.blocked;
      context = pending = '';
      return { emit: '', blocked, findings: result.findings };
    }
    let contextStart = Math.max(0, cut - CONTEXT_LENGTH);
    if (isLowSurrogate(text.charCodeAt(contextStart))) contextStart += 1;
    context = text.slice(contextStart, cut);
    pending = text.slice(cut);
    return { emit: result.text, blocked: null, findings: result.findings };
  }

  return {
    push(delta) {
      if (ended) throw new Error('OutputFilter.push after end(): the stream was already settled');
      pending += delta;
      return settle(false);
    },
    end() {
      if (ended) throw new Error('OutputFilter.end called twice');
      ended = true;
      return settle(true);
    },
  };
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
