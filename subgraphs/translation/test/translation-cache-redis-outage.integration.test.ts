import { sqlOn } from '@parley/database';
import { createRedisClient } from '@parley/pubsub';
import { captureLogs, createManualClock, servicesEnv, startOwnRedis, startSubgraphUnderTest, type OwnService } from '@parley/testing';
import type { SubgraphUnderTest } from '@parley/testing';
import type Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { translationSubgraph, type TranslationService } from '../src/server';
import { createTranslationCache, translationKey, type CachedTranslation } from '../src/translation-cache';

/**
 * The translation cache's fast tier is Redis; PostgreSQL keeps every
 * translation for good. While Redis is unreachable the fast tier is skipped at
 * once: translations are read from and stored in PostgreSQL alone, and no
 * request waits for Redis. On this suite's own redis-server.
 */
describe('the translation cache while Redis is unreachable (own redis-server)', () => {
  let own: OwnService;
  let redis: Redis;
  let subgraph: SubgraphUnderTest<TranslationService>;

  beforeAll(async () => {
    own = await startOwnRedis();
    redis = createRedisClient(own.url);
    // The service only for its migrated database; the cache under test is built below, on it.
    subgraph = await startSubgraphUnderTest(translationSubgraph, {
      databaseServerUrl: servicesEnv().databaseUrl,
      clock: createManualClock(),
      settings: { TRANSLATION_PROVIDERS: 'libretranslate', LIBRETRANSLATE_URL: 'http://127.0.0.1:9' },
    });
  });
  afterAll(async () => {
    await subgraph?.stop();
    redis?.disconnect();
    await own?.remove();
  });

  const entry = (text: string): { key: string; value: CachedTranslation } => ({
    key: translationKey(text, 'en', 'zh-CN', 'libretranslate', 'libretranslate'),
    value: { text: `译文：${text}`, from: 'en', to: 'zh-CN', provider: 'libretranslate', model: 'libretranslate' },
  });

  it('stores and serves translations from PostgreSQL at once while Redis is down, and fills Redis again once it is back', async () => {
    const logs = captureLogs('info');
    const namespace = `${own.port}:`;
    const cache = createTranslationCache({
      sql: sqlOn(subgraph.orm.em.getConnection()),
      redis,
      namespace,
      ttlSeconds: 60,
      now: Date.now,
      logger: logs.logger,
    });
    const before = entry('Stored before the outage.');
    await cache.putMany([before]);
    await own.stop();

    const during = entry('Stored during the outage.');
    const started = performance.now();
    await cache.putMany([during]);
    const found = await cache.getMany([before.key, during.key, 'never-stored']);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(Object.fromEntries(found)).toEqual({ [before.key]: before.value, [during.key]: during.value });
    expect(
      logs
        .lines()
        .filter((line) => line['msg'] === 'redis unreachable: the translation cache is read from PostgreSQL alone until it is back'),
    ).toHaveLength(1);

    await own.start();
    await expect.poll(() => redis.ping().catch(() => 'not yet')).toBe('PONG');
    // What was stored while Redis was away reaches Redis the next time it is read.
    expect(await redis.exists(`${namespace}translation:${during.key}`)).toBe(0);
    expect((await cache.getMany([during.key])).get(during.key)).toEqual(during.value);
    expect(await redis.exists(`${namespace}translation:${during.key}`)).toBe(1);
  });
});
