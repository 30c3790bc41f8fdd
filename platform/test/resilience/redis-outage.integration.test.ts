import { CancelGenerationDocument, MeDocument, ModelsDocument } from '@parley/client';
import { postGraphQL, startOwnRedis, type OwnService } from '@parley/testing';
import { registerUser, trySendMessage } from '@parley/testing/parley-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realServices, startPlatformUnderTest, type PlatformUnderTest } from '../../src/testing/platform-under-test';

const services = realServices();

/** Requests a signed-in user may make per window; the window is a day, so no suite run straddles two. */
const PER_USER = 20;

/**
 * What people see while Redis is unreachable, with every service its own
 * process on this suite's own redis-server: what can do without Redis answers
 * at once (rate limits counted per process, caches skipped, budgets checked
 * against PostgreSQL), what cannot answers a GraphQL error UPSTREAM_UNAVAILABLE,
 * and nothing hangs or answers a body that is not GraphQL. Once Redis is back,
 * every service reports Redis up again within about a second.
 */
describe.runIf(services)('the platform while Redis is unreachable (services mode, own redis-server)', () => {
  let own: OwnService;
  let platform: PlatformUnderTest;

  beforeAll(async () => {
    own = await startOwnRedis();
    platform = await startPlatformUnderTest({
      services: { ...services!, redisUrl: own.url },
      settings: { RATE_LIMIT_PER_USER: String(PER_USER), RATE_LIMIT_WINDOW_SECONDS: '86400' },
    });
  }, 180_000);
  afterAll(async () => {
    await own?.start();
    await platform?.stop();
    await own?.remove();
  });

  /** A call and how long it took to answer. */
  const timed = async <T>(call: () => Promise<T>) => {
    const started = performance.now();
    const answer = await call();
    return { answer, ms: Math.round(performance.now() - started) };
  };
  const OUTAGE_MS = 8_000;
  /** Generous for a busy machine, and still far below the 5–11 s requests waited for Redis before. */
  const QUICKLY_MS = 3_000;

  it('answers me, models and sendMessage at once, keeps limiting each user, and answers what needs Redis with UPSTREAM_UNAVAILABLE', async () => {
    const ada = await registerUser(platform.url, 'ada@example.com');
    await own.stop();

    const me = await timed(() => postGraphQL(platform.url, MeDocument, { token: ada.token }));
    expect(me.answer.body.data?.me?.id).toBe(ada.id);
    expect(me.ms).toBeLessThan(QUICKLY_MS);

    const models = await timed(() => postGraphQL(platform.url, ModelsDocument, { token: ada.token }));
    expect(models.answer.body.data?.models.length).toBeGreaterThan(0);
    expect(models.ms).toBeLessThan(QUICKLY_MS);

    // Accepting a message needs PostgreSQL and Kafka's outbox, not Redis.
    const sent = await timed(() => trySendMessage(platform.url, ada.token, { content: 'Still there?' }));
    expect(sent.answer.status).toBe(200);
    expect(sent.answer.body.errors).toBeUndefined();
    expect(sent.ms).toBeLessThan(QUICKLY_MS);

    // Stopping a reply needs Redis (the worker's signal, the reply's stream): a GraphQL error to retry, unless the reply has already ended.
    const reply = sent.answer.body.data!.sendMessage.assistantMessage.id;
    const cancel = await timed(() =>
      postGraphQL(platform.url, CancelGenerationDocument, { token: ada.token, variables: { messageId: reply } }),
    );
    expect(cancel.ms).toBeLessThan(QUICKLY_MS);
    expect(cancel.answer.status).toBe(200);
    if (cancel.answer.body.errors) {
      expect(cancel.answer.body.errors[0]).toMatchObject({
        message: expect.stringMatching(/Parley's cache and stream store \(Redis\) is unreachable; try again in a few seconds\.$/),
        extensions: { code: 'UPSTREAM_UNAVAILABLE' },
      });
    } else {
      expect(cancel.answer.body.data?.cancelGeneration.status).not.toBe('STREAMING');
    }

    // Someone who signs up during the outage is counted by this gateway process alone: PER_USER requests, then 429.
    const grace = await registerUser(platform.url, 'grace@example.com');
    for (let i = 1; i <= PER_USER; i++) {
      const { status } = await postGraphQL(platform.url, MeDocument, { token: grace.token });
      expect(status, `request ${i}`).toBe(200);
    }
    const refused = await timed(() => postGraphQL(platform.url, MeDocument, { token: grace.token }));
    expect(refused.answer.status).toBe(429);
    expect(refused.answer.body.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED' });
    expect(refused.ms).toBeLessThan(QUICKLY_MS);
    console.info(`redis down: me ${me.ms} ms, models ${models.ms} ms, sendMessage ${sent.ms} ms, cancelGeneration ${cancel.ms} ms`);
  });

  it('keeps every service ready through an 8 s Redis outage, reporting Redis degraded, and clear again within 2 s of its return', async () => {
    await own.start();
    await own.stop();
    const stopped = performance.now();
    const readyz = [...platform.gatewayUrls, ...['users', 'chat', 'models', 'translation'].map((name) => platform.subgraphUrls[name]!)].map(
      (url) => new URL('/readyz', url).toString(),
    );
    const redisDegraded = async (url: string) => {
      const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      const body = (await response.json()) as { degraded?: string[] };
      return { status: response.status, redisDegraded: body.degraded?.includes('redis') ?? false };
    };
    // Each has noticed, and stays in the load balancer: every replica shares this Redis, and each use of it degrades.
    for (const url of readyz)
      await expect.poll(() => redisDegraded(url), { timeout: 20_000 }).toEqual({ status: 200, redisDegraded: true });
    // The outage lasts 8 s, like the Redis restart of issue 14: long enough for a growing backoff to reach seconds.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, stopped + OUTAGE_MS - performance.now())));

    // Timed from the start of redis-server, so the figure includes its own start.
    const back = performance.now();
    await own.start();
    const readyAfterMs = await Promise.all(
      readyz.map(async (url) => {
        await expect
          .poll(() => redisDegraded(url).catch(() => null), { timeout: 20_000, interval: 20 })
          .toEqual({ status: 200, redisDegraded: false });
        return Math.round(performance.now() - back);
      }),
    );
    console.info(`redis back: ready again ${readyAfterMs.join(', ')} ms after redis-server was started (${readyz.length} services)`);
    for (const ms of readyAfterMs) expect(ms).toBeLessThan(2_000);
  });
});
