import { chatSubgraph } from '@parley/chat';
import { modelsSubgraph } from '@parley/models';
import { translationSubgraph } from '@parley/translation';
import { usersSubgraph } from '@parley/users';
import { describe, expect, it } from 'vitest';

/**
 * Blue-green releases run two versions on one schema (docs/DEPLOYING.md): a
 * migration may only add — tables, nullable or defaulted columns, indexes —
 * so that the version still serving keeps working. Taking something away (a
 * contract step) ships one release after the version that stopped using it,
 * and says so: its class carries `static readonly contract = '<why it is safe now>'`.
 *
 * The schemas as of the first release (the 20261127 migrations) were written
 * before anything was deployed and are exempt.
 */
const FIRST_RELEASE = '20261127';

/** SQL that takes away or changes what a running version reads or writes. */
const CONTRACTING = [
  /\bdrop\s+(table|column|schema|index|constraint|type|view)\b/i,
  /\brename\s+(to|column|constraint)\b/i,
  /\balter\s+column\s+"?\w+"?\s+(set\s+data\s+)?type\b/i,
  /\balter\s+column\s+"?\w+"?\s+set\s+not\s+null\b/i,
  // A new NOT NULL column without a default refuses the old version's inserts.
  /\badd\s+column\s+(if\s+not\s+exists\s+)?"?\w+"?\s+[\w[\]() ]+?\s+not\s+null(?![^,;`]*\bdefault\b)/i,
];

const subgraphs = [usersSubgraph, chatSubgraph, modelsSubgraph, translationSubgraph];

describe('migrations after the first release', () => {
  it('only expand the schema, unless marked as a contract step', () => {
    const offending: string[] = [];
    for (const subgraph of subgraphs) {
      for (const { name, class: migration } of subgraph.migrations as { name: string; class: unknown }[]) {
        if (name.slice(0, 8) <= FIRST_RELEASE) continue;
        const source = String(migration);
        if (/static\s+(readonly\s+)?contract\s*=/.test(source)) continue;
        const found = CONTRACTING.find((pattern) => pattern.test(source));
        if (found) offending.push(`${subgraph.name}/${name}: ${source.match(found)![0]}`);
      }
    }
    expect(offending).toEqual([]);
  });

  it('would catch a migration that drops a column or adds a NOT NULL one without a default', () => {
    const catches = (sql: string) => CONTRACTING.some((pattern) => pattern.test(sql));
    expect(catches('alter table "chat"."message" drop column "request_key"')).toBe(true);
    expect(catches('alter table "chat"."message" add column "x" text not null')).toBe(true);
    expect(catches('alter table "x"."y" rename column "a" to "b"')).toBe(true);
    expect(catches('alter table "chat"."message" add column "x" text not null default \'\'')).toBe(false);
    expect(catches('alter table "chat"."message" add column "requested_model" text null')).toBe(false);
    expect(catches('create index "a" on "chat"."message" ("x")')).toBe(false);
  });
});
