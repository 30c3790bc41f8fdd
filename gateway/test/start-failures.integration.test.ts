import { freePort, servicesEnv, startServiceProcess, startTcpProxy, uniqueName, waitUntilReady, createTestDatabase } from '@parley/testing';
import { describe, expect, it } from 'vitest';

describe('starting a service on bad configuration or missing dependencies', () => {
  const real = servicesEnv();
  const INTERNAL_SERVICE_TOKEN = 'start-failures-internal-token-0123456789';

  it('refuses to start without DATABASE_URL and names the variable', async () => {
    const service = startServiceProcess('models', 'subgraphs/models/src/index.ts', {
      REDIS_URL: real.redisUrl,
      KAFKA_BROKERS: real.kafkaBrokers,
    });
    expect(await service.exited).toBe(1);
    expect(service.output()).toContain('DATABASE_URL: must be a postgres:// URL');
    expect(service.output()).toContain('it is not set');
  });

  it('refuses to start the users service or the gateway without INTERNAL_SERVICE_TOKEN, the credential of their requests to subgraphs', async () => {
    const users = startServiceProcess('users', 'subgraphs/users/src/index.ts', {
      DATABASE_URL: real.databaseUrl,
      REDIS_URL: real.redisUrl,
      KAFKA_BROKERS: real.kafkaBrokers,
      INTERNAL_SERVICE_TOKEN: 'too short',
    });
    const gateway = startServiceProcess('gateway', 'gateway/src/index.ts', { REDIS_URL: real.redisUrl });
    expect(await users.exited).toBe(1);
    expect(users.output()).toContain('INTERNAL_SERVICE_TOKEN: must be at least 32 characters');
    expect(users.output()).toContain('<redacted>');
    expect(await gateway.exited).toBe(1);
    expect(gateway.output()).toMatch(/INTERNAL_SERVICE_TOKEN: must be set.*it is not set/);
  });

  it('refuses a malformed PORT and KAFKA_BROKERS with one line each', async () => {
    const service = startServiceProcess('models', 'subgraphs/models/src/index.ts', {
      DATABASE_URL: real.databaseUrl,
      REDIS_URL: real.redisUrl,
      KAFKA_BROKERS: 'kafka-without-port',
      PORT: 'eighty',
    });
    expect(await service.exited).toBe(1);
    expect(service.output()).toMatch(/KAFKA_BROKERS: must be a comma-separated list of host:port/);
    expect(service.output()).toMatch(/PORT: must be a port number/);
  });

  it('names an unreachable Redis and its address at start', async () => {
    const closedPort = await freePort();
    const service = startServiceProcess('models', 'subgraphs/models/src/index.ts', {
      DATABASE_URL: real.databaseUrl,
      REDIS_URL: `redis://127.0.0.1:${closedPort}`,
      KAFKA_BROKERS: real.kafkaBrokers,
      INTERNAL_SERVICE_TOKEN,
    });
    expect(await service.exited).toBe(1);
    expect(service.output()).toMatch(new RegExp(`Cannot reach redis at 127\\.0\\.0\\.1:${closedPort}: .*ECONNREFUSED`));
  });

  it('says in /readyz which dependency went down while running: Redis degraded and still ready, PostgreSQL not ready', async () => {
    const database = await createTestDatabase(real.databaseUrl);
    const redisUrl = new URL(real.redisUrl);
    const proxy = await startTcpProxy(redisUrl.hostname, Number(redisUrl.port || 6379));
    const databaseUrl = new URL(database.url);
    const databaseProxy = await startTcpProxy(databaseUrl.hostname, Number(databaseUrl.port || 5432));
    databaseUrl.port = String(databaseProxy.port);
    const port = await freePort();
    const service = startServiceProcess('models', 'subgraphs/models/src/index.ts', {
      DATABASE_URL: databaseUrl.toString(),
      REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
      KAFKA_BROKERS: real.kafkaBrokers,
      KAFKA_TOPIC_PREFIX: `${uniqueName('t')}.`,
      PORT: String(port),
      INTERNAL_SERVICE_TOKEN,
    });
    type Report = { ready: boolean; degraded?: string[]; checks: Record<string, { status: string; address: string }> };
    const readyz = async () => {
      const response = await fetch(`http://127.0.0.1:${port}/readyz`);
      return { status: response.status, report: (await response.json()) as Report };
    };
    try {
      await waitUntilReady(`http://127.0.0.1:${port}/readyz`, service);
      await proxy.close();
      // Every replica shares one Redis and each use of it degrades: reported, but the service stays in the load balancer.
      const withoutRedis = await readyz();
      expect(withoutRedis.status).toBe(200);
      expect(withoutRedis.report.degraded).toEqual(['redis']);
      expect(withoutRedis.report.checks['redis']).toMatchObject({ status: 'down', address: `127.0.0.1:${proxy.port}` });
      expect(withoutRedis.report.checks['postgres']?.status).toBe('up');
      expect(withoutRedis.report.checks['kafka']?.status).toBe('up');

      await databaseProxy.close();
      const withoutDatabase = await readyz();
      expect(withoutDatabase.status).toBe(503);
      expect(withoutDatabase.report.checks['postgres']).toMatchObject({
        status: 'down',
        address: expect.stringContaining(`127.0.0.1:${databaseProxy.port}`),
      });
    } finally {
      await service.stop('SIGKILL');
      await database.drop();
    }
  }, 60_000);
});
