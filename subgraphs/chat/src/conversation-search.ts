import type { EntityManager } from '@mikro-orm/postgresql';
import type { Sql } from '@parley/database';
import { BadUserInputError } from '@parley/errors';
import { Conversation } from './entities/conversation';
import type { Page } from './pagination';

const MAX_TERM = 200;

/**
 * Full-text search over one owner's conversation titles and message contents
 * (tsvector columns with GIN indexes), best matches first: a title match
 * counts double. The 'simple' text configuration (no stemming, no stop
 * words) so that it behaves the same for every language people write in.
 * Results are ranked, not time-ordered, so the cursor is a position in the
 * ranking.
 */
export async function searchConversations(
  { sql, em }: { sql: Sql; em: EntityManager },
  ownerId: string,
  { term, size, after }: { term: string; size: number; after?: string | null },
): Promise<Page<Conversation>> {
  if (term.length > MAX_TERM) throw new BadUserInputError(`"search" must be at most ${MAX_TERM} characters.`, { field: 'search' });
  const offset = after ? decodeRankCursor(after) : 0;
  const rows: Record<string, unknown>[] = (
    await sql.raw(
      `with q as (select websearch_to_tsquery('simple', ?) as query)
       select c.*,
         ts_rank(c.search, q.query) * 2 + coalesce((
           select max(ts_rank(m.search, q.query)) from "chat"."message" m where m.conversation_id = c.id and m.search @@ q.query
         ), 0) as "rank"
       from "chat"."conversation" c, q
       where c.owner_id = ?
         and (c.search @@ q.query or exists (
           select 1 from "chat"."message" m where m.conversation_id = c.id and m.search @@ q.query))
       order by "rank" desc, c.updated_at desc, c.id desc
       limit ? offset ?`,
      [term, ownerId, size + 1, offset],
    )
  ).rows;
  const nodes = rows.slice(0, size).map((row) => em.map(Conversation, row));
  const edges = nodes.map((node, i) => ({ cursor: encodeRankCursor(offset + i + 1), node }));
  return { edges, pageInfo: { hasNextPage: rows.length > size, endCursor: edges.at(-1)?.cursor ?? null } };
}

function encodeRankCursor(position: number): string {
  return Buffer.from(JSON.stringify(['rank', position])).toString('base64url');
}

function decodeRankCursor(cursor: string): number {
  try {
    const [kind, position] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, number];
    if (kind !== 'rank' || !Number.isInteger(position) || position < 0) throw new Error('bad cursor');
    return position;
  } catch {
    throw new BadUserInputError('"after" is not a cursor of this search; pass the endCursor of the same search.', { field: 'after' });
  }
}
