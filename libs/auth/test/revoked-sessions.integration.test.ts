import { createInMemoryPubSub, createRedisClient, createRedisPubSub } from '@parley/pubsub';
import { captureLogs, startOwnRedis, uniqueName, type OwnService } from '@parley/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRevokedSessions, type RevokedSessions } from '../src';

/**
 * The revoked-session set of each process, as services mode builds it (its own Redis connections, one namespace),
 * on this test's own redis-server, which one test stops and starts under it.
 */
describe('ended sessions shared by every process through Redis (own redis-server)', () => {
  let redis: OwnService;
  const closers: (() => Promise<unknown>)[] = [];
  let namespace: string;
  beforeAll(async () => {
    redis = await startOwnRedis({ appendonly: false });
  });
  afterEach(async () => {
    await redis.start();
    for (const close of closers.splice(0)) await close();
  });
  afterAll(async () => {
    await redis?.remove();
  });

  /** One process's set: its own command and pub/sub connections, started. */
  const processSet = async ({ now = Date.now, reloadMs }: { now?: () => number; reloadMs?: number } = {}): Promise<RevokedSessions> => {
    const client = createRedisClient(redis.url);
    const pubsub = await createRedisPubSub({ url: redis.url, prefix: namespace });
    const set = createRevokedSessions({
      pubsub,
      redis: client,
      namespace,
      logger: captureLogs('silent').logger,
      now,
      ...(reloadMs !== undefined && { reloadMs }),
    });
    await set.start();
    closers.push(
      () => set.close(),
      () => pubsub.close(),
      async () => client.disconnect(),
    );
    return set;
  };

  it('tells a running process at once, and each listener hears a session once', async () => {
    namespace = `${uniqueName('rs')}.`;
    const users = await processSet();
    const gateway = await processSet();
    const heard: string[] = [];
    gateway.onRevoked((sessionId) => heard.push(sessionId));
    expect(gateway.has('s1')).toBe(false);
    await users.revoke(['s1', 's2'], 900);
    expect(users.has('s1')).toBe(true);
    await expect.poll(() => gateway.has('s1') && gateway.has('s2')).toBe(true);
    await users.revoke(['s1'], 900);
    await expect.poll(() => heard).toEqual(['s1', 's2']);
    expect(gateway.has('s3')).toBe(false);
  });

  it('has a process that starts later (or missed the message) refuse the session all the same, from Redis', async () => {
    namespace = `${uniqueName('rs')}.`;
    const users = await processSet();
    await users.revoke(['late'], 900);
    const replica = await processSet();
    expect(replica.has('late')).toBe(true);
  });

  it('forgets a session once its tokens have expired, in memory and in Redis', async () => {
    namespace = `${uniqueName('rs')}.`;
    let at = Date.now();
    const users = await processSet({ now: () => at });
    await users.revoke(['brief'], 10);
    at += 11_000;
    expect(users.has('brief')).toBe(false);
    const replica = await processSet({ now: () => at });
    expect(replica.has('brief')).toBe(false);
  });

  it('keeps refusing what it knows while Redis is away, and shares a session ended meanwhile once Redis is back', async () => {
    namespace = `${uniqueName('rs')}.`;
    const users = await processSet({ reloadMs: 200 });
    const gateway = await processSet({ reloadMs: 200 });
    await users.revoke(['before'], 900);
    await expect.poll(() => gateway.has('before')).toBe(true);

    await redis.stop();
    // A logout during the outage does not fail: the session ended, and this process refuses its tokens already.
    await users.revoke(['during'], 900);
    expect(users.has('during')).toBe(true);
    expect(gateway.has('before')).toBe(true);
    expect(gateway.has('during')).toBe(false);

    await redis.start();
    await expect.poll(() => gateway.has('during'), { timeout: 10_000 }).toBe(true);
    // Written to Redis too: a process starting now refuses it.
    expect((await processSet()).has('during')).toBe(true);
  });

  it('needs no Redis in embedded mode: every service shares one set over the in-memory pub/sub', async () => {
    const set = createRevokedSessions({ pubsub: createInMemoryPubSub(), redis: null, namespace: '', logger: captureLogs('silent').logger });
    await set.start();
    closers.push(() => set.close());
    const heard: string[] = [];
    set.onRevoked((sessionId) => heard.push(sessionId));
    await set.revoke(['e1'], 900);
    expect(set.has('e1')).toBe(true);
    expect(heard).toEqual(['e1']);
  });
});
