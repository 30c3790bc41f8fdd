import { TranslateDocument } from '@parley/client';
import { postGraphQL } from '@parley/testing';
import { registerUser } from '@parley/testing/parley-client';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realServices, startPlatformUnderTest, type PlatformUnderTest } from '../../src/testing/platform-under-test';
import { startTranslationFakes, toChinese, type TranslationFakes } from '../support/test-translation-config';

const services = realServices();

describe.runIf(services)('the translation cache across two translation processes (services mode)', () => {
  let platform: PlatformUnderTest;
  let fakes: TranslationFakes;
  let redis: Redis;
  let token: string;

  beforeAll(async () => {
    fakes = await startTranslationFakes();
    platform = await startPlatformUnderTest({ settings: fakes.settings, translationReplicas: 2 });
    redis = new Redis(services!.redisUrl);
    token = (await registerUser(platform.url, 'replicas@example.com')).token;
  }, 120_000);
  afterAll(async () => {
    await redis?.quit();
    await platform?.stop();
    await fakes?.close();
  });

  it('serves a translation made by one process from the shared cache in the other, from Redis and then from PostgreSQL', async () => {
    const text = 'The weather is lovely this morning.';
    const viaGateway = await postGraphQL(platform.url, TranslateDocument, { token, variables: { text, to: 'zh-CN' } });
    expect(viaGateway.body.data!.translate).toMatchObject({ text: toChinese(text), cached: false });
    const calls = fakes.libre.calls.length;

    const second = platform.subgraphUrls['translation-2']!;
    const fromRedis = await postGraphQL(second, TranslateDocument, {
      token,
      headers: platform.internalHeaders,
      variables: { text, to: 'zh-CN' },
    });
    expect(fromRedis.body.data!.translate).toMatchObject({ text: toChinese(text), cached: true, provider: 'libretranslate' });

    // Redis loses its copy (flushed, evicted, restarted): PostgreSQL still has it, and Redis gets it back.
    const keys = await redis.keys(`${platform.namespace}translation:*`);
    expect(keys).toHaveLength(1);
    await redis.del(...keys);
    const fromPostgres = await postGraphQL(second, TranslateDocument, {
      token,
      headers: platform.internalHeaders,
      variables: { text, to: 'zh-CN' },
    });
    expect(fromPostgres.body.data!.translate).toMatchObject({ text: toChinese(text), cached: true });
    expect(await redis.exists(keys[0]!)).toBe(1);
    expect(fakes.libre.calls.length).toBe(calls);

    const metrics = await (await fetch(new URL('/metrics', second))).text();
    // This replica answered both from the cache (Redis, then PostgreSQL) and never asked a provider.
    expect(metrics).toMatch(/^parley_cache_lookups_total\{cache="translation",result="hit",service="translation"\} 2$/m);
    expect(metrics).not.toMatch(/^parley_cache_lookups_total\{cache="translation",result="miss"/m);
  });
});
