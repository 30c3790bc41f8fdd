import { requireViewer } from '@parley/auth';
import { BadUserInputError, errorFormats, isKnownErrorCode, NotFoundError } from '@parley/errors';
import { contextOf, inSpan } from '@parley/telemetry';
import { finalEvent, isInFlight, type MessageStatus, type MessageStreamEvent, type MessageStreamLog } from '@parley/message-stream';
import { startBackoff, systemTimers, waitFor, type Timers } from '@parley/runtime';
import { parse, type FormattedExecutionResult, type GraphQLResolveInfo } from 'graphql';
import { defaultGatewayProtection } from '../config/protection-settings';
import { completedMessageQuery, type CompletedMessageQueryCache } from './completed-message-query';
import type { GatewayContext } from '../gateway-context';
import { errorFromFormatted, type GatewayOperation, type RunOperation } from '../operations/gateway-operation';
import { createPushIterator } from './push-iterator';
import { responseKeyedData, type ResponseKeyedObject } from '../operations/response-keyed-data';
import type { SubscriptionField } from './subscription-execution';

/** What the stream needs to know of the reply, read through the gateway as the subscriber (so chat decides ownership). */
const STORED_MESSAGE = parse(`
  query MessageStreamMessage($id: ID!) {
    message(id: $id) { id role status lastSeq failure { code reason } }
  }
`);

interface StoredMessage {
  id: string;
  role: 'USER' | 'ASSISTANT' | 'SYSTEM';
  status: MessageStatus;
  lastSeq: number | null;
  failure: { code: string; reason: string } | null;
}

/** Resolves `MessageCompleted.message` under whichever response key the client selected it (graphql-js calls function properties). */
type CompletedMessage = (args: unknown, context: unknown, info: GraphQLResolveInfo) => unknown;

/** One payload of `Subscription.messageStream`; an Error is reported as the field's error and ends the stream. */
export type MessageStreamPayload =
  | { __typename: 'MessageDelta'; messageId: string; seq: number; delta: string }
  | { __typename: 'MessageCompleted'; messageId: string; seq: number; message: CompletedMessage }
  | { __typename: 'MessageFailed'; messageId: string; seq: number; reason: string; code: string }
  | Error;

export interface MessageStreamRequest {
  messageId: string;
  /** The last seq the subscriber already has (0 or omitted: from the start). */
  afterSeq: number | null | undefined;
  context: GatewayContext;
  /** Resolves what the subscriber selected on `MessageCompleted.message`; null when it selected nothing. */
  completedMessage: GatewayOperation | null;
}

export interface MessageStreamSubscriptionDependencies {
  messageStreams: MessageStreamLog;
  /** Runs an operation through the gateway as the subscriber: ownership and federation as over HTTP. */
  runOperation: RunOperation;
  /** How long the completed message is fetched again while a subgraph cannot answer (SUBSCRIPTION_RETRY_BUDGET_MS). */
  retryBudgetMs?: number;
  /** The waits between those fetches and the catch-up's time: a test moves them instead of waiting. */
  timers?: Timers;
  now?: () => number;
  /** After this long without a live event, the log is read for anything the live feed lost (default 1 s). */
  catchUpMs?: number;
}

export type OpenMessageStream = (request: MessageStreamRequest) => Promise<AsyncIterableIterator<MessageStreamPayload>>;

/**
 * Every event of one assistant reply, in seq order, with none missed and
 * none twice, ending after the final one:
 *
 * 1. The reply is read through the gateway as the subscriber; someone else's
 *    (or no such) message is NOT_FOUND, exactly like `Query.message`.
 * 2. Live events are followed *before* the replay log is read, and held back
 *    until the replay is out: an event appended between the two reads is
 *    then in the log, live, or both, never in neither. Whatever was already
 *    sent (seq ≤ last sent) is dropped, which also makes `afterSeq` beyond the
 *    current end simply wait for higher seqs.
 * 3. A reply already finished ends with its final event rebuilt from
 *    PostgreSQL when the log lacks it (the log lives an hour).
 * 4. `MessageCompleted.message` is fetched once, when the final event goes
 *    out, with the subscriber's own selection (one federated query). A reply
 *    that finished while chat restarts would otherwise reach its subscriber
 *    without its message: while the message is missing for a retriable reason
 *    (UPSTREAM_UNAVAILABLE), the fetch is tried again for `retryBudgetMs`
 *    (nobody waits on a page for this event; the deltas are already out), and
 *    only then is that error reported, at the client's path.
 * 5. Pub/sub is fire-and-forget: what is published while this gateway's
 *    connection to Redis is down (a Redis restart) never arrives. A live
 *    event whose seq skips ahead is preceded by what the log holds in
 *    between; and after `catchUpMs` without a live event the log is read
 *    anyway, so events lost at the end of a reply (its final one, say)
 *    still arrive. A read that fails (Redis still away) is tried again on
 *    the next quiet spell instead of ending the stream.
 *
 * Following stops on the final event, on a failure, and when the subscriber
 * leaves (the iterator's `return()`).
 */
export function createMessageStreamSubscription({
  messageStreams,
  runOperation,
  retryBudgetMs = defaultGatewayProtection.subscriptionRetryBudgetMs,
  timers = systemTimers,
  now = Date.now,
  catchUpMs = 1_000,
}: MessageStreamSubscriptionDependencies): OpenMessageStream {
  async function storedMessage(messageId: string, context: GatewayContext): Promise<StoredMessage> {
    const result = await runOperation({ query: STORED_MESSAGE, variables: { id: messageId } }, { ...context, internal: true });
    const [error] = result.errors ?? [];
    if (error) throw errorFromFormatted(error);
    const message = (result.data as { message: StoredMessage | null } | undefined)?.message;
    if (!message) throw new NotFoundError(`No message "${messageId}" of yours.`);
    if (message.role !== 'ASSISTANT') {
      throw new BadUserInputError(`Message "${messageId}" is not an assistant reply; only replies have a stream.`, { field: 'messageId' });
    }
    return message;
  }

  /** The completed message's query, run again while what it selected is missing for a retriable reason, until the budget is spent or the subscriber leaves. */
  async function runUntilAvailable(
    query: GatewayOperation,
    context: GatewayContext,
    signal: AbortSignal,
  ): Promise<FormattedExecutionResult> {
    const backoff = startBackoff({ budgetMs: retryBudgetMs, firstDelayMs: 250, maxDelayMs: 2_000, now });
    for (;;) {
      const result = await runOperation(query, { ...context, internal: true });
      if (!missingForNow(result) || signal.aborted) return result;
      const delay = backoff.next();
      if (delay === null) return result;
      if (backoff.attempts() === 2) {
        context.logger.warn({ errors: result.errors, delayMs: delay }, 'the completed message could not be fetched; retrying');
      }
      try {
        await waitFor(delay, { signal, timers });
      } catch {
        return result; // the subscriber left
      }
    }
  }

  async function fetchCompletedMessage(
    messageId: string,
    query: GatewayOperation | null,
    context: GatewayContext,
    signal: AbortSignal,
  ): Promise<CompletedMessage> {
    // Not selected (only seq, say): nothing to fetch, and graphql-js never asks.
    if (!query) return () => new NotFoundError(`No message "${messageId}" of yours.`);
    let selected: ResponseKeyedObject | Error;
    try {
      selected = responseKeyedData(await runUntilAvailable(query, context, signal));
    } catch (error) {
      selected = error instanceof Error ? error : new Error(String(error));
    }
    return (_args, _context, info) => {
      if (selected instanceof Error) return selected;
      // Null without an error: the message went away (its conversation deleted) after it finished.
      return selected.values[info.path.key] ?? new NotFoundError(`No message "${messageId}" of yours.`);
    };
  }

  return async function openMessageStream({ messageId, afterSeq: requestedAfterSeq, context, completedMessage }) {
    const afterSeq = requestedAfterSeq ?? 0;
    if (afterSeq < 0) throw new BadUserInputError('"afterSeq" must be 0 or more: the last seq you received.', { field: 'afterSeq' });
    requireViewer(context.viewer, 'Sign in to follow a reply: send { authorization: "Bearer <token>" } in connection_init.');
    const message = await storedMessage(messageId, context);
    // A reply finished before streams recorded seqs (no lastSeq) counts as a one-event stream.
    const finalFromDatabase = isInFlight(message.status)
      ? null
      : finalEvent({
          messageId: message.id,
          seq: message.lastSeq ?? 1,
          status: message.status,
          code: message.failure?.code,
          reason: message.failure?.reason,
        });

    let lastSent = afterSeq;
    let closed = false;
    let stopFollowing: (() => Promise<void>) | undefined;
    const left = new AbortController();
    let quietTimer: unknown;
    const close = async () => {
      if (closed) return;
      closed = true;
      left.abort();
      timers.clearTimeout(quietTimer);
      output.end();
      const stop = stopFollowing;
      stopFollowing = undefined;
      await stop?.().catch((error: unknown) => context.logger.warn({ err: error, messageId }, 'could not stop following a message stream'));
    };
    const output = createPushIterator<MessageStreamPayload>({ onReturn: close });

    // The subscriber already has everything: nothing to follow.
    if (finalFromDatabase && afterSeq >= finalFromDatabase.seq) {
      await close();
      return output.iterator;
    }

    /** One event at a time, in arrival order, so the replay, the live events and the completed message's fetch never interleave. */
    let work = Promise.resolve();
    const serially = (task: () => Promise<void>) => {
      work = work
        .then(() => (closed ? undefined : task()))
        .catch((error: unknown) => {
          if (closed) return;
          output.push(error instanceof Error ? error : new Error(String(error)));
          void close();
        });
    };

    const send = async (event: MessageStreamEvent) => {
      if (closed || event.seq <= lastSent) return;
      lastSent = event.seq;
      if (event.kind === 'delta') {
        output.push({ __typename: 'MessageDelta', messageId, seq: event.seq, delta: event.delta });
        return;
      }
      // The ending is delivered inside the reply's own trace when it was traced: the message's trace ends here.
      const delivered = await inSpan(
        'chat.reply deliver',
        { kind: 'producer', parent: contextOf(event.traceparent), attributes: { 'parley.message_id': messageId, 'parley.seq': event.seq } },
        async () => {
          if (event.kind === 'failed') {
            output.push({ __typename: 'MessageFailed', messageId, seq: event.seq, reason: event.reason, code: event.code });
            return true;
          }
          const message = await fetchCompletedMessage(messageId, completedMessage, context, left.signal);
          if (closed) return false;
          output.push({ __typename: 'MessageCompleted', messageId, seq: event.seq, message });
          return true;
        },
      );
      if (delivered) await close();
    };

    /** What the log holds after the last seq sent; false when it cannot be read now (the next quiet spell tries again). */
    const catchUp = async (before = Infinity): Promise<boolean> => {
      let missed: MessageStreamEvent[];
      try {
        missed = await messageStreams.readAfter(messageId, lastSent);
      } catch (error) {
        context.logger.debug({ err: error, messageId }, 'could not read a message stream to catch up; trying again');
        return false;
      }
      for (const event of missed) if (event.seq < before) await send(event);
      return true;
    };

    let heard = false;
    const listenForQuiet = () => {
      quietTimer = timers.setTimeout(() => {
        if (closed) return;
        if (!heard) serially(async () => void (await catchUp()));
        heard = false;
        listenForQuiet();
      }, catchUpMs);
    };

    const receive = async (event: MessageStreamEvent) => {
      // Pub/sub is fire-and-forget (a Redis reconnect loses messages); the log still has what was skipped. Until it
      // can be read, this event waits there too (sending it now would leave a gap), and the next tick reads it.
      if (event.seq > lastSent + 1 && !(await catchUp(event.seq))) {
        heard = false;
        return;
      }
      heard = true;
      await send(event);
    };

    let followed!: () => void;
    const following = new Promise<void>((resolve) => (followed = resolve));
    // Queued first, so live events that arrive meanwhile wait behind the replay.
    serially(async () => {
      await following;
      if (closed) return;
      for (const event of await messageStreams.readAfter(messageId, afterSeq)) await send(event);
      // Chat stores a reply's outcome before appending its final event, so a reply already finished has all
      // its deltas in the log: the row's final event (dropped if the log had it) ends the stream even when the
      // log expired, or when the worker died between the two writes.
      if (finalFromDatabase) await send(finalFromDatabase);
      if (!closed) listenForQuiet();
    });
    try {
      stopFollowing = await messageStreams.follow(messageId, (event) => serially(() => receive(event)));
    } catch (error) {
      await close();
      throw error;
    } finally {
      followed();
    }
    return output.iterator;
  };
}

/**
 * Whether a completed message's result lacks something it selected because of
 * a failure worth waiting out: a retriable error (a subgraph that could not be
 * reached) and no data or a selected message missing. A message that is there
 * with one field missing (usage, say) is delivered as it is, its error at that
 * field.
 */
function missingForNow(result: FormattedExecutionResult): boolean {
  const retriable = (result.errors ?? []).some((error) => {
    const code = error.extensions?.['code'];
    return typeof code === 'string' && isKnownErrorCode(code) && errorFormats[code].retriable;
  });
  return retriable && (!result.data || Object.values(result.data).some((value) => value === null));
}

/** `Subscription.messageStream(messageId, afterSeq)` for graphql-js: arguments, and the completed message's query built from the client's selection. */
export function messageStreamField(open: OpenMessageStream): SubscriptionField {
  const queries: CompletedMessageQueryCache = new WeakMap();
  return (args, context, info) => {
    const messageId = String(args['messageId']);
    return open({
      messageId,
      afterSeq: args['afterSeq'] as number | null | undefined,
      context,
      completedMessage: completedMessageQuery(info, messageId, queries),
    });
  };
}
