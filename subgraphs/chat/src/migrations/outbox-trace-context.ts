import { Migration } from '@mikro-orm/migrations';

/**
 * The trace an outbox row belongs to (W3C traceparent of the request that wrote it), null when that request was
 * not traced: the relay publishes from its own context, and restores this one around the send so that the
 * message's trace goes on through Kafka to the worker.
 */
export class OutboxTraceContext extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "chat"."outbox" add column "traceparent" text null`);
  }
}
