import { activeTraceparent } from '@parley/telemetry';
import { randomUUID } from 'node:crypto';
import type { SqlRunner } from '@parley/database';
import { Topics, type ChatMessageRequested } from '@parley/events';
import { Conversation } from './entities/conversation';
import { Message } from './entities/message';
import type { OutboxRow } from './outbox-relay';

/** One exchange to store: an optional question, the PENDING reply that answers it, and the request for that reply. */
export interface Turn {
  conversation: Conversation;
  /** The conversation is created by this turn (else its active leaf moves to the new reply). */
  newConversation: boolean;
  /** Absent when a reply is regenerated for an existing question. */
  userMessage: Message | null;
  assistantMessage: Message;
  request: ChatMessageRequested;
  /** Recorded so that a retry of the same sendMessage finds this turn. */
  clientMessageId: string | null;
}

/**
 * Builds a turn in memory: ids, times and the objects the API returns, so
 * nothing has to be read back after writing. The reply is 1 ms younger than the
 * question, so history ordered by time shows the question first.
 */
export function newTurn({
  ownerId,
  conversation,
  parentId,
  question,
  answersMessageId,
  model,
  at,
  clientMessageId = null,
  translateTo = null,
}: {
  ownerId: string;
  /** An existing conversation, or the title of a new one. */
  conversation: Conversation | { newTitle: string };
  /** What the question follows (the active leaf, or the edited message's parent). */
  parentId: string | null;
  /** The question's text; null when the reply answers `answersMessageId`. */
  question: string | null;
  answersMessageId?: string;
  model: string;
  at: Date;
  clientMessageId?: string | null;
  /** The user's language when they asked for replies translated; carried to the completed event. */
  translateTo?: string | null;
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
    Object.assign(m, { model: null, lastSeq: null, failureCode: null, failureReason: null });
    return m;
  };
  const userMessage = question === null ? null : message('USER', question, 'COMPLETED', parentId, at);
  const repliedAt = question === null ? at : new Date(at.getTime() + 1);
  const questionId = userMessage?.id ?? answersMessageId!;
  const assistantMessage = message('ASSISTANT', '', 'PENDING', questionId, repliedAt);
  c.activeLeafId = assistantMessage.id;
  c.updatedAt = repliedAt;
  return {
    conversation: c,
    newConversation,
    userMessage,
    assistantMessage,
    clientMessageId,
    request: {
      conversationId: c.id,
      userId: ownerId,
      userMessageId: questionId,
      assistantMessageId: assistantMessage.id,
      model,
      requestedAt: at.toISOString(),
      translateTo,
    },
  };
}

/**
 * Writes a turn in ONE statement (data-modifying CTEs): the conversation
 * (created, or its active leaf moved), the messages, the outbox row and the
 * idempotency record. sendMessage's transaction is then lock, check, write,
 * commit — its round trips to PostgreSQL are most of its cost.
 */
export async function writeTurn(trx: SqlRunner, turn: Turn): Promise<OutboxRow> {
  const { conversation: c } = turn;
  const parts: string[] = [];
  const params: (string | number | boolean | Date | null)[] = [];
  if (turn.newConversation) {
    parts.push(`c as (insert into "chat"."conversation" (id, owner_id, title, created_at, updated_at, title_generated, active_leaf_id)
      values (?, ?, ?, ?, ?, false, ?))`);
    params.push(c.id, c.ownerId, c.title, c.createdAt, c.updatedAt, c.activeLeafId);
  } else {
    parts.push(`c as (update "chat"."conversation" set active_leaf_id = ?, updated_at = ? where id = ?)`);
    params.push(c.activeLeafId, c.updatedAt, c.id);
  }
  const messages = [turn.userMessage, turn.assistantMessage].filter((m): m is Message => m !== null);
  parts.push(`m as (insert into "chat"."message" (id, conversation_id, role, content, status, created_at, updated_at, parent_id)
    values ${messages.map(() => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ')})`);
  for (const m of messages) params.push(m.id, m.conversationId, m.role, m.content, m.status, m.createdAt, m.updatedAt, m.parentId);
  // The outbox row: published to Kafka by the relay if and only if this transaction commits.
  // With the request's trace (when it is traced), which the relay continues from its own context.
  const traceparent = activeTraceparent();
  parts.push(
    `o as (insert into "chat"."outbox" (topic, key, payload, created_at, traceparent) values (?, ?, ?::jsonb, ?, ?) returning id)`,
  );
  params.push(Topics.chatMessageRequested, c.id, JSON.stringify(turn.request), turn.assistantMessage.createdAt, traceparent);
  if (turn.clientMessageId) {
    parts.push(`r as (insert into "chat"."send_request" (owner_id, client_message_id, conversation_id, user_message_id, assistant_message_id, created_at)
      values (?, ?, ?, ?, ?, ?))`);
    params.push(
      c.ownerId,
      turn.clientMessageId,
      c.id,
      turn.userMessage?.id ?? turn.request.userMessageId,
      turn.assistantMessage.id,
      turn.assistantMessage.createdAt,
    );
  }
  const { rows } = await trx.raw(`with ${parts.join(',\n')} select id from o`, params);
  return { id: String(rows[0].id), topic: Topics.chatMessageRequested, key: c.id, payload: turn.request, traceparent };
}
