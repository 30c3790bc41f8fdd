import { randomBytes } from 'node:crypto';
import { ConversationsWithOwnersDocument, ModelsDocument } from '@parley/client';
import { chatSubgraph } from '@parley/chat';
import { createOrm } from '@parley/database';
import { createInProcessBus } from '@parley/events';
import { createInMemoryPubSub } from '@parley/pubsub';
import { loadConfig, systemClock, type SubgraphServer } from '@parley/runtime';
import type { SubgraphDefinition } from '@parley/service-host';
import {
  captureLogs,
  createTestDatabase,
  freePort,
  postGraphQL,
  servicesEnv,
  startServiceProcess,
  uniqueName,
  waitUntilReady,
  type ServiceProcess,
  type TestDatabase,
} from '@parley/testing';
import { usersSubgraph } from '@parley/users';
import type { MikroORM } from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Services mode as CI and production run it: the gateway and the four
 * subgraphs as separate processes on real PostgreSQL, Redis and Kafka.
 */
describe('services mode: five processes on real PostgreSQL, Redis and Kafka', () => {
  const real = servicesEnv();
  const logger = captureLogs('silent').logger;
  let database: TestDatabase;
  const processes: Record<string, ServiceProcess> = {};
  const ports: Record<string, number> = {};
  const orms: MikroORM[] = [];
  let gatewayUrl: string;
  let alice: { id: string; token: string };

  const serviceSettings = { USERS_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64') };

  /** Builds a subgraph in this process against the same database, for fixtures only (it never listens). */
  async function inProcess<T extends { server: SubgraphServer }, S>(definition: SubgraphDefinition<T, S>): Promise<T> {
    const orm = await createOrm({
      schema: definition.schemaName,
      entities: definition.entities,
      migrations: [],
      logger,
      url: database.url,
      poolMax: 2,
    });
    orms.push(orm);
    return definition.create(
      {
        orm,
        bus: createInProcessBus({ logger }),
        pubsub: createInMemoryPubSub(),
        redis: null,
        namespace: '',
        logger,
        clock: systemClock,
        auth: { issuer: 'parley', audience: 'parley-api', jwksUrl: `http://127.0.0.1:${ports['users']}/.well-known/jwks.json` },
        readiness: [],
      },
      loadConfig(definition.settings, serviceSettings),
    );
  }

  beforeAll(async () => {
    database = await createTestDatabase(real.databaseUrl);
    for (const name of ['gateway', 'users', 'chat', 'models', 'translation']) ports[name] = await freePort();
    const env = {
      DATABASE_URL: database.url,
      REDIS_URL: real.redisUrl,
      KAFKA_BROKERS: real.kafkaBrokers,
      KAFKA_TOPIC_PREFIX: `${uniqueName('t')}.`,
      USERS_URL: `http://127.0.0.1:${ports['users']}`,
      ...serviceSettings,
    };
    const start = async (name: string) => {
      processes[name] = startServiceProcess(name, `subgraphs/${name}/src/index.ts`, { ...env, PORT: String(ports[name]) });
      await waitUntilReady(`http://127.0.0.1:${ports[name]}/readyz`, processes[name]!);
    };
    // users first: the others verify tokens with its keys.
    await start('users');
    await Promise.all(['chat', 'models', 'translation'].map(start));
    processes['gateway'] = startServiceProcess('gateway', 'gateway/src/index.ts', {
      ...env,
      PORT: String(ports['gateway']),
      SUPERGRAPH_PATH: 'supergraph.graphql',
      SUBGRAPH_URLS: ['users', 'chat', 'models', 'translation'].map((n) => `${n}=http://127.0.0.1:${ports[n]}/graphql`).join(','),
    });
    await waitUntilReady(`http://127.0.0.1:${ports['gateway']}/readyz`, processes['gateway']!);
    gatewayUrl = `http://127.0.0.1:${ports['gateway']}/graphql`;

    const users = await inProcess(usersSubgraph);
    const chat = await inProcess(chatSubgraph);
    const user = await users.directory().create({ email: 'alice@example.com', displayName: 'Alice' });
    alice = { id: user.id, token: (await users.tokens.issue({ userId: user.id, roles: user.roles })).token };
    for (const title of ['Kafka notes', 'PostgreSQL notes']) {
      const conversation = await chat.history().createConversation({ ownerId: user.id, title });
      await chat.history().appendMessage(conversation, { role: 'USER', content: `Tell me about ${title}` });
    }
  }, 180_000);

  afterAll(async () => {
    await Promise.all(Object.values(processes).map((p) => p.stop('SIGKILL')));
    await Promise.all(orms.map((orm) => orm.close()));
    await database?.drop();
  });

  it('answers the cross-subgraph conversations query through the gateway over HTTP', async () => {
    const { status, body } = await postGraphQL(gatewayUrl, ConversationsWithOwnersDocument, {
      token: alice.token,
      variables: { first: 10 },
    });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data!.conversations.edges.map((e) => [e.node.title, e.node.owner.email, e.node.owner.displayName])).toEqual([
      ['PostgreSQL notes', 'alice@example.com', 'Alice'],
      ['Kafka notes', 'alice@example.com', 'Alice'],
    ]);
    expect(body.data!.conversations.edges[0]!.node.messages.edges[0]!.node.content).toBe('Tell me about PostgreSQL notes');
  });

  it('serves the models catalog from the models process', async () => {
    const { body } = await postGraphQL(gatewayUrl, ModelsDocument);
    expect(body.data!.models.map((m) => m.id)).toContain('dev/echo');
  });

  it('reports each dependency of a subgraph in /readyz', async () => {
    const response = await fetch(`http://127.0.0.1:${ports['chat']}/readyz`);
    expect(response.status).toBe(200);
    const report = (await response.json()) as { checks: Record<string, { status: string; address: string }> };
    expect(report.checks).toEqual({
      postgres: expect.objectContaining({ status: 'up' }),
      redis: expect.objectContaining({ status: 'up', address: '127.0.0.1:6379' }),
      kafka: expect.objectContaining({ status: 'up', address: real.kafkaBrokers }),
    });
  });

  it('has every subgraph refuse a forged or missing token when called directly', async () => {
    const forged = `${alice.token.slice(0, -4)}AAAA`;
    for (const name of ['users', 'chat', 'models', 'translation']) {
      const { status, body } = await postGraphQL(`http://127.0.0.1:${ports[name]}/graphql`, '{ __typename }', { token: forged });
      expect(status, name).toBe(401);
      expect(body.errors?.[0]?.extensions?.['code'], name).toBe('UNAUTHENTICATED');
    }
    const anonymous = await postGraphQL(`http://127.0.0.1:${ports['chat']}/graphql`, '{ conversations { edges { cursor } } }');
    expect(anonymous.body.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
  });

  it('drains and exits cleanly on SIGTERM', async () => {
    const translation = processes['translation']!;
    const code = await translation.stop('SIGTERM');
    expect(code, translation.output()).toBe(0);
    const ready = await fetch(`http://127.0.0.1:${ports['gateway']}/readyz`);
    expect(ready.status).toBe(503);
    const report = (await ready.json()) as { checks: Record<string, { status: string }> };
    expect(report.checks['translation']?.status).toBe('down');
    expect(report.checks['chat']?.status).toBe('up');
  });
});
