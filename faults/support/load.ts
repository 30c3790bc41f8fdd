import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { MessageStreamDocument, SendMessageDocument, type MessageStreamSubscription } from '@parley/client';
import { errorFormats, isKnownErrorCode } from '@parley/errors';
import { postGraphQL } from '@parley/testing';
import { questionOfWords, registerUser, type RegisteredUser } from '@parley/testing/parley-client';
import { print, type DocumentNode } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { SLOW_MODEL } from './priced-models';
import { sleep, waitFor } from './wait';

/**
 * The clients of a scenario: people who ask a question, follow its reply over graphql-ws, and ask the next,
 * doing what a well-behaved client does when something fails (retry what the error table calls retriable,
 * resend with the same idempotency key, resume the stream with `afterSeq`, move to another gateway when
 * theirs is gone), and a prober that asks a small query every 200 ms. Everything they see is recorded,
 * with its time, for the invariants and the figures.
 */

export type Operation = 'send' | 'stream' | 'probe' | 'in-flight';

/** One thing a client saw go wrong: a GraphQL error code, an HTTP status without GraphQL errors, or a transport failure. */
export interface ClientError {
  at: number;
  op: Operation;
  code: string;
  /** What the client was told (the error's message, or the transport failure's). */
  message: string;
  gateway: number;
}

export interface StreamEvent {
  at: number;
  seq: number;
  kind: 'delta' | 'completed' | 'failed';
  delta?: string;
  /** MessageCompleted: the message as the stream delivered it. */
  content?: string;
  status?: string;
  /** MessageFailed */
  code?: string;
  reason?: string;
}

export interface Question {
  client: number;
  user: RegisteredUser;
  content: string;
  clientMessageId: string;
  askedAt: number;
  acceptedAt: number | null;
  conversationId: string | null;
  replyId: string | null;
  /** Why the question was never accepted (a permanent refusal, or retriable ones past the client's patience). */
  refusal: string | null;
  /** Every event the subscriber received, in arrival order, over every (re)subscription. */
  events: StreamEvent[];
  /** Each subscription the client opened for the reply: which gateway, from which seq, how it ended. */
  subscriptions: { at: number; gateway: number; afterSeq: number; ended: string }[];
  /** Why the subscriber stopped without a final event. */
  gaveUp: string | null;
}

export interface RequestRecord {
  op: Operation;
  gateway: number;
  startedAt: number;
  endedAt: number;
  ok: boolean;
  code?: string;
}

export interface LoadOptions {
  gatewayUrls: string[];
  clients: number;
  /** Tag of the scenario: names its users and its questions. */
  tag: string;
  /** Words per question (the reply is "Echo: " and the question, a word every TOKEN_DELAY_MS). */
  words?: number;
}

/** How long a client keeps resending one question, and following one reply, before it gives up. */
const SEND_PATIENCE_MS = 90_000;
const FOLLOW_PATIENCE_MS = 120_000;
const REQUEST_TIMEOUT_MS = 20_000;
/** A subscription that brings nothing for this long is treated as dead, and resumed (a reply's words come every 150 ms). */
export const STALL_MS = 45_000;
export const STREAM_STALLED = 'STREAM_STALLED';

const PROBE = `query FaultProbe { me { id } models { id } conversations(first: 1) { edges { node { id } } } }`;

/** What a client does with an error code: give up on those the error table calls not retriable. */
export function isPermanent(code: string): boolean {
  return isKnownErrorCode(code) && !errorFormats[code].retriable;
}

interface Outcome<T> {
  data?: T | null;
  ok: boolean;
  code?: string;
  message?: string;
  /** The gateway could not be reached or answered nothing usable: try another. */
  transport?: boolean;
}

function transportCode(error: unknown): string {
  const e = error as { name?: string; code?: string; cause?: { code?: string; name?: string } };
  if (e?.name === 'TimeoutError' || e?.cause?.name === 'TimeoutError') return 'CLIENT_TIMEOUT';
  if (e?.name === 'SyntaxError') return 'NOT_JSON';
  return e?.cause?.code ?? e?.code ?? 'NETWORK_ERROR';
}

/** One GraphQL request over HTTP, never waiting longer than a client would. */
export async function request<T, V extends Record<string, unknown>>(
  url: string,
  document: TypedDocumentNode<T, V> | DocumentNode | string,
  { token, variables }: { token: string; variables?: V },
): Promise<Outcome<T>> {
  try {
    const { status, body } = await postGraphQL(url, document, {
      token,
      ...(variables ? { variables } : {}),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const error = body.errors?.[0];
    if (error) {
      const where = error.path ? ` (at ${error.path.join('.')})` : '';
      return {
        data: body.data ?? null,
        ok: false,
        code: String(error.extensions?.['code'] ?? `HTTP_${status}`),
        message: `${error.message}${where}`,
      };
    }
    // A body that is not a GraphQL response (e.g. a bare `{"error":"internal"}`) is a failure of its own kind.
    if (status !== 200 || !body.data) return { ok: false, code: `HTTP_${status}_NOT_GRAPHQL`, message: JSON.stringify(body).slice(0, 200) };
    return { data: body.data, ok: true };
  } catch (error) {
    const code = transportCode(error);
    return { ok: false, code, message: String((error as Error)?.message ?? error), transport: code !== 'NOT_JSON' };
  }
}

export class Load {
  readonly questions: Question[] = [];
  readonly errors: ClientError[] = [];
  readonly requests: RequestRecord[] = [];
  /** Subscriptions cut under a client (socket closed or refused), by gateway. */
  readonly disconnects: { at: number; gateway: number; code: string }[] = [];
  readonly users: RegisteredUser[] = [];
  private stopping = false;
  private loops: Promise<void>[] = [];
  private current: (Question | null)[] = [];
  private readonly sockets = new Set<{ dispose(): void | Promise<void> }>();

  private constructor(private readonly options: Required<LoadOptions>) {}

  static async start(options: LoadOptions): Promise<Load> {
    const load = new Load({ words: 50, ...options });
    for (let i = 0; i < options.clients; i++) {
      load.users.push(await registerUser(options.gatewayUrls[0]!, `${options.tag}-client${i}@faults.example`));
    }
    load.current = load.users.map(() => null);
    load.loops = load.users.map((user, i) => load.client(i, user));
    load.loops.push(load.prober(load.users[0]!));
    return load;
  }

  /** At least `clients` of the clients have a reply streaming: a few deltas received, no final event yet. */
  midReply(clients: number): boolean {
    return this.current.filter((q) => q?.replyId && !final(q) && q.events.length >= 3).length >= clients;
  }

  /** Every client has had a question accepted after `at` answered to its end (or gave up on it). */
  everyClientAnsweredAfter(at: number): boolean {
    return this.users.every((_, i) =>
      this.questions.some((q) => q.client === i && q.acceptedAt !== null && q.acceptedAt >= at && (final(q) || q.gaveUp)),
    );
  }

  /** The clients ask nothing more, and finish following what they asked (within their own patience). */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.loops);
    for (const socket of this.sockets) await socket.dispose();
  }

  /**
   * `document` sent through gateway `gateway`, `concurrency` requests at a time, until `stop()`, which answers
   * every request made: a service given SIGTERM meanwhile must finish those it holds.
   */
  rolling(gateway: number, document: string, concurrency = 4): { records: RequestRecord[]; stop(): Promise<RequestRecord[]> } {
    const records: RequestRecord[] = [];
    let running = true;
    const token = this.users[0]!.token;
    const loop = async () => {
      while (running) {
        const startedAt = Date.now();
        const outcome = await request(this.options.gatewayUrls[gateway]!, document, { token });
        records.push(this.record('in-flight', gateway, startedAt, outcome));
      }
    };
    const loops = Array.from({ length: concurrency }, loop);
    return {
      records,
      async stop() {
        running = false;
        await Promise.all(loops);
        return records;
      },
    };
  }

  private record(op: Operation, gateway: number, startedAt: number, outcome: Outcome<unknown>): RequestRecord {
    const record: RequestRecord = {
      op,
      gateway,
      startedAt,
      endedAt: Date.now(),
      ok: outcome.ok,
      ...(outcome.code ? { code: outcome.code } : {}),
    };
    this.requests.push(record);
    if (!outcome.ok) this.errors.push({ at: record.endedAt, op, code: outcome.code!, message: oneLine(outcome.message), gateway });
    return record;
  }

  private async client(index: number, user: RegisteredUser): Promise<void> {
    let gateway = index % this.options.gatewayUrls.length;
    const moveOn = () => (gateway = (gateway + 1) % this.options.gatewayUrls.length);
    for (let n = 0; !this.stopping; n++) {
      const content = questionOfWords(this.options.words, `${this.options.tag}c${index}q${n}w`);
      const question: Question = {
        client: index,
        user,
        content,
        clientMessageId: `${this.options.tag}-${index}-${n}`,
        askedAt: Date.now(),
        acceptedAt: null,
        conversationId: null,
        replyId: null,
        refusal: null,
        events: [],
        subscriptions: [],
        gaveUp: null,
      };
      this.questions.push(question);
      this.current[index] = question;
      await this.ask(question, () => gateway, moveOn);
      if (question.replyId) await this.follow(question, () => gateway, moveOn);
    }
  }

  private async ask(q: Question, gateway: () => number, moveOn: () => void): Promise<void> {
    const deadline = q.askedAt + SEND_PATIENCE_MS;
    for (let backoff = 100; ; backoff = Math.min(backoff * 2, 1_000)) {
      const at = gateway();
      const startedAt = Date.now();
      const outcome = await request(this.options.gatewayUrls[at]!, SendMessageDocument, {
        token: q.user.token,
        // The same idempotency key on every try: a send whose answer was lost is not a second question.
        variables: { input: { content: q.content, model: SLOW_MODEL, clientMessageId: q.clientMessageId } },
      });
      this.record('send', at, startedAt, outcome);
      if (outcome.ok && outcome.data) {
        q.acceptedAt = Date.now();
        q.conversationId = outcome.data.sendMessage.conversation.id;
        q.replyId = outcome.data.sendMessage.assistantMessage.id;
        return;
      }
      if (isPermanent(outcome.code!)) return void (q.refusal = `refused with ${outcome.code}`);
      if (Date.now() > deadline) return void (q.refusal = `not accepted within ${SEND_PATIENCE_MS / 1000} s (last: ${outcome.code})`);
      if (outcome.transport) moveOn();
      await sleep(backoff);
    }
  }

  private async follow(q: Question, gateway: () => number, moveOn: () => void): Promise<void> {
    const deadline = q.acceptedAt! + FOLLOW_PATIENCE_MS;
    let backoff = 100;
    while (!final(q)) {
      if (Date.now() > deadline) return void (q.gaveUp = `no final event within ${FOLLOW_PATIENCE_MS / 1000} s`);
      const at = gateway();
      const seen = q.events.length;
      const ended = await this.streamOnce(q, at);
      if (ended.kind === 'final') return;
      this.errors.push({ at: Date.now(), op: 'stream', code: ended.code, message: oneLine(ended.message), gateway: at });
      if (ended.kind === 'permanent') return void (q.gaveUp = `stream ended with ${ended.code}`);
      if (ended.kind === 'transport') {
        this.disconnects.push({ at: Date.now(), gateway: at, code: ended.code });
        moveOn();
      }
      backoff = q.events.length > seen ? 100 : Math.min(backoff * 2, 1_000);
      await sleep(backoff);
    }
  }

  /** One subscription to the reply, from the last seq the client has, until it ends one way or another. */
  private streamOnce(q: Question, gateway: number): Promise<StreamEnd> {
    // The last seq the client has (the highest, should the stream ever have gone backwards).
    const afterSeq = Math.max(0, ...q.events.map((e) => e.seq));
    const attempt = { at: Date.now(), gateway, afterSeq, ended: 'open' };
    q.subscriptions.push(attempt);
    const socket = createClient({
      url: this.options.gatewayUrls[gateway]!.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${q.user.token}` },
      // A cut connection must show, so that the client resumes where it chooses (another gateway, afterSeq).
      retryAttempts: 0,
    });
    this.sockets.add(socket);
    return new Promise((resolve) => {
      let streamError: { code: string; message: string } | null = null;
      let settled = false;
      let stall: NodeJS.Timeout;
      const armStall = () => {
        clearTimeout(stall);
        stall = setTimeout(() => done({ kind: 'retry', code: STREAM_STALLED, message: `nothing for ${STALL_MS / 1000} s` }), STALL_MS);
      };
      const done = (result: StreamEnd) => {
        if (settled) return;
        settled = true;
        clearTimeout(stall);
        attempt.ended = result.kind === 'final' ? 'final' : result.code;
        unsubscribe();
        this.sockets.delete(socket);
        void socket.dispose();
        resolve(result);
      };
      let unsubscribe = () => {};
      armStall();
      unsubscribe = socket.subscribe<MessageStreamSubscription>(
        { query: print(MessageStreamDocument), variables: { messageId: q.replyId!, afterSeq } },
        {
          next: (result) => {
            armStall();
            const error = result.errors?.[0];
            if (error) streamError = { code: String(error.extensions?.['code'] ?? 'STREAM_ERROR'), message: error.message };
            const event = result.data?.messageStream;
            if (!event) return;
            const at = Date.now();
            if (event.__typename === 'MessageDelta') q.events.push({ at, seq: event.seq, kind: 'delta', delta: event.delta });
            else if (event.__typename === 'MessageCompleted') {
              // (Null, with an error beside it, when the message could not be fetched as the stream ended.)
              const message = event.message as typeof event.message | null;
              q.events.push({ at, seq: event.seq, kind: 'completed', content: message?.content ?? '', status: message?.status ?? '' });
            } else if (event.__typename === 'MessageFailed')
              q.events.push({ at, seq: event.seq, kind: 'failed', code: event.code, reason: event.reason });
            if (final(q)) done({ kind: 'final' });
          },
          error: (error) => {
            if (Array.isArray(error)) {
              const first = error[0] as { message?: string; extensions?: { code?: unknown } } | undefined;
              const code = String(first?.extensions?.code ?? 'STREAM_ERROR');
              return done({ kind: isPermanent(code) ? 'permanent' : 'retry', code, message: first?.message ?? '' });
            }
            // A CloseEvent (the socket went away) or the connection refused.
            const closed = error as { code?: number; reason?: string; message?: string };
            const code = typeof closed.code === 'number' ? `WS_CLOSE_${closed.code}` : 'WS_UNREACHABLE';
            done({ kind: 'transport', code, message: closed.reason || closed.message || '' });
          },
          complete: () => {
            if (final(q)) return done({ kind: 'final' });
            const { code, message } = streamError ?? { code: 'STREAM_ENDED_WITHOUT_FINAL', message: 'completed before any final event' };
            done({ kind: isPermanent(code) ? 'permanent' : 'retry', code, message });
          },
        },
      );
    });
  }

  private async prober(user: RegisteredUser): Promise<void> {
    let gateway = 0;
    while (!this.stopping) {
      const startedAt = Date.now();
      const outcome = await request(this.options.gatewayUrls[gateway]!, PROBE, { token: user.token });
      this.record('probe', gateway, startedAt, outcome);
      if (outcome.transport) gateway = (gateway + 1) % this.options.gatewayUrls.length;
      await sleep(200);
    }
  }
}

const oneLine = (text = '') => text.replace(/\s+/g, ' ').slice(0, 300);

/** How one subscription ended: with the reply's final event, or with what the client then does about it. */
type StreamEnd = { kind: 'final' } | { kind: 'retry' | 'permanent' | 'transport'; code: string; message: string };

/** The reply's final event, as this subscriber received it. */
export function final(q: Question): StreamEvent | undefined {
  return q.events.find((e) => e.kind !== 'delta');
}

/** Waits until enough clients are mid-reply, so the fault lands while replies stream; false if they never are. */
export function untilMidReply(load: Load, clients: number, timeoutMs = 60_000): Promise<boolean> {
  return waitFor(() => load.midReply(clients), timeoutMs);
}
