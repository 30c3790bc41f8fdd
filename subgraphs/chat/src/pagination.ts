import { isUuid } from '@parley/database';
import { BadUserInputError } from '@parley/errors';

export interface Page<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** A position in a list ordered by (timestamp, id): opaque to clients, stable under inserts. */
export interface Position {
  at: Date;
  id: string;
}

export function encodeCursor({ at, id }: Position): string {
  return Buffer.from(JSON.stringify([at.toISOString(), id])).toString('base64url');
}

export function decodeCursor(cursor: string, field = 'after'): Position {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const date = new Date(at);
    if (typeof id !== 'string' || Number.isNaN(date.getTime()) || !isUuid(id)) throw new Error('bad cursor');
    return { at: date, id };
  } catch {
    throw new BadUserInputError(`"${field}" is not a cursor this API returned; pass a pageInfo.endCursor or edge cursor.`, { field });
  }
}

export function pageSize(first: number | null | undefined, fallback: number, max = 100, field = 'first'): number {
  const size = first ?? fallback;
  if (!Number.isInteger(size) || size < 1 || size > max) {
    throw new BadUserInputError(`"${field}" must be between 1 and ${max}.`, { field });
  }
  return size;
}

/** Turns `size + 1` fetched rows into a page: the extra row only says whether there is more. */
export function toPage<T>(rows: T[], size: number, positionOf: (row: T) => Position): Page<T> {
  const nodes = rows.slice(0, size);
  // Cursors are made when asked for: most pages are read without them, and encoding each cost more than its row.
  const cursorOf = (node: T) => encodeCursor(positionOf(node));
  const edges = nodes.map((node) => ({
    node,
    get cursor() {
      return cursorOf(node);
    },
  }));
  const last = nodes.at(-1);
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > size,
      get endCursor() {
        return last === undefined ? null : cursorOf(last);
      },
    },
  };
}
