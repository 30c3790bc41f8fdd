import type { Clock, Timers } from '@parley/runtime';

/** Noon UTC on a fixed day: far from any day or month boundary, and exactly at the start of a rate-limit window (a test moving through one starts at its beginning). */
const FIXED_START = Date.UTC(2026, 0, 15, 12, 0, 0);

/**
 * A clock that stands still until the test moves it, with timers that fire
 * only when it is moved past them: what a window, a TTL or a debounce does is
 * decided by the test, never by how busy the machine is.
 */
export interface ManualClock extends Clock, Timers {
  /** Milliseconds since the epoch, as Date.now() would say. */
  millis(): number;
  /** Moves time forward by `ms`, firing every timer that falls due on the way, in order. */
  advance(ms: number): void;
}

export function createManualClock(start: number = FIXED_START): ManualClock {
  let now = start;
  let lastId = 0;
  const timers = new Map<number, { at: number; callback: () => void }>();
  const nextDue = (until: number) => {
    let due: [number, { at: number; callback: () => void }] | undefined;
    for (const entry of timers) if (entry[1].at <= until && (!due || entry[1].at < due[1].at)) due = entry;
    return due;
  };
  return {
    now: () => new Date(now),
    millis: () => now,
    setTimeout(callback, ms) {
      timers.set(++lastId, { at: now + Math.max(0, ms), callback });
      return lastId;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
    advance(ms) {
      const until = now + ms;
      // A timer set by a callback that also falls due before `until` fires in this same advance.
      for (let due = nextDue(until); due; due = nextDue(until)) {
        timers.delete(due[0]);
        now = due[1].at;
        due[1].callback();
      }
      now = until;
    },
  };
}

/**
 * A clock that runs with real time (requests, streams and measurements take
 * the time they take) and jumps ahead when the test says so: for whole
 * services under test, where a window the test waits out is skipped instead
 * of slept through, and a window that must stay open is made longer than any
 * test runs.
 */
export interface SkipAheadClock extends Clock {
  /** Milliseconds since the epoch, on this clock. */
  millis(): number;
  /** Jumps `ms` ahead: whatever would be due after that much more waiting is due now. */
  skip(ms: number): void;
}

export function createSkipAheadClock({ from = FIXED_START }: { from?: number } = {}): SkipAheadClock {
  let offset = from - Date.now();
  const millis = () => Date.now() + offset;
  return {
    now: () => new Date(millis()),
    millis,
    skip(ms) {
      offset += ms;
    },
  };
}
