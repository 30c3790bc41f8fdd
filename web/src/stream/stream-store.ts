import { stringifyDocument } from '@urql/core';
import type { Client as SocketClient } from 'graphql-ws';
import { useSyncExternalStore } from 'react';
import { MessageStreamSubscription } from '../api/operations';
import type { WebMessageStreamSubscription } from '../generated/graphql';

/**
 * Replies being generated, followed token by token outside the normalized
 * cache: a delta appends to a string here, the screen re-renders at most once
 * per animation frame, and the finished message is written to the cache once
 * (by `onFinished`, which reads it from the graph).
 *
 * A stream survives a dropped socket, a reload and a tab switch: each event's
 * seq is remembered, a resubscription asks only for what came after it
 * (`afterSeq`), and an event already seen is ignored.
 */

export type LiveStatus = 'STREAMING' | 'COMPLETED' | 'FAILED' | 'CANCELLED';

export interface LiveReply {
  messageId: string;
  text: string;
  /** The seq of the last event applied (0 before the first). */
  seq: number;
  status: LiveStatus;
  failure?: { code: string; reason: string };
  /** The person asked to stop it; the reply ends (CANCELLED, with what the worker wrote until then) when the graph says so. */
  stopping?: boolean;
}

export interface StreamStore {
  /** Starts following a reply (once; again after it was forgotten), from the text and seq already known. */
  follow(messageId: string, from?: { text: string; seq: number }): void;
  get(messageId: string): LiveReply | undefined;
  subscribe(messageId: string, listener: () => void): () => void;
  /**
   * Marks a reply the person asked to stop. It is not over yet: deltas the worker wrote before it stopped still
   * arrive, and the final event (or cancelGeneration's answer) gives the text the graph kept.
   */
  stopped(messageId: string): void;
  /** Drops a finished reply once the cache holds its final form. */
  forget(messageId: string): void;
  /** Ends every stream (sign-out). */
  close(): void;
}

interface StoreOptions {
  socket: Pick<SocketClient, 'subscribe'>;
  /** Called once per reply when its final event arrives (or its stream failed), to read the stored message. */
  onFinished(messageId: string): void;
  requestFrame?: (callback: () => void) => unknown;
}

type StreamEvent = WebMessageStreamSubscription['messageStream'];

const QUERY = stringifyDocument(MessageStreamSubscription);

export function createStreamStore({ socket, onFinished, requestFrame = (cb) => requestAnimationFrame(cb) }: StoreOptions): StreamStore {
  const replies = new Map<string, LiveReply>();
  const listeners = new Map<string, Set<() => void>>();
  const unsubscribes = new Map<string, () => void>();
  const dirty = new Set<string>();
  let frameScheduled = false;

  const flush = () => {
    frameScheduled = false;
    const changed = [...dirty];
    dirty.clear();
    for (const id of changed) for (const listener of listeners.get(id) ?? []) listener();
  };
  const changed = (id: string) => {
    dirty.add(id);
    if (!frameScheduled) {
      frameScheduled = true;
      requestFrame(flush);
    }
  };
  const finish = (id: string) => {
    unsubscribes.get(id)?.();
    unsubscribes.delete(id);
    onFinished(id);
  };

  const apply = (reply: LiveReply, event: StreamEvent) => {
    if (event.seq <= reply.seq) return reply; // replayed after a resubscription
    const next: LiveReply = { ...reply, seq: event.seq };
    switch (event.__typename) {
      case 'MessageDelta':
        next.text = reply.text + event.delta;
        break;
      case 'MessageCompleted':
        next.status = event.message.status === 'CANCELLED' ? 'CANCELLED' : 'COMPLETED';
        break;
      case 'MessageFailed':
        next.status = 'FAILED';
        next.failure = { code: event.code, reason: event.reason };
        break;
    }
    return next;
  };

  return {
    follow(messageId, from = { text: '', seq: 0 }) {
      if (unsubscribes.has(messageId)) return;
      const existing = replies.get(messageId);
      if (existing && existing.status !== 'STREAMING') return;
      replies.set(messageId, existing ?? { messageId, text: from.text, seq: from.seq, status: 'STREAMING' });
      const variables: { messageId: string; afterSeq?: number } = { messageId };
      if (from.seq > 0) variables.afterSeq = from.seq;
      // graphql-ws sends this same payload again when it resubscribes after a reconnect, so keeping
      // afterSeq current here makes a resumed stream start after the last event this page applied.
      const payload = { query: QUERY, variables };
      const unsubscribe = socket.subscribe<WebMessageStreamSubscription>(payload, {
        next: (result) => {
          const event = result.data?.messageStream;
          const reply = replies.get(messageId);
          if (!event || !reply) return;
          const next = apply(reply, event);
          if (next === reply) return;
          replies.set(messageId, next);
          variables.afterSeq = next.seq;
          changed(messageId);
          if (next.status !== 'STREAMING') finish(messageId);
        },
        error: () => {
          // E.g. NOT_FOUND (deleted) or a refused token for good: show what the graph has stored.
          finish(messageId);
        },
        complete: () => {
          if (replies.get(messageId)?.status === 'STREAMING') finish(messageId);
        },
      });
      unsubscribes.set(messageId, unsubscribe);
    },
    get: (messageId) => replies.get(messageId),
    subscribe(messageId, listener) {
      let set = listeners.get(messageId);
      if (!set) listeners.set(messageId, (set = new Set()));
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0) listeners.delete(messageId);
      };
    },
    stopped(messageId) {
      const reply = replies.get(messageId);
      if (!reply || reply.status !== 'STREAMING' || reply.stopping) return;
      replies.set(messageId, { ...reply, stopping: true });
      changed(messageId);
    },
    forget(messageId) {
      if (unsubscribes.has(messageId)) return;
      replies.delete(messageId);
    },
    close() {
      for (const unsubscribe of unsubscribes.values()) unsubscribe();
      unsubscribes.clear();
      replies.clear();
    },
  };
}

/** The live state of one reply, re-rendering at most once per frame; undefined when it is not being followed. */
export function useLiveReply(store: StreamStore, messageId: string): LiveReply | undefined {
  return useSyncExternalStore(
    (listener) => store.subscribe(messageId, listener),
    () => store.get(messageId),
  );
}
