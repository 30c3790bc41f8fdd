import { Migration } from '@mikro-orm/migrations';

/** What moderation flagged, for admin review. Only categories and actions: never the flagged text itself. */
export class ModerationFlags extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "chat"."moderation_flag" (
      "id" uuid primary key,
      "owner_id" uuid not null,
      "conversation_id" uuid null,
      "message_id" uuid null,
      "direction" text not null check ("direction" in ('INPUT', 'OUTPUT')),
      "category" text not null,
      "action" text not null check ("action" in ('redact', 'block')),
      "created_at" timestamptz not null)`);
    this.addSql(`create index "moderation_flag_created_at" on "chat"."moderation_flag" ("created_at" desc, "id" desc)`);
    this.addSql(`create index "moderation_flag_owner" on "chat"."moderation_flag" ("owner_id")`);
  }
}
