import type { ModerationCategory } from './moderation-policy';
import type { Span } from './span';

/** What replaces a redacted span, typed so a reader still knows what was there. */
export function placeholderFor(category: ModerationCategory): string {
  return `[${category}]`;
}

/** Replaces each span (non-overlapping, in text order) with its placeholder. */
export function redact(text: string, spans: readonly Span[]): string {
  let out = '';
  let cursor = 0;
  for (const span of spans) {
    out += text.slice(cursor, span.start) + placeholderFor(span.category);
    cursor = span.end;
  }
  return out + text.slice(cursor);
}
