import { Migration } from '@mikro-orm/migrations';

/**
 * The outbox sweep's lease: one row naming the relay that sweeps, until when. It replaces a
 * transaction-scoped advisory lock, which held a transaction open for as long as Kafka took to answer.
 */
export class OutboxLease extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table "chat"."outbox_lease" (
        "name" text primary key,
        "holder" text not null,
        "expires_at" timestamptz not null
      )`);
  }
}
