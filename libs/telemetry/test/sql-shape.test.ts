import { describe, expect, it } from 'vitest';
import { sqlShape } from '../src/tracing/sql-shape';

describe('sqlShape', () => {
  it('masks every literal a statement carries, keeping its shape', () => {
    expect(
      sqlShape(`insert into "users"."user" (email, password_hash, age) values ('alice@example.com', '$argon2id$v=19$m=65536', 42)`),
    ).toBe(`insert into "users"."user" (email, password_hash, age) values (?, ?, ?)`);
    expect(sqlShape(`select * from "chat"."message" where content = 'it''s mine' and score > -1.5e3 limit 10`)).toBe(
      `select * from "chat"."message" where content = ? and score > ? limit ?`,
    );
    expect(sqlShape(`select E'a\\'b' as x, $tag$secret body$tag$ as y, $a1$more$a1$ as z, $$plain$$ as w`)).toBe(
      `select ? as x, ? as y, ? as z, ? as w`,
    );
  });

  it('leaves identifiers, placeholders and prepared statement names alone', () => {
    expect(sqlShape(`execute parley_12("x1", $1, $2)`)).toBe(`execute parley_12("x1", $1, $2)`);
    expect(sqlShape(`select t2.c3 from "s"."t2" where id = any($1::uuid[])`)).toBe(`select t2.c3 from "s"."t2" where id = any($1::uuid[])`);
  });
});
