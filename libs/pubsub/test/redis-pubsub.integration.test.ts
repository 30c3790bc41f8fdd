import { servicesEnv, uniqueName } from '@parley/testing';
import { describe, expect, it } from 'vitest';
import { createRedisPubSub } from '../src';

describe('Redis pub/sub (real Redis)', () => {
  const { redisUrl } = servicesEnv();

  it('delivers a message published by one connection to a subscriber on another', async () => {
    const prefix = `${uniqueName('t')}:`;
    const publisher = await createRedisPubSub({ url: redisUrl, prefix });
    const subscriber = await createRedisPubSub({ url: redisUrl, prefix });
    try {
      const received: unknown[] = [];
      let allArrived!: () => void;
      const arrived = new Promise<void>((resolve) => (allArrived = resolve));
      // subscribe() resolves once Redis acknowledged SUBSCRIBE, so nothing published next is lost.
      await subscriber.subscribe<{ seq: number }>('message:1', (payload) => {
        received.push(payload);
        if (received.length === 3) allArrived();
      });
      for (let seq = 1; seq <= 3; seq++) await publisher.publish('message:1', { seq });
      await arrived;
      expect(received).toEqual([{ seq: 1 }, { seq: 2 }, { seq: 3 }]);
    } finally {
      await publisher.close();
      await subscriber.close();
    }
  });

  it('receives nothing after unsubscribing, and nothing from another prefix', async () => {
    const mine = await createRedisPubSub({ url: redisUrl, prefix: `${uniqueName('a')}:` });
    const theirs = await createRedisPubSub({ url: redisUrl, prefix: `${uniqueName('b')}:` });
    try {
      const received: unknown[] = [];
      const unsubscribe = await mine.subscribe('channel', (p) => received.push(p));
      await theirs.publish('channel', { from: 'another deployment' });
      await mine.publish('channel', { n: 1 });
      // Redis delivers in the order it took the publishes: once n: 1 is here, the other prefix's would be too.
      // (Unsubscribing 100 ms after publishing could come before n: 1 arrived on a busy machine.)
      await expect.poll(() => received).toContainEqual({ n: 1 });
      await unsubscribe();
      await mine.publish('channel', { n: 2 });
      await new Promise((r) => setTimeout(r, 100));
      expect(received).toEqual([{ n: 1 }]);
    } finally {
      await mine.close();
      await theirs.close();
    }
  });

  it('fails to connect to a port where no Redis listens', async () => {
    await expect(createRedisPubSub({ url: 'redis://127.0.0.1:1' })).rejects.toThrow(/ECONNREFUSED|connect/);
  });
});
