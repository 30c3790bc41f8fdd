import { createManualClock, unreliableMessageStreamLog, type ManualClock, type UnreliableMessageStreamLog } from '@parley/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  appendRetrying,
  createInMemoryMessageStreamLog,
  MessageStreamUnavailableError,
  SeqConflictError,
  type MessageStreamEvent,
  type MessageStreamLog,
} from '../src';

const delta = (messageId: string, seq: number, text = ` t${seq}`): MessageStreamEvent => ({ kind: 'delta', messageId, seq, delta: text });

describe('appending through an outage of the store', () => {
  let clock: ManualClock;
  let log: MessageStreamLog;
  let store: UnreliableMessageStreamLog;
  let waits: number[];
  const id = crypto.randomUUID();

  beforeEach(() => {
    clock = createManualClock();
    log = createInMemoryMessageStreamLog();
    store = unreliableMessageStreamLog(log);
    waits = [];
  });

  const appender = (budgetMs: number) =>
    appendRetrying(store.log, {
      budgetMs,
      now: clock.millis,
      timers: {
        setTimeout: (callback, ms) => (waits.push(ms), clock.setTimeout(callback, ms)),
        clearTimeout: (handle) => clock.clearTimeout(handle),
      },
    });

  /** Moves the clock in steps, letting each retry run, until `done` settles or `ms` have passed. */
  async function runFor(ms: number, step = 50) {
    for (let moved = 0; moved < ms; moved += step) {
      await new Promise((r) => setImmediate(r));
      clock.advance(step);
    }
    await new Promise((r) => setImmediate(r));
  }

  it('stores the events once the store is back, waiting longer between tries up to a second', async () => {
    store.goDown();
    const append = appender(30_000);
    let stored = false;
    const done = append([delta(id, 1)]).then(() => (stored = true));
    await runFor(8_000);
    expect(stored).toBe(false);
    store.comeBack();
    await runFor(1_000);
    await done;
    expect((await log.readAfter(id, 0)).map((e) => e.seq)).toEqual([1]);
    expect(waits.slice(0, 6)).toEqual([50, 100, 200, 400, 800, 1_000]);
    expect(Math.max(...waits)).toBe(1_000);
  });

  it('recognises its own event when a failed try had stored it, instead of reporting a conflict', async () => {
    await log.append([delta(id, 1)]);
    store.loseNextAnswer();
    const append = appender(30_000);
    const done = append([delta(id, 2)]);
    await runFor(100);
    await done;
    expect(store.tries).toEqual([2, 2]);
    expect((await log.readAfter(id, 0)).map((e) => e.seq)).toEqual([1, 2]);
  });

  it("never retries another writer's event at that seq", async () => {
    await log.append([delta(id, 1)]);
    await expect(appender(30_000)([delta(id, 1, ' mine')])).rejects.toBeInstanceOf(SeqConflictError);
    expect(store.tries).toEqual([1]);
    expect(waits).toEqual([]);
  });

  it('gives up when the outage outlasts the budget, with a sentence a person can act on', async () => {
    store.goDown();
    const failed = expect(appender(2_500)([delta(id, 1)])).rejects.toSatisfy((error) => {
      expect(error).toBeInstanceOf(MessageStreamUnavailableError);
      expect(error).toMatchObject({
        code: 'UPSTREAM_UNAVAILABLE',
        retriable: true,
        message: 'The reply could not be delivered: the message stream store (Redis) was unreachable for 2.5 s. Ask again.',
      });
      return true;
    });
    await runFor(2_450);
    // Still trying just before the budget runs out; the last wait ends exactly at it.
    expect(waits.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(2_500);
    await runFor(100);
    await failed;
    expect(waits.reduce((a, b) => a + b, 0)).toBe(2_500);
  });

  it('tries once with no budget', async () => {
    store.goDown();
    await expect(appender(0)([delta(id, 1)])).rejects.toThrow(
      'The reply could not be delivered: the message stream store (Redis) was unreachable. Ask again.',
    );
    expect(store.tries).toEqual([1]);
  });
});
