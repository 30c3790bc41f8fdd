import { createManualClock } from '@parley/testing';
import { describe, expect, it } from 'vitest';
import { createDeltaCoalescer } from '../src/worker/delta-coalescer';

describe('coalescing deltas', () => {
  it('sends the first delta at once and joins those that follow within the window into one event', async () => {
    // The window is 5 ms of a clock the test moves: on a busy machine a real 5 ms timer fired before the first check.
    const clock = createManualClock();
    const sent: string[] = [];
    const coalescer = createDeltaCoalescer({ windowMs: 5, now: clock.millis, timers: clock, emit: async (text) => void sent.push(text) });
    coalescer.push('Hello');
    await new Promise((r) => setImmediate(r));
    expect(sent).toEqual(['Hello']);
    clock.advance(1);
    coalescer.push(',');
    coalescer.push(' world');
    clock.advance(3);
    await new Promise((r) => setImmediate(r));
    expect(sent).toEqual(['Hello']);
    clock.advance(1);
    await new Promise((r) => setImmediate(r));
    expect(sent).toEqual(['Hello', ', world']);
    clock.advance(100);
    coalescer.push('!');
    await coalescer.flush();
    expect(sent.join('')).toBe('Hello, world!');
  });

  /** An emit the test finishes by hand: `sent` lists the texts it was given, `finish(i)` / `fail(i)` end the i-th. */
  function manualEmits() {
    const sent: string[] = [];
    const ends: { resolve: () => void; reject: (error: Error) => void }[] = [];
    return {
      sent,
      emit: (text: string) =>
        new Promise<void>((resolve, reject) => {
          sent.push(text);
          ends.push({ resolve, reject });
        }),
      finish: (i: number) => ends[i]!.resolve(),
      fail: (i: number, error: Error) => ends[i]!.reject(error),
    };
  }
  const settled = () => new Promise((r) => setImmediate(r));

  it('runs one emit at a time: what arrives meanwhile leaves as one event, in order, right after it', async () => {
    const emits = manualEmits();
    const coalescer = createDeltaCoalescer({ windowMs: 0, emit: emits.emit });
    coalescer.push('a');
    coalescer.push('b');
    coalescer.push('c');
    await settled();
    // The store is slow (an outage): one emit is out, the rest waits for it.
    expect(emits.sent).toEqual(['a']);
    emits.finish(0);
    await settled();
    expect(emits.sent).toEqual(['a', 'bc']);
    coalescer.push('d');
    const flushed = coalescer.flush();
    emits.finish(1);
    await settled();
    expect(emits.sent).toEqual(['a', 'bc', 'd']);
    emits.finish(2);
    await flushed;
  });

  it('emits nothing after a failure, and reports it on flush', async () => {
    const emits = manualEmits();
    const coalescer = createDeltaCoalescer({ windowMs: 0, emit: emits.emit });
    coalescer.push('a');
    coalescer.push('b');
    emits.fail(0, new Error('stream log unreachable'));
    await settled();
    coalescer.push('c');
    await expect(coalescer.flush()).rejects.toThrow('stream log unreachable');
    expect(emits.sent).toEqual(['a']);
    expect(coalescer.failed()).toBeInstanceOf(Error);
  });

  it('holds the reader back while its buffer is full, and lets it go once an emit has taken the buffer', async () => {
    const emits = manualEmits();
    const coalescer = createDeltaCoalescer({ windowMs: 0, emit: emits.emit, maxPendingChars: 10 });
    coalescer.push('first');
    expect(coalescer.room()).toBeUndefined();
    coalescer.push('12345');
    expect(coalescer.room()).toBeUndefined();
    coalescer.push('67890');
    let released = false;
    void coalescer.room()!.then(() => (released = true));
    await settled();
    expect(released).toBe(false);
    emits.finish(0);
    await settled();
    expect(released).toBe(true);
    expect(emits.sent).toEqual(['first', '1234567890']);
    emits.finish(1);
    await coalescer.flush();
  });

  it('lets a waiting reader go when the emit fails, so it can stop', async () => {
    const emits = manualEmits();
    const coalescer = createDeltaCoalescer({ windowMs: 0, emit: emits.emit, maxPendingChars: 4 });
    coalescer.push('first');
    coalescer.push('more text');
    const waiting = coalescer.room();
    emits.fail(0, new Error('stream log unreachable'));
    await waiting;
    expect(coalescer.failed()).toBeInstanceOf(Error);
  });
});
