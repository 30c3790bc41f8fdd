import { activeTraceparent } from '@parley/telemetry';
import { randomUUID } from 'node:crypto';
import type { SqlRunner } from '@parley/database';
import { Topics, type ChatMessageRequested } from '@parley/events';
import { Conversation } from './entities/conversation';
import { Message } from './entities/message';
import type { OutboxRow } from './outbox-relay';

/** One exchange to store: an optional question, the PENDING replies that answer it, and the request for each. */
export interface Turn {
  conversation: Conversation;
  /** The conversation is created by this turn (else its active leaf moves to the first new reply). */
  newConversation: boolean;
  /** Absent when a reply is regenerated for an existing question. */
  userMessage: Message | null;
  /** The first of `assistantMessages`: the conversation's new active leaf. */
  assistantMessage: Message;
  /** One reply per model asked, in that order; siblings under the question. */
  assistantMessages: Message[];
  /** The request for each reply, in the same order, with the Kafka key it is published under. */
  requests: { key: string; payload: ChatMessageRequested }[];
  /** Recorded so that a retry of the same sendMessage finds this turn. */
  clientMessageId: string | null;
}

/**
 * Builds a turn in memory: ids, times and the objects the API returns, so
 * nothing has to be read back after writing. The replies are 1, 2, 3 ms
 * younger than the question, so history ordered by time shows the question
 * first and siblings list compared replies in the order their models were asked.
 *
 * Kafka keys: a request keyed like the one before it in its branch waits for
 * it (the worker handles one key's requests in order), which is what a reply
 * that continues a branch needs. So the first reply takes the key of the reply
 * the question follows (`followsKey`; the conversation id for most), and each
 * further compared reply a key of its own (`<conversation id>/<reply id>`),
 * to be generated beside the first rather than after it. A reply's key is
 * stored with it (`message.request_key`, null when it is the conversation id)
 * for the replies that will follow it.
 */
export function newTurn({
  ownerId,
  conversation,
  parentId,
  question,
  answersMessageId,
  models,
  at,
  clientMessageId = null,
  translateTo = null,
  followsKey = null,
}: {
  ownerId: string;
  /** An existing conversation, or the title of a new one. */
  conversation: Conversation | { newTitle: string };
  /** What the question follows (the active leaf, or the edited message's parent). */
  parentId: string | null;
  /** The question's text; null when the reply answers `answersMessageId`. */
  question: string | null;
  answersMessageId?: string;
  /** The model of each reply, at least one; the first reply becomes the active branch. */
  models: readonly [string, ...string[]];
  at: Date;
  clientMessageId?: string | null;
  /** The user's language when they asked for replies translated; carried to the completed event. */
  translateTo?: string | null;
  /** The stored request key of the reply the question follows (null: the conversation id). */
  followsKey?: string | null;
}): Turn {
  const newConversation = !(conversation instanceof Conversation);
  const c = conversation instanceof Conversation ? conversation : new Conversation();
  if (newConversation) {
    c.id = randomUUID();
    c.ownerId = ownerId;
    c.title = (conversation as { newTitle: string }).newTitle;
    c.createdAt = at;
    c.titleGenerated = false;
  }
  const message = (role: 'USER' | 'ASSISTANT', content: string, status: Message['status'], parent: string | null, time: Date) => {
    const m = new Message();
    Object.assign(m, { id: randomUUID(), conversationId: c.id, role, content, status, createdAt: time, updatedAt: time, parentId: parent });
    Object.assign(m, { model: null, requestedModel: null, lastSeq: null, failureCode: null, failureReason: null });
    return m;
  };
  const userMessage = question === null ? null : message('USER', question, 'COMPLETED', parentId, at);
  const firstReplyAt = question === null ? at.getTime() : at.getTime() + 1;
  const questionId = userMessage?.id ?? answersMessageId!;
  const requests: Turn['requests'] = [];
  const assistantMessages = models.map((model, i) => {
    const reply = message('ASSISTANT', '', 'PENDING', questionId, new Date(firstReplyAt + i));
    reply.requestedModel = model;
    const key = i === 0 ? (followsKey ?? c.id) : `${c.id}/${reply.id}`;
    requests.push({
      key,
      payload: {
        conversationId: c.id,
        userId: ownerId,
        userMessageId: questionId,
        assistantMessageId: reply.id,
        model,
        requestedAt: at.toISOString(),
        translateTo,
      },
    });
    return reply;
  });
  const first = assistantMessages[0]!;
  c.activeLeafId = first.id;
  c.updatedAt = assistantMessages.at(-1)!.createdAt;
  return { conversation: c, newConversation, userMessage, assistantMessage: first, assistantMessages, clientMessageId, requests };
}

/**
 * Writes a turn in ONE statement (data-modifying CTEs): the conversation
 * (created, or its active leaf moved), the messages, an outbox row per reply
 * and the idempotency record. sendMessage's transaction is then lock, check,
 * write, commit — its round trips to PostgreSQL are most of its cost.
 * Answers the outbox rows in the order of the turn's replies.
 */
export async function writeTurn(trx: SqlRunner, turn: Turn): Promise<OutboxRow[]> {
  const { conversation: c } = turn;
  const parts: string[] = [];
  const params: (string | number | boolean | Date | string[] | null)[] = [];
  if (turn.newConversation) {
    parts.push(`c as (insert into "chat"."conversation" (id, owner_id, title, created_at, updated_at, title_generated, active_leaf_id)
      values (?, ?, ?, ?, ?, false, ?))`);
    params.push(c.id, c.ownerId, c.title, c.createdAt, c.updatedAt, c.activeLeafId);
  } else {
    parts.push(`c as (update "chat"."conversation" set active_leaf_id = ?, updated_at = ? where id = ?)`);
    params.push(c.activeLeafId, c.updatedAt, c.id);
  }
  const keyOf = new Map(turn.requests.map((r) => [r.payload.assistantMessageId, r.key]));
  const messages = [turn.userMessage, ...turn.assistantMessages].filter((m): m is Message => m !== null);
  parts.push(`m as (insert into "chat"."message" (id, conversation_id, role, content, status, created_at, updated_at, parent_id, requested_model, request_key)
    values ${messages.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')})`);
  for (const m of messages) {
    const key = keyOf.get(m.id);
    params.push(m.id, m.conversationId, m.role, m.content, m.status, m.createdAt, m.updatedAt, m.parentId, m.requestedModel);
    params.push(key === undefined || key === c.id ? null : key);
  }
  // The outbox rows: published to Kafka by the relay if and only if this transaction commits.
  // With the request's trace (when it is traced), which the relay continues from its own context.
  const traceparent = activeTraceparent();
  parts.push(
    `o as (insert into "chat"."outbox" (topic, key, payload, created_at, traceparent) values ${turn.requests
      .map(() => '(?, ?, ?::jsonb, ?, ?)')
      .join(', ')} returning id, payload->>'assistantMessageId' as reply)`,
  );
  for (const [i, request] of turn.requests.entries()) {
    params.push(
      Topics.chatMessageRequested,
      request.key,
      JSON.stringify(request.payload),
      turn.assistantMessages[i]!.createdAt,
      traceparent,
    );
  }
  if (turn.clientMessageId) {
    parts.push(`r as (insert into "chat"."send_request" (owner_id, client_message_id, conversation_id, user_message_id, assistant_message_id, assistant_message_ids, created_at)
      values (?, ?, ?, ?, ?, ?::uuid[], ?))`);
    params.push(
      c.ownerId,
      turn.clientMessageId,
      c.id,
      turn.userMessage?.id ?? turn.requests[0]!.payload.userMessageId,
      turn.assistantMessage.id,
      turn.assistantMessages.map((m) => m.id),
      turn.assistantMessage.createdAt,
    );
  }
  const { rows } = await trx.raw(`with ${parts.join(',\n')} select id, reply from o`, params);
  const idOf = new Map((rows as { id: string | number; reply: string }[]).map((row) => [row.reply, String(row.id)]));
  return turn.requests.map((request) => ({
    id: idOf.get(request.payload.assistantMessageId)!,
    topic: Topics.chatMessageRequested,
    key: request.key,
    payload: request.payload,
    traceparent,
  }));
}
