import { createRedisPubSub } from '@parley/pubsub';
import { servicesEnv, uniqueName } from '@parley/testing';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createInMemoryMessageStreamLog,
  createRedisMessageStreamLog,
  SeqConflictError,
  type MessageStreamEvent,
  type MessageStreamLog,
} from '../src';

const delta = (messageId: string, seq: number, text = ` t${seq}`): MessageStreamEvent => ({ kind: 'delta', messageId, seq, delta: text });

function behavesAsAMessageStreamLog(name: string, make: () => Promise<{ writer: MessageStreamLog; reader: MessageStreamLog }>) {
  describe(name, () => {
    let writer: MessageStreamLog;
    let reader: MessageStreamLog;
    beforeAll(async () => ({ writer, reader } = await make()));

    it('replays what was stored after a given seq, in order', async () => {
      const id = crypto.randomUUID();
      await writer.append([delta(id, 1), delta(id, 2)]);
      await writer.append([delta(id, 3), { kind: 'completed', messageId: id, seq: 4, status: 'COMPLETED' }]);
      expect((await reader.readAfter(id, 0)).map((e) => e.seq)).toEqual([1, 2, 3, 4]);
      expect(await reader.readAfter(id, 2)).toEqual([delta(id, 3), { kind: 'completed', messageId: id, seq: 4, status: 'COMPLETED' }]);
      expect(await reader.readAfter(id, 99)).toEqual([]);
      expect(await reader.readAfter(crypto.randomUUID(), 0)).toEqual([]);
    });

    it('delivers appended events live to a follower, and nothing after it stops', async () => {
      const id = crypto.randomUUID();
      const seen: number[] = [];
      const stop = await reader.follow(id, (e) => seen.push(e.seq));
      await writer.append([delta(id, 1), delta(id, 2)]);
      await expect.poll(() => seen).toEqual([1, 2]);
      await stop();
      await writer.append([delta(id, 3)]);
      await new Promise((r) => setTimeout(r, 50));
      expect(seen).toEqual([1, 2]);
    });

    it('refuses another event at a seq already stored, without publishing it', async () => {
      const id = crypto.randomUUID();
      const seen: number[] = [];
      await reader.follow(id, (e) => seen.push(e.seq));
      await writer.append([delta(id, 1), delta(id, 2)]);
      await expect(writer.append([delta(id, 2, ' another worker')])).rejects.toBeInstanceOf(SeqConflictError);
      await writer.append([delta(id, 3)]);
      await expect.poll(() => seen).toEqual([1, 2, 3]);
      expect((await reader.readAfter(id, 0)).map((e) => e.seq)).toEqual([1, 2, 3]);
    });

    it('takes an append again that is already stored as it was sent (its answer was lost) without storing or publishing it twice', async () => {
      const id = crypto.randomUUID();
      const seen: number[] = [];
      await reader.follow(id, (e) => seen.push(e.seq));
      await writer.append([delta(id, 1), delta(id, 2)]);
      // The same append again, as a writer retries it when the connection died before Redis answered.
      await writer.append([delta(id, 1), delta(id, 2)]);
      await writer.append([delta(id, 2), delta(id, 3)]);
      await writer.append([delta(id, 4)]);
      await expect.poll(() => seen).toEqual([1, 2, 3, 4]);
      expect((await reader.readAfter(id, 0)).map((e) => e.seq)).toEqual([1, 2, 3, 4]);
      // Another event at a stored seq is still another writer's.
      await expect(writer.append([delta(id, 4, ' not this')])).rejects.toMatchObject({ name: 'SeqConflictError', seq: 4 });
      await expect(writer.append([delta(id, 4), delta(id, 3, ' t5')])).rejects.toMatchObject({ seq: 3 });
      expect((await reader.readAfter(id, 0)).map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    });
  });
}

behavesAsAMessageStreamLog('in-memory message stream log', async () => {
  const log = createInMemoryMessageStreamLog();
  return { writer: log, reader: log };
});

describe('Redis message stream log (real Redis)', () => {
  const { redisUrl } = servicesEnv();
  const namespace = `${uniqueName('msl')}.`;
  const clients: { close(): Promise<void> }[] = [];
  afterAll(async () => Promise.all(clients.map((c) => c.close())));

  // Writer and reader on separate connections, as a worker and a gateway are.
  behavesAsAMessageStreamLog('shared through Redis', async () => {
    const make = async () => {
      const redis = new Redis(redisUrl);
      const pubsub = await createRedisPubSub({ url: redisUrl, prefix: namespace });
      clients.push({ close: async () => void (await Promise.all([redis.quit(), pubsub.close()])) });
      return createRedisMessageStreamLog({ redis, pubsub, namespace });
    };
    return { writer: await make(), reader: await make() };
  });

  it('lets the replay log expire after its time to live', async () => {
    const redis = new Redis(redisUrl);
    const pubsub = await createRedisPubSub({ url: redisUrl, prefix: namespace });
    try {
      // Redis keeps the time here, so the TTL is real: long enough that the read just after the append comes well
      // within it on a busy machine (100 ms could be gone by then), and its expiry is awaited, not slept through.
      const log = createRedisMessageStreamLog({ redis, pubsub, namespace, ttlMs: 2_000 });
      const id = crypto.randomUUID();
      await log.append([delta(id, 1)]);
      expect(await log.readAfter(id, 0)).toHaveLength(1);
      await expect.poll(() => log.readAfter(id, 0), { interval: 200 }).toEqual([]);
    } finally {
      await redis.quit();
      await pubsub.close();
    }
  });
});
