import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { connect, subscribe } from '@parley/testing/subscriptions';
import { startGatewayOverStandIns, startStandInSubgraphs, type StandInSubgraphs } from '../support/stand-in-subgraphs';

type GraphQLBody = { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] };

/** A GraphQL query (anonymous: no token, so nothing is fetched from the stand-in's JWKS, which sits behind its bound too). */
const query = (url: string, text: string) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: text }) });

/** Distinct operations, so that the gateway's sharing of identical in-flight reads does not fold them into one. */
const modelsQuery = (n: number) => `query Models${n} { models { id } }`;

describe('admission control at the gateway: past its bound, requests are refused at once in their own dialect', () => {
  let standIns: StandInSubgraphs;
  let gatewayUrl: string;
  let closeGateway: () => Promise<void>;
  const base = () => new URL('/', gatewayUrl);

  beforeAll(async () => {
    // "parley" holds every request it gets until the test lets them go: two of them fill the gateway's two slots.
    standIns = await startStandInSubgraphs({ holdParley: true });
    const gateway = await startGatewayOverStandIns(standIns, {
      protection: { admission: { requests: { concurrency: 2, queueLength: 0, maxQueueWaitMs: 60_000 }, webSocketConnections: 1 } },
    });
    gatewayUrl = gateway.url;
    closeGateway = gateway.close;
  });
  afterAll(async () => {
    await closeGateway?.();
    await standIns?.close();
  });

  it('answers GraphQL, REST, /v1 and graphql-ws queries with 503, Retry-After and OVERLOADED while both slots are held, keeps /healthz up, and serves again once they free', async () => {
    const working = [query(gatewayUrl, modelsQuery(1)), query(gatewayUrl, modelsQuery(2))];
    await expect.poll(() => standIns.held.count(), { timeout: 15_000 }).toBe(2);

    // Refused while the two held requests are still held: the refusal waited for no slot.
    const graphql = await query(gatewayUrl, modelsQuery(3));
    expect(graphql.status).toBe(503);
    expect(graphql.headers.get('retry-after')).toBe('1');
    const graphqlBody = (await graphql.json()) as GraphQLBody;
    expect(graphqlBody.errors?.[0]).toEqual({
      message: 'The gateway is at capacity (2 requests in progress, 0 waiting) and did not start this one. Try again in 1 s.',
      extensions: { code: 'OVERLOADED', retryAfterSeconds: 1 },
    });

    const rest = await fetch(new URL('/api/v1/me', base()));
    expect(rest.status).toBe(503);
    expect(rest.headers.get('retry-after')).toBe('1');
    expect(await rest.json()).toEqual({ error: { code: 'OVERLOADED', message: graphqlBody.errors?.[0]?.message, retryAfterSeconds: 1 } });

    const openai = await fetch(new URL('/v1/models', base()), { headers: { authorization: 'Bearer pk_whatever' } });
    expect(openai.status).toBe(503);
    expect(openai.headers.get('retry-after')).toBe('1');
    expect(await openai.json()).toEqual({
      error: { message: graphqlBody.errors?.[0]?.message, type: 'server_error', param: null, code: 'overloaded' },
    });

    // A query over graphql-ws takes a slot as over HTTP, and is refused the same way.
    const client = connect(gatewayUrl);
    try {
      const overWebSocket = subscribe(client, modelsQuery(5));
      await overWebSocket.ended;
      expect(overWebSocket.results).toEqual([
        { errors: [{ message: graphqlBody.errors?.[0]?.message, extensions: { code: 'OVERLOADED', retryAfterSeconds: 1 } }] },
      ]);
    } finally {
      await client.dispose();
    }

    // Health and readiness are answered before admission: a full gateway is alive, and a load balancer may ask.
    expect((await fetch(new URL('/healthz', base()))).status).toBe(200);
    expect((await fetch(new URL('/readyz', base()))).status).toBe(200);
    expect(standIns.held.count()).toBe(2);

    standIns.held.release();
    for (const answer of await Promise.all(working)) {
      expect(answer.status).toBe(200);
      expect(((await answer.json()) as GraphQLBody).data).toEqual({ models: [{ id: 'dev/echo' }] });
    }
    const after = await query(gatewayUrl, modelsQuery(4));
    expect(((await after.json()) as GraphQLBody).data).toEqual({ models: [{ id: 'dev/echo' }] });
  });

  it('counts WebSocket connections against their own cap, refusing the upgrade past it with 503 and Retry-After', async () => {
    const wsUrl = gatewayUrl.replace(/^http/, 'ws');
    const first = new WebSocket(wsUrl, 'graphql-transport-ws');
    await new Promise((opened, failed) => first.once('open', opened).once('error', failed));
    try {
      const second = new WebSocket(wsUrl, 'graphql-transport-ws');
      const refused = await new Promise<{ status: number | undefined; retryAfter: string | undefined; body: string }>(
        (answered, failed) => {
          second.once('open', () => failed(new Error('the second connection was accepted')));
          second.once('error', () => {});
          second.once('unexpected-response', (_req, res) => {
            let body = '';
            res.on('data', (chunk: Buffer) => (body += chunk.toString()));
            res.on('end', () => answered({ status: res.statusCode, retryAfter: res.headers['retry-after'] as string | undefined, body }));
          });
        },
      );
      expect(refused.status).toBe(503);
      expect(refused.retryAfter).toBe('1');
      expect(JSON.parse(refused.body)).toMatchObject({ errors: [{ extensions: { code: 'OVERLOADED' } }] });
    } finally {
      first.close();
    }
    // Once the first has gone, its place is free again.
    await expect
      .poll(
        async () => {
          const again = new WebSocket(wsUrl, 'graphql-transport-ws');
          const opened = await new Promise<boolean>((done) => {
            again.once('open', () => done(true));
            again.once('unexpected-response', () => done(false));
            again.once('error', () => done(false));
          });
          again.close();
          return opened;
        },
        { timeout: 15_000 },
      )
      .toBe(true);
  });
});

describe('the queue-wait bound at the gateway: a request that waited too long is refused, not served late', () => {
  let standIns: StandInSubgraphs;
  let gatewayUrl: string;
  let closeGateway: () => Promise<void>;

  beforeAll(async () => {
    standIns = await startStandInSubgraphs({ holdParley: true });
    const gateway = await startGatewayOverStandIns(standIns, {
      protection: { admission: { requests: { concurrency: 1, queueLength: 1, maxQueueWaitMs: 300 }, webSocketConnections: 10 } },
    });
    gatewayUrl = gateway.url;
    closeGateway = gateway.close;
  });
  afterAll(async () => {
    await closeGateway?.();
    await standIns?.close();
  });

  it('refuses a queued request once it has waited the bound, while the request ahead of it is still being worked on', async () => {
    const working = query(gatewayUrl, modelsQuery(1));
    await expect.poll(() => standIns.held.count(), { timeout: 15_000 }).toBe(1);

    const waited = await query(gatewayUrl, modelsQuery(2));
    expect(waited.status).toBe(503);
    expect(waited.headers.get('retry-after')).toBe('1');
    expect(((await waited.json()) as GraphQLBody).errors?.[0]).toEqual({
      message:
        'The gateway is at capacity and this request waited 300 ms without starting; it was not started rather than answered late. Try again in 1 s.',
      extensions: { code: 'OVERLOADED', retryAfterSeconds: 1 },
    });
    // The request ahead was never given up on, and "parley" never saw the refused one.
    expect(standIns.held.count()).toBe(1);
    standIns.held.release();
    expect(((await (await working).json()) as GraphQLBody).data).toEqual({ models: [{ id: 'dev/echo' }] });
    expect(standIns.received.parley.filter((body) => body.includes('Models2'))).toEqual([]);
  });
});

describe('a subgraph at capacity: the gateway relays its OVERLOADED for the fields it serves', () => {
  let standIns: StandInSubgraphs;
  let gatewayUrl: string;
  let closeGateway: () => Promise<void>;

  beforeAll(async () => {
    // The gateway's own bound is far away; "parley" takes one request at a time and queues none.
    standIns = await startStandInSubgraphs({ holdParley: true, parleyAdmission: { concurrency: 1, queueLength: 0, maxQueueWaitMs: 1000 } });
    const gateway = await startGatewayOverStandIns(standIns);
    gatewayUrl = gateway.url;
    closeGateway = gateway.close;
  });
  afterAll(async () => {
    await closeGateway?.();
    await standIns?.close();
  });

  it('answers with OVERLOADED naming the service, retriable, instead of an internal error', async () => {
    const working = query(gatewayUrl, modelsQuery(1));
    await expect.poll(() => standIns.held.count(), { timeout: 15_000 }).toBe(1);

    const refused = await query(gatewayUrl, modelsQuery(2));
    const body = (await refused.json()) as GraphQLBody;
    expect(body.data ?? null).toBeNull();
    expect(body.errors?.[0]).toEqual({
      message: 'The parley service is at capacity (1 request in progress, 0 waiting) and did not start this one. Try again in 1 s.',
      extensions: { code: 'OVERLOADED', retryAfterSeconds: 1, service: 'parley' },
    });
    standIns.held.release();
    expect(((await (await working).json()) as GraphQLBody).data).toEqual({ models: [{ id: 'dev/echo' }] });
  });
});
