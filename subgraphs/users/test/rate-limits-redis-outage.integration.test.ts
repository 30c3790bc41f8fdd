import { randomBytes } from 'node:crypto';
import { createRedisClient } from '@parley/pubsub';
import { captureLogs, createManualClock, servicesEnv, startOwnRedis, startSubgraphUnderTest, type OwnService } from '@parley/testing';
import type Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usersSubgraph, type UsersService } from '../src/server';
import { login, register } from './support/users-under-test';
import type { SubgraphUnderTest } from '@parley/testing';

/**
 * Sign-in and registration limits live in Redis, shared by every users
 * replica. While Redis is unreachable each process counts on its own with the
 * same limits: people still sign in, at once, and guessing stays limited. On
 * this suite's own redis-server, stopped under the service.
 */
describe('sign-in limits while Redis is unreachable (own redis-server)', () => {
  let own: OwnService;
  let redis: Redis;
  let users: SubgraphUnderTest<UsersService>;
  const logs = captureLogs('info');

  beforeAll(async () => {
    own = await startOwnRedis();
    redis = createRedisClient(own.url);
    users = await startSubgraphUnderTest(usersSubgraph, {
      databaseServerUrl: servicesEnv().databaseUrl,
      clock: createManualClock(),
      redis,
      logger: logs.logger,
      settings: { USERS_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'), LOGIN_ATTEMPTS_PER_ACCOUNT: '3' },
    });
    await register(users, 'steady@example.com');
    await register(users, 'guessed@example.com');
    await own.stop();
  });
  afterAll(async () => {
    await users?.stop();
    redis?.disconnect();
    await own?.remove();
  });

  it('signs people in at once, and still refuses the attempt past the limit with RATE_LIMITED', async () => {
    const started = performance.now();
    expect((await login(users, 'steady@example.com')).body.errors).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(3_000);

    for (let attempt = 1; attempt <= 3; attempt++) {
      const { body } = await login(users, 'guessed@example.com', 'not it at all');
      expect(body.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
    }
    const { body } = await login(users, 'guessed@example.com', 'not it at all');
    expect(body.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/^Too many sign-in attempts for this account; try again in \d+ seconds\.$/),
      extensions: { code: 'RATE_LIMITED' },
    });
    expect(
      logs
        .lines()
        .filter(
          (line) => line['msg'] === 'redis unreachable: sign-in and registration limits are counted in each users process until it is back',
        ),
    ).toHaveLength(1);
  });
});
