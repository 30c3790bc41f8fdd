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

  it('emits one at a time, in order, and reports the first failure on flush', async () => {
    const sent: string[] = [];
    let clock = 0;
    const coalescer = createDeltaCoalescer({
      windowMs: 0,
      now: () => (clock += 10),
      emit: async (text) => {
        await new Promise((r) => setTimeout(r, text === 'a' ? 20 : 0));
        if (text === 'c') throw new Error('stream log refused');
        sent.push(text);
      },
    });
    coalescer.push('a');
    coalescer.push('b');
    coalescer.push('c');
    await expect(coalescer.flush()).rejects.toThrow('stream log refused');
    expect(sent).toEqual(['a', 'b']);
    expect(coalescer.failed()).toBeInstanceOf(Error);
  });
});
