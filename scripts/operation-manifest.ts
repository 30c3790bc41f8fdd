/**
 * Part of `npm run codegen`: the trusted-documents manifest. Every operation
 * of Parley's typed client (libs/client/operations), printed exactly as the
 * client sends it, keyed by the SHA-256 of that text (the hash automatic
 * persisted queries use). A gateway with TRUSTED_DOCUMENTS=on accepts these
 * and nothing else.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as operations from '@parley/client';
import { Kind, print, type DocumentNode } from 'graphql';

const manifest: Record<string, string> = {};
for (const [name, value] of Object.entries(operations)) {
  if (!name.endsWith('Document')) continue;
  const document = value as DocumentNode;
  if (!document.definitions?.some((d) => d.kind === Kind.OPERATION_DEFINITION)) continue;
  const text = print(document);
  manifest[createHash('sha256').update(text).digest('hex')] = text;
}
const sorted = Object.fromEntries(Object.entries(manifest).sort(([a], [b]) => a.localeCompare(b)));
const path = resolve(import.meta.dirname, '../libs/client/src/generated/operation-manifest.json');
writeFileSync(path, `${JSON.stringify(sorted, null, 2)}\n`);
console.log(`Wrote ${Object.keys(sorted).length} operations to ${path}`);
