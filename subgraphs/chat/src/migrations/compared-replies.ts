import { Migration } from '@mikro-orm/migrations';

/**
 * What asking several models at once (sendMessage's `models`) needs:
 * - `message.requested_model`: the model a reply was asked of, stored with the reply, so that a client can label
 *   each compared reply while it is still PENDING or STREAMING (or FAILED before any model was charged), which
 *   `Message.model` (the models service's usage record) cannot;
 * - `message.request_key`: the Kafka key of the reply's chat.message.requested when it is not the conversation id.
 *   Compared replies are generated side by side, so all but the first get a key of their own; a reply that follows
 *   one of them (a follow-up question, an edit, a regeneration) takes the same key, so that it is still generated
 *   after it (see turn-writer.ts);
 * - `send_request.assistant_message_ids`: every reply an idempotent send created, in order (null on rows written
 *   before: their one reply is `assistant_message_id`).
 */
export class ComparedReplies extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "chat"."message" add column "requested_model" text null, add column "request_key" text null`);
    this.addSql(`alter table "chat"."send_request" add column "assistant_message_ids" uuid[] null`);
  }
}
