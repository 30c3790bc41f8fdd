import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import {
  ConversationsWithOwnersDocument,
  ConversationUsageDocument,
  MessageStateDocument,
  MyBudgetDocument,
  SendMessageDocument,
  type MessageStateQuery,
} from '@parley/client';
import { errorFormats, isKnownErrorCode } from '@parley/errors';
import { echoReply, registerUser, type RegisteredUser } from '@parley/testing/parley-client';
import { final, request, STALL_MS, STREAM_STALLED, type Load, type Question } from './load';
import { INSTANT_MODEL } from './priced-models';
import { sleep, waitFor } from './wait';

/**
 * The promises Parley makes whatever fails, checked the same way after every scenario, through the API as a
 * user would check them:
 *
 * - every question accepted, and answered by exactly one assistant reply;
 * - every reply in a terminal state, COMPLETED (replies failed: 0, for outages under 30 s), with the content
 *   the model wrote ("Echo: " and the question);
 * - every subscriber received seqs 1, 2, … n with no gap and none twice, over however many resumptions, one
 *   final event last, and text equal to the stored content;
 * - each reply charged once: its usage equal to that of the same question answered when nothing fails (asked
 *   again afterwards on the instant model, priced alike), and each user's budget equal to their usage.
 */
export interface Verdict {
  violations: string[];
  questions: number;
  accepted: number;
  completed: number;
  failed: number;
  /** Failure codes of the replies that failed. */
  failureCodes: Record<string, number>;
}

export interface CheckOptions {
  gatewayUrls: string[];
  tag: string;
  /**
   * The fault took away the budgets' store (Redis): a budget may then count less than the usage (budgets
   * degrade on purpose while it is gone), never more.
   */
  budgetStoreDown: boolean;
}

type StoredReply = NonNullable<MessageStateQuery['message']>;
type Usage = { promptTokens: number; completionTokens: number; costUsd: number };

const TERMINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);
const TERMINAL_PATIENCE_MS = 120_000;
/** Usage records and budget settlements land just after a reply ends. */
const SETTLE_PATIENCE_MS = 20_000;
const MICRO = 1e-6;

/** Reads through whichever gateway answers: the checks judge the scenario, not the gateways' recovery. */
async function read<T, V extends Record<string, unknown>>(
  urls: string[],
  document: TypedDocumentNode<T, V>,
  token: string,
  variables?: V,
): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (let i = 0; ; i++) {
    const outcome = await request(urls[i % urls.length]!, document, { token, ...(variables ? { variables } : {}) });
    if (outcome.ok && outcome.data) return outcome.data;
    if (Date.now() > deadline) throw new Error(`The checks could not read through any gateway: ${outcome.code}`);
    await sleep(200);
  }
}

const label = (q: Question) => `client ${q.client}, "${q.content.slice(0, 24)}…" (reply ${q.replyId ?? 'none'})`;

/** Where two strings first differ, for a message a person can follow. */
function firstDifference(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/** The stream a subscriber saw, against the seqs 1…n and one final event last. */
function streamViolations(q: Question): string[] {
  const out: string[] = [];
  if (q.gaveUp) out.push(`the subscriber gave up: ${q.gaveUp}`);
  const stalled = q.subscriptions.filter((s) => s.ended === STREAM_STALLED).length;
  if (stalled) out.push(`the stream went silent for ${STALL_MS / 1000} s ${stalled} time(s), until the client resubscribed`);
  for (const [i, event] of q.events.entries()) {
    const expected = i + 1;
    if (event.seq === expected) continue;
    const previous = q.events[i - 1]?.seq ?? 0;
    out.push(event.seq <= previous ? `seq ${event.seq} received twice (after ${previous})` : `a gap: seq ${previous} then ${event.seq}`);
    break;
  }
  const finals = q.events.filter((e) => e.kind !== 'delta');
  if (finals.length > 1) out.push(`${finals.length} final events`);
  if (finals.length === 1 && q.events.at(-1)!.kind === 'delta') out.push('deltas after the final event');
  return out;
}

export async function checkInvariants(load: Load, { gatewayUrls, tag, budgetStoreDown }: CheckOptions): Promise<Verdict> {
  const violations: string[] = [];
  const accepted = load.questions.filter((q) => q.replyId);
  for (const q of load.questions) if (!q.replyId) violations.push(`${label(q)}: never accepted: ${q.refusal ?? 'the load stopped first'}`);

  // Every reply in a terminal state.
  const stored = new Map<Question, StoredReply>();
  const deadline = Date.now() + TERMINAL_PATIENCE_MS;
  await Promise.all(
    accepted.map(async (q) => {
      for (;;) {
        const { message } = await read(gatewayUrls, MessageStateDocument, q.user.token, { id: q.replyId! });
        if (message) stored.set(q, message);
        if ((message && TERMINAL.has(message.status)) || Date.now() > deadline) return;
        await sleep(250);
      }
    }),
  );
  const failureCodes: Record<string, number> = {};
  for (const q of accepted) {
    const reply = stored.get(q);
    if (!reply) {
      violations.push(`${label(q)}: the reply is not there`);
      continue;
    }
    if (!TERMINAL.has(reply.status))
      violations.push(`${label(q)}: still ${reply.status} ${TERMINAL_PATIENCE_MS / 1000} s after the load stopped`);
    if (reply.status === 'FAILED') {
      failureCodes[reply.failure?.code ?? '?'] = (failureCodes[reply.failure?.code ?? '?'] ?? 0) + 1;
      violations.push(`${label(q)}: FAILED with ${reply.failure?.code}: ${reply.failure?.reason}`);
    }
    if (reply.status === 'CANCELLED') violations.push(`${label(q)}: CANCELLED, and nobody cancelled it`);
    if (reply.status === 'COMPLETED' && reply.content !== echoReply(q.content)) {
      const at = firstDifference(reply.content, echoReply(q.content));
      violations.push(
        `${label(q)}: the stored content is not the model's reply (they differ from character ${at}: "${reply.content.slice(at, at + 30)}")`,
      );
    }
    // What the subscriber saw, against what is stored.
    violations.push(...streamViolations(q).map((v) => `${label(q)}: ${v}`));
    const streamed = q.events.map((e) => e.delta ?? '').join('');
    const end = final(q);
    if (TERMINAL.has(reply.status) && !q.gaveUp) {
      // A failed reply too: what it stored is what its subscribers were sent, no more, no less.
      if (streamed !== reply.content) {
        const at = firstDifference(streamed, reply.content);
        violations.push(
          `${label(q)}: the streamed text (${streamed.length} chars) is not the stored content (${reply.content.length} chars); they differ from character ${at}`,
        );
      }
      if (!end) violations.push(`${label(q)}: no final event reached the subscriber`);
      else if (end.kind === 'completed' && (reply.status !== 'COMPLETED' || end.content !== reply.content))
        violations.push(`${label(q)}: MessageCompleted carried other content than the stored ${reply.status} reply`);
      else if (end.kind === 'failed' && reply.status !== 'FAILED')
        violations.push(`${label(q)}: MessageFailed for a ${reply.status} reply`);
      if (end && end.seq !== reply.lastSeq)
        violations.push(`${label(q)}: the final event's seq ${end.seq} is not the stored lastSeq ${reply.lastSeq}`);
    }
  }

  violations.push(...whatClientsWereTold(load));
  violations.push(...(await exactlyOneReplyEach(load, gatewayUrls)));
  violations.push(...(await chargedOnce(load, stored, { gatewayUrls, tag, budgetStoreDown })));

  const completed = accepted.filter((q) => stored.get(q)?.status === 'COMPLETED').length;
  const failed = accepted.filter((q) => stored.get(q)?.status === 'FAILED').length;
  return { violations, questions: load.questions.length, accepted: accepted.length, completed, failed, failureCodes };
}

/** A connection to a gateway that is gone (refused, reset, a WebSocket closed under the client): what a dead process looks like. */
const TRANSPORT = /^(ECONNREFUSED|ECONNRESET|EPIPE|UND_ERR_SOCKET|NETWORK_ERROR|WS_CLOSE_\d+|WS_UNREACHABLE)$/;

/**
 * What a client may be told of an outage: a retriable Parley code (UPSTREAM_UNAVAILABLE: try again), or
 * nothing at all from a gateway that is gone. Never INTERNAL_SERVER_ERROR, a permanent code for a passing
 * fault, a body that is not a GraphQL response, a request left hanging past the client's 20 s, a stream that
 * ends without its final event.
 */
function whatClientsWereTold(load: Load): string[] {
  const seen = new Map<string, { n: number; message: string }>();
  for (const e of load.errors) {
    if (TRANSPORT.test(e.code) || e.code === STREAM_STALLED) continue; // (stalls are the stream checks')
    if (isKnownErrorCode(e.code) && errorFormats[e.code].retriable) continue;
    const key = `${e.op} ${e.code}`;
    seen.set(key, { n: (seen.get(key)?.n ?? 0) + 1, message: seen.get(key)?.message ?? e.message });
  }
  return [...seen].map(
    ([key, { n, message }]) =>
      `clients were told ${key} ×${n} ("${message.slice(0, 160)}"): an outage must read as a retriable UPSTREAM_UNAVAILABLE`,
  );
}

/** Each user's conversations: one per question asked, each with that question and exactly one reply. */
async function exactlyOneReplyEach(load: Load, gatewayUrls: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const user of load.users) {
    const asked = load.questions.filter((q) => q.user === user);
    const { conversations } = await read(gatewayUrls, ConversationsWithOwnersDocument, user.token, { first: 100 });
    const seen = new Map<string, number>();
    for (const { node } of conversations.edges) {
      const messages = node.messages.edges.map((e) => e.node);
      const questions = messages.filter((m) => m.role === 'USER');
      const replies = messages.filter((m) => m.role === 'ASSISTANT');
      for (const m of questions) seen.set(m.content, (seen.get(m.content) ?? 0) + 1);
      const q = asked.find((a) => a.conversationId === node.id);
      if (!q) {
        out.push(`${user.email}: conversation ${node.id} ("${node.title}") answers no question the client was told was accepted`);
        continue;
      }
      if (questions.length !== 1 || questions[0]!.content !== q.content)
        out.push(`${label(q)}: its conversation holds ${questions.length} questions`);
      if (replies.length !== 1 || replies[0]!.id !== q.replyId)
        out.push(`${label(q)}: ${replies.length} assistant replies to one question`);
    }
    for (const [content, n] of seen) if (n > 1) out.push(`${user.email}: "${content.slice(0, 24)}…" was stored ${n} times`);
    for (const q of asked)
      if (q.conversationId && !conversations.edges.some((e) => e.node.id === q.conversationId))
        out.push(`${label(q)}: its conversation is gone`);
  }
  return out;
}

async function usageOf(gatewayUrls: string[], token: string, conversationId: string): Promise<Map<string, Usage | null>> {
  const { conversation } = await read(gatewayUrls, ConversationUsageDocument, token, { id: conversationId });
  return new Map(
    (conversation?.messages.edges ?? []).filter((e) => e.node.role === 'ASSISTANT').map((e) => [e.node.id, e.node.usage ?? null] as const),
  );
}

/**
 * Each completed reply costs what the same question costs when nothing fails, and each user's budget counts
 * what their replies cost: an attempt cut by a crash and resumed is not charged a second time.
 */
async function chargedOnce(
  load: Load,
  stored: Map<Question, StoredReply>,
  { gatewayUrls, tag, budgetStoreDown }: CheckOptions,
): Promise<string[]> {
  const out: string[] = [];
  const completed = [...stored].filter(([, reply]) => reply.status === 'COMPLETED').map(([q]) => q);
  const twin: RegisteredUser = await registerUser(gatewayUrls[0]!, `${tag}-twin@faults.example`);
  const twins = new Map<Question, Usage | null>();
  // The same questions again on the instant model, a few at a time: what each costs when nothing fails.
  for (let i = 0; i < completed.length; i += 4) {
    await Promise.all(
      completed.slice(i, i + 4).map(async (q) => {
        const sent = await request(gatewayUrls[0]!, SendMessageDocument, {
          token: twin.token,
          variables: { input: { content: q.content, model: INSTANT_MODEL } },
        });
        if (!sent.ok || !sent.data) return void out.push(`${label(q)}: its twin could not be asked (${sent.code})`);
        const { conversation, assistantMessage } = sent.data.sendMessage;
        let usage: Usage | null = null;
        await waitFor(async () => {
          usage = (await usageOf(gatewayUrls, twin.token, conversation.id)).get(assistantMessage.id) ?? null;
          return usage !== null;
        }, SETTLE_PATIENCE_MS + 30_000);
        twins.set(q, usage);
      }),
    );
  }

  const charged = new Map<Question, Usage | null>();
  await waitFor(async () => {
    for (const q of completed) charged.set(q, (await usageOf(gatewayUrls, q.user.token, q.conversationId!)).get(q.replyId!) ?? null);
    return completed.every((q) => charged.get(q) !== null);
  }, SETTLE_PATIENCE_MS);
  for (const q of completed) {
    const usage = charged.get(q);
    const expected = twins.get(q);
    if (!usage) out.push(`${label(q)}: completed, and no usage recorded for it`);
    else if (!expected) out.push(`${label(q)}: its twin's usage never appeared`);
    else if (
      usage.promptTokens !== expected.promptTokens ||
      usage.completionTokens !== expected.completionTokens ||
      Math.abs(usage.costUsd - expected.costUsd) > MICRO / 2
    ) {
      out.push(
        `${label(q)}: charged ${usage.promptTokens}+${usage.completionTokens} tokens, $${usage.costUsd.toFixed(6)}; ` +
          `the same question costs ${expected.promptTokens}+${expected.completionTokens} tokens, $${expected.costUsd.toFixed(6)}`,
      );
    }
  }

  // Each user's budget against their usage, once both have settled.
  for (const user of load.users) {
    const mine = load.questions.filter((q) => q.user === user && q.conversationId);
    let spent = 0;
    let used = 0;
    const consistent = () => (budgetStoreDown ? spent <= used + MICRO * mine.length : Math.abs(spent - used) <= MICRO * mine.length);
    await waitFor(async () => {
      used = 0;
      for (const q of mine) used += (await usageOf(gatewayUrls, user.token, q.conversationId!)).get(q.replyId!)?.costUsd ?? 0;
      spent = (await read(gatewayUrls, MyBudgetDocument, user.token)).myBudget.spentTodayUsd;
      return consistent();
    }, SETTLE_PATIENCE_MS);
    if (!consistent()) {
      out.push(`${user.email}: the budget counts $${spent.toFixed(6)} spent today; the usage of their replies is $${used.toFixed(6)}`);
    }
  }
  return out;
}
