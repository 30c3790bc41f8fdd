import { Migration } from '@mikro-orm/migrations';

/** Passwords, sessions with rotating refresh tokens, API keys, external identities, encrypted signing keys. */
export class AccountsAndSessions extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "users"."user" add column "password_hash" text null, add column "password_changed_at" timestamptz null`);

    // Signing keys were stored in the clear; they are replaced (tokens they signed expire within minutes).
    this.addSql(`delete from "users"."signing_key"`);
    this.addSql(`alter table "users"."signing_key" drop column "private_jwk", add column "private_key_ciphertext" text not null`);

    this.addSql(`
      create table "users"."session" (
        "id" uuid primary key,
        "user_id" uuid not null references "users"."user" ("id") on delete cascade,
        "user_agent" text null,
        "created_at" timestamptz not null,
        "last_used_at" timestamptz not null,
        "revoked_at" timestamptz null,
        "revoke_reason" text null
      )`);
    this.addSql(`create index "session_user" on "users"."session" ("user_id", "last_used_at" desc)`);
    this.addSql(`
      create table "users"."refresh_token" (
        "token_hash" text primary key,
        "session_id" uuid not null references "users"."session" ("id") on delete cascade,
        "created_at" timestamptz not null,
        "used_at" timestamptz null
      )`);
    this.addSql(`create index "refresh_token_session" on "users"."refresh_token" ("session_id")`);

    this.addSql(`
      create table "users"."api_key" (
        "id" uuid primary key,
        "user_id" uuid not null references "users"."user" ("id") on delete cascade,
        "name" text not null,
        "secret_hash" text not null,
        "scopes" text[] not null,
        "created_at" timestamptz not null,
        "last_used_at" timestamptz null,
        "revoked_at" timestamptz null
      )`);
    this.addSql(`create index "api_key_user" on "users"."api_key" ("user_id", "created_at" desc)`);

    this.addSql(`
      create table "users"."linked_identity" (
        "provider" text not null,
        "subject" text not null,
        "user_id" uuid not null references "users"."user" ("id") on delete cascade,
        "email" text not null,
        "linked_at" timestamptz not null,
        primary key ("provider", "subject")
      )`);
    this.addSql(`
      create table "users"."oidc_login_attempt" (
        "state" text primary key,
        "provider" text not null,
        "code_verifier" text not null,
        "nonce" text not null,
        "redirect_uri" text not null,
        "expires_at" timestamptz not null
      )`);
  }
}
