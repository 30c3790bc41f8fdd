import { createInMemoryMessageStreamLog, type MessageStreamEvent, type MessageStreamLog } from '@parley/message-stream';
import { captureLogs, createManualClock, type ManualClock } from '@parley/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import type { GatewayContext } from '../../src/gateway-context';
import type { RunOperation } from '../../src/operations/gateway-operation';
import { createMessageStreamSubscription, type MessageStreamPayload } from '../../src/subscriptions/message-stream-subscription';

const messageId = '7d4c2f0e-0000-4000-8000-000000000002';
const context: GatewayContext = {
  viewer: { userId: 'alice', roles: ['user'], tokenId: 't', sessionId: 's', scopes: null, apiKeyId: null },
  authorization: 'Bearer t',
  requestId: 'r',
  logger: captureLogs('silent').logger,
};
/** The reply is Alice's and still streaming. */
const runOperation: RunOperation = async () => ({
  data: { message: { id: messageId, role: 'ASSISTANT', status: 'STREAMING', lastSeq: null, failure: null } },
});
const delta = (seq: number): MessageStreamEvent => ({ kind: 'delta', messageId, seq, delta: ` t${seq}` });
const completed = (seq: number): MessageStreamEvent => ({ kind: 'completed', messageId, seq, status: 'COMPLETED' });
const settled = () => new Promise((resolve) => setImmediate(resolve));

/**
 * A subscriber across a Redis restart, as the gateway sees one: pub/sub
 * loses what is published while the gateway's subscriber connection is
 * down (the worker's connection may be back first), and reading the log
 * fails while the gateway's command connection is. The log itself (an
 * in-memory one here) holds every event, as Redis's appendonly stream does.
 */
describe('a subscriber whose live feed lost events', () => {
  let clock: ManualClock;
  let log: MessageStreamLog;
  let liveLost: boolean;
  let readsFail: boolean;
  let reads: number;
  let payloads: MessageStreamPayload[];
  let ended: boolean;

  beforeEach(async () => {
    clock = createManualClock();
    log = createInMemoryMessageStreamLog();
    liveLost = false;
    readsFail = false;
    reads = 0;
    payloads = [];
    ended = false;
    const asGatewaySeesIt: MessageStreamLog = {
      ...log,
      async readAfter(id, afterSeq) {
        reads++;
        if (readsFail) throw new Error('Connection is closed.');
        return log.readAfter(id, afterSeq);
      },
      follow: (id, onEvent) => log.follow(id, (event) => (liveLost ? undefined : onEvent(event))),
    };
    const open = createMessageStreamSubscription({ messageStreams: asGatewaySeesIt, runOperation, catchUpMs: 1_000, timers: clock });
    const stream = await open({ messageId, afterSeq: 0, context, completedMessage: null });
    void (async () => {
      for await (const payload of stream) payloads.push(payload);
      ended = true;
    })();
    await settled();
  });

  const seqs = () => payloads.map((p) => (p instanceof Error ? p.message : p.seq));

  it('gets the events lost at the end of a reply from the log once the stream has been quiet, even if the first read fails', async () => {
    await log.append([delta(1)]);
    await settled();
    expect(seqs()).toEqual([1]);
    // The worker's connection came back before this gateway's: its last events are published to no one.
    liveLost = true;
    readsFail = true;
    await log.append([delta(2), completed(3)]);
    clock.advance(1_000);
    await settled();
    // Redis not answering this gateway yet: nothing to send, and no error for the subscriber either.
    expect(seqs()).toEqual([1]);
    expect(ended).toBe(false);
    readsFail = false;
    clock.advance(1_000);
    await settled();
    expect(seqs()).toEqual([1, 2, 3]);
    expect(payloads.at(-1)).toMatchObject({ __typename: 'MessageCompleted', seq: 3 });
    expect(ended).toBe(true);
  });

  it('holds a live event that skips ahead until the log can fill the gap, instead of sending it with a seq missing', async () => {
    await log.append([delta(1)]);
    liveLost = true;
    await log.append([delta(2)]);
    liveLost = false;
    readsFail = true;
    await log.append([delta(3)]);
    await settled();
    expect(seqs()).toEqual([1]);
    readsFail = false;
    clock.advance(1_000);
    await settled();
    expect(seqs()).toEqual([1, 2, 3]);
    await log.append([completed(4)]);
    await settled();
    expect(seqs()).toEqual([1, 2, 3, 4]);
    expect(ended).toBe(true);
  });

  it('does not read the log while live events keep coming, and stops reading once the stream has ended', async () => {
    const afterReplay = reads;
    for (let seq = 1; seq <= 3; seq++) {
      await log.append([delta(seq)]);
      clock.advance(1_000);
      await settled();
    }
    expect(reads).toBe(afterReplay);
    clock.advance(1_000);
    await settled();
    expect(reads).toBe(afterReplay + 1);
    await log.append([completed(4)]);
    await settled();
    expect(ended).toBe(true);
    clock.advance(10_000);
    await settled();
    expect(reads).toBe(afterReplay + 1);
  });
});
