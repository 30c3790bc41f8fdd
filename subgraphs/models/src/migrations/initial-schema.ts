import { Migration } from '@mikro-orm/migrations';

export class InitialModelsSchema extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create schema if not exists "models"`);
    this.addSql(`
      create table "models"."model" (
        "id" text primary key,
        "provider" text not null,
        "display_name" text not null,
        "context_window" integer not null check ("context_window" > 0),
        "input_price_per_mtok" double precision not null check ("input_price_per_mtok" >= 0),
        "output_price_per_mtok" double precision not null check ("output_price_per_mtok" >= 0),
        "development" boolean not null default false,
        "updated_at" timestamptz not null
      )`);
  }
}
