import { Migration } from '@mikro-orm/migrations';

/** The durable cache tier, the quality records, and the language list moving into code (supported-languages.ts). */
export class TranslationCacheSchema extends Migration {
  override async up(): Promise<void> {
    this.addSql(`drop table if exists "translation"."language"`);
    this.addSql(`create table "translation"."cached_translation" (
      "key" text primary key,
      "translated_text" text not null,
      "source_language" text not null,
      "target_language" text not null,
      "provider" text not null,
      "model" text not null,
      "created_at" timestamptz not null default now())`);
    this.addSql(`create table "translation"."translation_quality" (
      "id" bigserial primary key,
      "provider" text not null,
      "model" text not null,
      "source_language" text not null,
      "target_language" text not null,
      "detected_language" text not null,
      "latency_ms" integer not null,
      "source_chars" integer not null,
      "length_ratio" real not null,
      "flagged" boolean not null,
      "created_at" timestamptz not null default now())`);
    this.addSql(`create index "translation_quality_created_at" on "translation"."translation_quality" ("created_at")`);
  }
}
