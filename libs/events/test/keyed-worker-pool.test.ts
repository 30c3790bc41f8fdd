import { describe, expect, it } from 'vitest';
import { createKeyedWorkerPool } from '../src/keyed-worker-pool';

const gate = () => {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
};

describe('the keyed worker pool', () => {
  it('runs different keys at the same time but one key strictly in order', async () => {
    const pool = createKeyedWorkerPool({ concurrency: 10 });
    const log: string[] = [];
    const first = gate();
    await pool.submit({ key: 'a', partition: 0, offset: 0n }, async () => {
      log.push('a1 start');
      await first.opened;
      log.push('a1 end');
    });
    await pool.submit({ key: 'a', partition: 0, offset: 1n }, async () => void log.push('a2'));
    const b = await pool.submit({ key: 'b', partition: 0, offset: 2n }, async () => void log.push('b1'));
    await b.finished;
    expect(log).toEqual(['a1 start', 'b1']);
    first.open();
    await pool.drained();
    expect(log).toEqual(['a1 start', 'b1', 'a1 end', 'a2']);
  });

  it('commits only up to the first event still running, and never past a failed one', async () => {
    const pool = createKeyedWorkerPool({ concurrency: 10 });
    const slow = gate();
    await pool.submit({ key: 'a', partition: 3, offset: 10n }, () => slow.opened);
    const later = await pool.submit({ key: 'b', partition: 3, offset: 11n }, async () => {});
    await later.finished;
    expect(pool.committable(3)).toBe(10n);
    slow.open();
    await pool.drained();
    expect(pool.committable(3)).toBe(12n);
    const failed = await pool.submit({ key: 'c', partition: 3, offset: 12n }, async () => {
      throw new Error('broker gone');
    });
    await expect(failed.finished).rejects.toThrow('broker gone');
    await (
      await pool.submit({ key: 'd', partition: 3, offset: 13n }, async () => {})
    ).finished;
    expect(pool.committable(3)).toBe(12n);
  });

  it('admits no more than its concurrency: the next submit waits for room', async () => {
    const pool = createKeyedWorkerPool({ concurrency: 2 });
    const hold = gate();
    await pool.submit({ key: 'a', partition: 0, offset: 0n }, () => hold.opened);
    await pool.submit({ key: 'b', partition: 0, offset: 1n }, () => hold.opened);
    let admitted = false;
    const third = pool.submit({ key: 'c', partition: 0, offset: 2n }, async () => {}).then(() => (admitted = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(admitted).toBe(false);
    hold.open();
    await third;
    expect(admitted).toBe(true);
  });
});
