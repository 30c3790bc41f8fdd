import { Migration } from '@mikro-orm/migrations';

export class UsageRecords extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table "models"."usage_record" (
        "id" uuid primary key,
        "user_id" uuid not null,
        "api_key_id" uuid null,
        "message_id" uuid null,
        "model" text not null,
        "deployment" text not null,
        "prompt_tokens" integer not null check ("prompt_tokens" >= 0),
        "completion_tokens" integer not null check ("completion_tokens" >= 0),
        "cost_usd" double precision not null check ("cost_usd" >= 0),
        "latency_ms" integer not null,
        "time_to_first_token_ms" integer null,
        "outcome" text not null check ("outcome" in ('ok', 'error', 'cancelled', 'cached')),
        "created_at" timestamptz not null
      )`);
    this.addSql(`create index "usage_record_user_time" on "models"."usage_record" ("user_id", "created_at")`);
    this.addSql(`create index "usage_record_message" on "models"."usage_record" ("message_id") where "message_id" is not null`);
  }
}
