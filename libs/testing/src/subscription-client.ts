import type { MessageStreamEvent, MessageStreamLog } from '@parley/message-stream';
import type { FormattedExecutionResult, GraphQLFormattedError } from 'graphql';
import { createClient, type Client, type ClientOptions } from 'graphql-ws';
import { vi } from 'vitest';
import WebSocket from 'ws';

/**
 * The official graphql-ws client over `ws`, signed in with `token` when given; no retries, so a refusal shows.
 * `on` hears the connection's events (`closed` gives the close code the server chose).
 */
export function connect(
  httpUrl: string,
  { token, authorization, on }: { token?: string; authorization?: string; on?: ClientOptions['on'] } = {},
): Client {
  const header = authorization ?? (token ? `Bearer ${token}` : undefined);
  return createClient({
    url: httpUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: header ? { authorization: header } : {},
    retryAttempts: 0,
    lazy: false,
    // A caller that hears `closed` itself expects the close; graphql-ws would print it to the console as well.
    ...(on && { on, ...(on.closed && { onNonLazyError: () => {} }) }),
  });
}

export interface Subscription {
  /** Every `next` payload so far, in order. */
  results: FormattedExecutionResult<Record<string, any>>[];
  /** Settles when the server completes the operation (with its protocol errors, if it sent `error` instead). */
  ended: Promise<{ errors?: readonly GraphQLFormattedError[] }>;
  /** The client leaves (sends `complete`). */
  unsubscribe(): void;
}

export function subscribe(client: Client, query: string, variables: Record<string, unknown> = {}): Subscription {
  const results: Subscription['results'] = [];
  let unsubscribe = () => {};
  const ended = new Promise<{ errors?: readonly GraphQLFormattedError[] }>((resolve) => {
    unsubscribe = client.subscribe(
      { query, variables },
      {
        next: (value) => void results.push(value as Subscription['results'][number]),
        error: (error) => resolve({ errors: Array.isArray(error) ? error : [{ message: String((error as Error)?.message ?? error) }] }),
        complete: () => resolve({}),
      },
    );
  });
  return { results, ended, unsubscribe: () => unsubscribe() };
}

/**
 * Polls until `condition` holds (events cross a socket and a few promise hops). The default bound is as
 * generous as expect.poll's in this repository: a wait should fail only when the condition never holds.
 */
export async function eventually(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Counts who follows which reply right now, by wrapping the log's `follow`
 * (the gateway calls it on the very object the platform exposes), so a test
 * can see a stream stop following.
 */
export function watchFollowers(log: MessageStreamLog): { following(messageId: string): number; restore(): void } {
  const original = log.follow.bind(log);
  const counts = new Map<string, number>();
  const add = (messageId: string, n: number) => counts.set(messageId, (counts.get(messageId) ?? 0) + n);
  const spy = vi.spyOn(log, 'follow').mockImplementation(async (messageId, onEvent) => {
    const stop = await original(messageId, onEvent);
    add(messageId, 1);
    let stopped = false;
    return async () => {
      if (!stopped) add(messageId, -1);
      stopped = true;
      await stop();
    };
  });
  return { following: (messageId) => counts.get(messageId) ?? 0, restore: () => spy.mockRestore() };
}

export const delta = (messageId: string, seq: number, text: string): MessageStreamEvent => ({ kind: 'delta', messageId, seq, delta: text });
export const completed = (messageId: string, seq: number): MessageStreamEvent => ({
  kind: 'completed',
  messageId,
  seq,
  status: 'COMPLETED',
});
export const failed = (messageId: string, seq: number, code: string, reason: string): MessageStreamEvent => ({
  kind: 'failed',
  messageId,
  seq,
  code,
  reason,
});
