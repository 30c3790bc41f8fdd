import { Migration } from '@mikro-orm/migrations';

/**
 * The sessions used lately, for the active-users gauge (`activeUserCounts`, read at every scrape): without it each
 * scrape scans every session ever started.
 */
export class ActiveSessions extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index "session_recently_used" on "users"."session" ("last_used_at") where "revoked_at" is null`);
  }
}
