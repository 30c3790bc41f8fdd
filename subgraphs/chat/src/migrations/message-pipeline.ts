import { Migration } from '@mikro-orm/migrations';

/**
 * What the durable message pipeline needs: the reply's outcome on the message,
 * the message tree, the outbox, idempotent sends, and full-text search.
 */
export class MessagePipeline extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table "chat"."message"
        add column "parent_id" uuid references "chat"."message" ("id") on delete cascade,
        add column "model" text,
        add column "last_seq" integer,
        add column "failure_code" text,
        add column "failure_reason" text,
        add column "updated_at" timestamptz,
        add column "search" tsvector generated always as (to_tsvector('simple', "content")) stored`);
    this.addSql(`update "chat"."message" set "updated_at" = "created_at"`);
    this.addSql(`alter table "chat"."message" alter column "updated_at" set not null`);
    this.addSql(`create index "message_parent" on "chat"."message" ("parent_id")`);
    this.addSql(`create index "message_search" on "chat"."message" using gin ("search")`);
    this.addSql(`
      alter table "chat"."conversation"
        add column "active_leaf_id" uuid,
        add column "title_generated" boolean not null default false,
        add column "search" tsvector generated always as (to_tsvector('simple', "title")) stored`);
    this.addSql(`create index "conversation_search" on "chat"."conversation" using gin ("search")`);
    // Idempotent sendMessage: one row per (user, clientMessageId), pointing at what the first request created.
    this.addSql(`
      create table "chat"."send_request" (
        "owner_id" uuid not null,
        "client_message_id" text not null,
        "conversation_id" uuid not null references "chat"."conversation" ("id") on delete cascade,
        "user_message_id" uuid not null,
        "assistant_message_id" uuid not null,
        "created_at" timestamptz not null,
        primary key ("owner_id", "client_message_id")
      )`);
    // Transactional outbox: written with the messages, published to Kafka by the relay.
    this.addSql(`
      create table "chat"."outbox" (
        "id" bigserial primary key,
        "topic" text not null,
        "key" text not null,
        "payload" jsonb not null,
        "created_at" timestamptz not null,
        "sent_at" timestamptz
      )`);
    this.addSql(`create index "outbox_unsent" on "chat"."outbox" ("id") where "sent_at" is null`);
  }
}
