import type { MessageStreamLog } from '@parley/message-stream';

export interface UnreliableMessageStreamLog {
  /** Appends through this fail while the store is down; reads and follows go straight to the log. */
  log: MessageStreamLog;
  /** The first seq of every append tried, in order (failed ones too). */
  tries: number[];
  /** Every later append fails, as when Redis is not there, until `comeBack()`. */
  goDown(): void;
  comeBack(): void;
  /** The next append stores its events and then fails, as when Redis ran it and the connection died before its answer. */
  loseNextAnswer(): void;
}

/**
 * A message stream log whose store a unit test takes away and brings back,
 * around a real (in-memory) log: what a writer sees during a Redis outage,
 * without one. Suites that need the real thing restart their own Redis
 * (`startOwnRedis`).
 */
export function unreliableMessageStreamLog(log: MessageStreamLog): UnreliableMessageStreamLog {
  let down = false;
  let loseAnswer = false;
  const tries: number[] = [];
  return {
    log: {
      ...log,
      async append(events) {
        tries.push(events[0]?.seq ?? 0);
        if (loseAnswer) {
          loseAnswer = false;
          await log.append(events);
          throw new Error('Connection is closed.');
        }
        if (down) throw new Error('Connection is closed.');
        await log.append(events);
      },
    },
    tries,
    goDown: () => void (down = true),
    comeBack: () => void (down = false),
    loseNextAnswer: () => void (loseAnswer = true),
  };
}
