/**
 * Code, URLs and e-mail addresses must come back from translation byte for
 * byte. A prompt asking a model to leave them alone is a wish; replacing them
 * with numbered markers before the provider sees the text, and putting them
 * back after, is a guarantee. A translation that lost a marker is reported,
 * so the caller can treat it as a failed translation.
 */
const PROTECTED = /```[\s\S]*?```|`[^`\n]+`|\bhttps?:\/\/[^\s<>()"']+[^\s<>()"'.,;:!?]|[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g;

export interface ProtectedText {
  /** The text with each protected span replaced by a marker such as ⟦0⟧. */
  masked: string;
  /** Puts the spans back; `complete` is false when the translation dropped or garbled a marker. */
  restore(translated: string): { text: string; complete: boolean };
}

export function protectSpans(text: string): ProtectedText {
  const spans: string[] = [];
  const masked = text.replace(PROTECTED, (span) => `⟦${spans.push(span) - 1}⟧`);
  return {
    masked,
    restore(translated) {
      let found = 0;
      const restored = translated.replace(/⟦(\d+)⟧/g, (marker, index: string) => {
        const span = spans[Number(index)];
        if (span === undefined) return marker;
        found++;
        return span;
      });
      return { text: restored, complete: found === spans.length };
    },
  };
}
