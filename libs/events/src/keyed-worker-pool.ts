/**
 * Runs event handlers concurrently across keys but strictly in order within a
 * key, at most `concurrency` at a time. A chat reply streams for seconds: one
 * partition handled one event at a time would cap a whole worker at one reply
 * per partition, while per-key order (one conversation's messages) is all
 * Kafka's ordering has to guarantee here.
 *
 * It also tracks, per partition, the offset below which everything finished:
 * the only offset it is safe to commit while later events are still running.
 */
export function createKeyedWorkerPool({ concurrency }: { concurrency: number }) {
  let active = 0;
  const waiting: (() => void)[] = [];
  const tails = new Map<string, Promise<void>>();
  const running = new Map<number, Set<bigint>>();
  const highest = new Map<number, bigint>();
  const idle = new Set<() => void>();

  const release = () => {
    active--;
    waiting.shift()?.();
    if (active === 0) for (const done of idle) done();
  };

  return {
    /**
     * Resolves when the work was admitted (there was room), not when it ended:
     * callers feeding it from a partition wait here, which is the backpressure.
     */
    async submit(
      { key, partition, offset }: { key: string; partition: number; offset: bigint },
      work: () => Promise<void>,
    ): Promise<{ finished: Promise<void> }> {
      while (active >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
      active++;
      const inPartition = running.get(partition) ?? new Set<bigint>();
      running.set(partition, inPartition);
      inPartition.add(offset);
      if ((highest.get(partition) ?? -1n) < offset) highest.set(partition, offset);
      const run = (tails.get(key) ?? Promise.resolve()).then(work);
      const settled = run.then(
        () => true,
        () => false,
      );
      const tail = settled.then(() => undefined);
      tails.set(key, tail);
      const finished = settled.then((succeeded) => {
        if (tails.get(key) === tail) tails.delete(key);
        // A failed event stays "running": no commit may pass it, so another member gets it again.
        if (succeeded) inPartition.delete(offset);
        release();
        return run;
      });
      return { finished };
    },
    /** The next offset to read in `partition`: everything before it has finished. */
    committable(partition: number): bigint | null {
      const top = highest.get(partition);
      if (top === undefined) return null;
      const inPartition = running.get(partition);
      if (inPartition && inPartition.size > 0) {
        let lowest = top;
        for (const offset of inPartition) if (offset < lowest) lowest = offset;
        return lowest;
      }
      return top + 1n;
    },
    partitions(): number[] {
      return [...highest.keys()];
    },
    /** Resolves when nothing is running. */
    async drained(): Promise<void> {
      if (active === 0) return;
      await new Promise<void>((resolve) => {
        const done = () => {
          idle.delete(done);
          resolve();
        };
        idle.add(done);
      });
    },
  };
}

export type KeyedWorkerPool = ReturnType<typeof createKeyedWorkerPool>;
