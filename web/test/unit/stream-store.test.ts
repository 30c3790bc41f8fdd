import { describe, expect, it } from 'vitest';
import { createStreamStore } from '../../src/stream/stream-store';

type Sink = { next(value: unknown): void; error(error: unknown): void; complete(): void };

/** A graphql-ws client stand-in that records subscriptions and lets the test push their events. */
function fakeSocket() {
  const subscriptions: { payload: { query: string; variables: Record<string, unknown> }; sink: Sink; closed: boolean }[] = [];
  return {
    subscriptions,
    subscribe(payload: { query: string; variables: Record<string, unknown> }, sink: Sink) {
      const entry = { payload, sink, closed: false };
      subscriptions.push(entry);
      return () => {
        entry.closed = true;
      };
    },
  };
}

const delta = (seq: number, text: string) => ({
  data: { messageStream: { __typename: 'MessageDelta', messageId: 'm1', seq, delta: text } },
});
const completed = (seq: number, status = 'COMPLETED') => ({
  data: { messageStream: { __typename: 'MessageCompleted', messageId: 'm1', seq, message: { id: 'm1', status } } },
});

function setup() {
  const socket = fakeSocket();
  const frames: (() => void)[] = [];
  const finished: string[] = [];
  const store = createStreamStore({
    socket: socket as never,
    onFinished: (id) => finished.push(id),
    requestFrame: (cb) => frames.push(cb),
  });
  const runFrame = () => frames.splice(0).forEach((cb) => cb());
  return { socket, store, frames, finished, runFrame };
}

describe('the stream store', () => {
  it('appends deltas in seq order and ignores events replayed after a resubscription', () => {
    const { socket, store } = setup();
    store.follow('m1');
    const { sink } = socket.subscriptions[0]!;
    sink.next(delta(1, 'Hel'));
    sink.next(delta(2, 'lo'));
    sink.next(delta(1, 'Hel'));
    sink.next(delta(2, 'lo'));
    sink.next(delta(3, '!'));
    expect(store.get('m1')).toMatchObject({ text: 'Hello!', seq: 3, status: 'STREAMING' });
  });

  it('asks a resumed subscription only for the events after the last one applied', () => {
    const { socket, store } = setup();
    store.follow('m1');
    const { sink, payload } = socket.subscriptions[0]!;
    expect(payload.variables).toEqual({ messageId: 'm1' });
    sink.next(delta(1, 'a'));
    sink.next(delta(2, 'b'));
    // graphql-ws sends this same payload again when it reconnects.
    expect(payload.variables).toEqual({ messageId: 'm1', afterSeq: 2 });
  });

  it('notifies listeners at most once per animation frame however many deltas arrive', () => {
    const { socket, store, runFrame } = setup();
    let renders = 0;
    store.subscribe('m1', () => renders++);
    store.follow('m1');
    for (let seq = 1; seq <= 50; seq++) socket.subscriptions[0]!.sink.next(delta(seq, 'x'));
    expect(renders).toBe(0);
    runFrame();
    expect(renders).toBe(1);
    expect(store.get('m1')?.text).toBe('x'.repeat(50));
  });

  it('reports a reply once when its final event arrives, and stops following it', () => {
    const { socket, store, finished } = setup();
    store.follow('m1');
    const entry = socket.subscriptions[0]!;
    entry.sink.next(delta(1, 'done'));
    entry.sink.next(completed(2));
    entry.sink.complete();
    expect(store.get('m1')).toMatchObject({ status: 'COMPLETED', text: 'done' });
    expect(finished).toEqual(['m1']);
    expect(entry.closed).toBe(true);
  });

  it('marks a cancelled completion as cancelled and a failure with its code and reason', () => {
    const { socket, store } = setup();
    store.follow('m1');
    socket.subscriptions[0]!.sink.next(completed(1, 'CANCELLED'));
    expect(store.get('m1')?.status).toBe('CANCELLED');

    store.follow('m2');
    socket.subscriptions[1]!.sink.next({
      data: {
        messageStream: { __typename: 'MessageFailed', messageId: 'm2', seq: 1, code: 'UPSTREAM_UNAVAILABLE', reason: 'The model is down' },
      },
    });
    expect(store.get('m2')).toMatchObject({ status: 'FAILED', failure: { code: 'UPSTREAM_UNAVAILABLE', reason: 'The model is down' } });
  });

  it('follows a reply once however often it is asked to', () => {
    const { socket, store } = setup();
    store.follow('m1');
    store.follow('m1');
    expect(socket.subscriptions).toHaveLength(1);
  });

  it('keeps following a reply the person stopped until the graph ends it, so the text is what the graph kept', () => {
    const { socket, store, finished } = setup();
    store.follow('m1');
    const { sink } = socket.subscriptions[0]!;
    sink.next(delta(1, 'partial'));
    store.stopped('m1');
    expect(store.get('m1')).toMatchObject({ status: 'STREAMING', stopping: true, text: 'partial' });
    expect(finished).toEqual([]);
    // What the worker wrote before it saw the cancellation still arrives, then the end.
    sink.next(delta(2, ' more'));
    sink.next(completed(3, 'CANCELLED'));
    expect(store.get('m1')).toMatchObject({ status: 'CANCELLED', text: 'partial more' });
    expect(finished).toEqual(['m1']);
    store.forget('m1');
    expect(store.get('m1')).toBeUndefined();
  });

  it('reads what the graph stored when the stream is refused', () => {
    const { socket, store, finished } = setup();
    store.follow('m1');
    socket.subscriptions[0]!.sink.error(new Error('NOT_FOUND'));
    expect(finished).toEqual(['m1']);
  });
});
