import { Migration } from '@mikro-orm/migrations';

export class InitialChatSchema extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create schema if not exists "chat"`);
    this.addSql(`
      create table "chat"."conversation" (
        "id" uuid primary key,
        "owner_id" uuid not null,
        "title" text not null,
        "created_at" timestamptz not null,
        "updated_at" timestamptz not null
      )`);
    // The conversation list is always one owner's, newest first, paged by (updated_at, id).
    this.addSql(`create index "conversation_owner_recent" on "chat"."conversation" ("owner_id", "updated_at" desc, "id" desc)`);
    this.addSql(`
      create table "chat"."message" (
        "id" uuid primary key,
        "conversation_id" uuid not null references "chat"."conversation" ("id") on delete cascade,
        "role" text not null check ("role" in ('USER', 'ASSISTANT', 'SYSTEM')),
        "content" text not null,
        "status" text not null check ("status" in ('PENDING', 'STREAMING', 'COMPLETED', 'FAILED', 'CANCELLED')),
        "created_at" timestamptz not null
      )`);
    this.addSql(`create index "message_conversation_order" on "chat"."message" ("conversation_id", "created_at", "id")`);
  }
}
