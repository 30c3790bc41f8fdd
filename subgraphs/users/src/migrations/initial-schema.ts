import { Migration } from '@mikro-orm/migrations';

export class InitialUsersSchema extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create schema if not exists "users"`);
    this.addSql(`
      create table "users"."user" (
        "id" uuid primary key,
        "email" text not null,
        "display_name" text not null,
        "roles" text[] not null default '{user}',
        "preferred_language" text not null default 'en',
        "default_model" text null,
        "auto_translate" boolean not null default false,
        "created_at" timestamptz not null,
        "updated_at" timestamptz not null,
        constraint "user_email_unique" unique ("email"),
        constraint "user_email_normalized" check ("email" = lower(btrim("email")))
      )`);
    this.addSql(`
      create table "users"."signing_key" (
        "kid" text primary key,
        "algorithm" text not null,
        "public_jwk" jsonb not null,
        "private_jwk" jsonb not null,
        "created_at" timestamptz not null,
        "retired_at" timestamptz null
      )`);
  }
}
