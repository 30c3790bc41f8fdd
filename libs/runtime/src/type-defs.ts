import { readFileSync } from 'node:fs';
import { parse, type DocumentNode } from 'graphql';

/** A subgraph's SDL file (the same one `npm run compose` reads), parsed. */
export function readTypeDefs(file: URL): DocumentNode {
  return parse(readFileSync(file, 'utf8'));
}
