import { parse, type DocumentNode } from 'graphql';

/**
 * Parsed documents by their text, so a repeated subscription reuses one
 * DocumentNode (and with it the validation cached per document). Bounded:
 * the oldest entry leaves first; very long documents are not kept.
 */
export function createDocumentCache({
  maxEntries = 500,
  maxLength = 20_000,
  maxTokens,
}: {
  maxEntries?: number;
  maxLength?: number;
  /** The parser stops (and throws) past this many tokens: the gateway's MAX_QUERY_TOKENS, as Apollo parses HTTP requests. */
  maxTokens?: number | undefined;
} = {}) {
  const documents = new Map<string, DocumentNode>();
  return (query: string): DocumentNode => {
    let document = documents.get(query);
    if (document) return document;
    document = parse(query, maxTokens === undefined ? {} : { maxTokens });
    if (query.length <= maxLength) {
      if (documents.size >= maxEntries) documents.delete(documents.keys().next().value!);
      documents.set(query, document);
    }
    return document;
  };
}
