import { readFileSync } from 'node:fs';
import { parse } from 'graphql';

/** The subgraph's SDL, the same file `npm run compose` reads. */
export const typeDefs = parse(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));
