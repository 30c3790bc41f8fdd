/**
 * A statement's shape for a trace, its literal values masked: the ORM and our prepared reads inline values into the
 * SQL text (a message's content, a password's hash, an e-mail address), and a trace store is no place for them.
 * Strings (with '' and E'…\'…' escapes), dollar-quoted bodies and numbers outside identifiers become `?`.
 */
export function sqlShape(statement: string): string {
  return statement
    .replace(/\$((?:[A-Za-z_][A-Za-z0-9_]*)?)\$[\s\S]*?\$\1\$/g, '?')
    .replace(/[Ee]'(?:[^'\\]|\\.|'')*'/g, '?')
    .replace(/'(?:[^']|'')*'/g, '?')
    .replace(/(?<![\w$."])-?\b\d+(?:\.\d+)?(?:[eE][+-]?\d+)?\b/g, '?');
}
