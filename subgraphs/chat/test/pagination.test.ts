import { BadUserInputError } from '@parley/errors';
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, pageSize, toPage } from '../src/pagination';

describe('cursor pagination', () => {
  const position = { at: new Date('2026-11-27T07:00:00.000Z'), id: '0b6b7c2e-8f8e-4c8e-9a43-2f6a1f0c9d11' };

  it('round-trips a position through an opaque cursor', () => {
    const cursor = encodeCursor(position);
    expect(cursor).not.toContain(position.id);
    expect(decodeCursor(cursor)).toEqual(position);
  });

  it('refuses a cursor it did not make, naming the argument', () => {
    for (const bad of ['', 'abc', Buffer.from('["not a date","x"]').toString('base64url'), Buffer.from('[1,2]').toString('base64url')]) {
      expect(() => decodeCursor(bad)).toThrow(BadUserInputError);
    }
    expect(() => decodeCursor('abc', 'after')).toThrow(/"after" is not a cursor/);
  });

  it('keeps page sizes between 1 and the maximum', () => {
    expect(pageSize(undefined, 20)).toBe(20);
    expect(pageSize(100, 20)).toBe(100);
    expect(() => pageSize(0, 20)).toThrow(/between 1 and 100/);
    expect(() => pageSize(101, 20)).toThrow(BadUserInputError);
  });

  it('uses the extra fetched row only to say there is a next page', () => {
    const rows = [1, 2, 3].map((n) => ({ n, at: new Date(n * 1000), id: position.id }));
    const page = toPage(rows, 2, (r) => r);
    expect(page.edges.map((e) => e.node.n)).toEqual([1, 2]);
    expect(page.pageInfo).toEqual({ hasNextPage: true, endCursor: page.edges[1]!.cursor });
    expect(toPage(rows, 3, (r) => r).pageInfo.hasNextPage).toBe(false);
    expect(toPage([], 3, (r: (typeof rows)[number]) => r).pageInfo).toEqual({ hasNextPage: false, endCursor: null });
  });
});
