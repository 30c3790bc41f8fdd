import { createServer } from 'node:http';
import { remoteAccessTokenVerifier } from '@parley/auth';
import { captureLogs } from '@parley/testing';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSubgraphServer, INTERNAL_CREDENTIAL_HEADER, type ListeningServer, type SubgraphServer } from '../src';

// What the gateway presents on every subgraph request (INTERNAL_SERVICE_TOKEN in a deployment).
const INTERNAL_TOKEN = 'probe-internal-token-0123456789abcdef';
const internal = { [INTERNAL_CREDENTIAL_HEADER]: INTERNAL_TOKEN };

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('a subgraph whose verifier cannot fetch the signing keys', () => {
  const held = createServer(() => undefined);
  let subgraph: ListeningServer;
  let jwksRequests = 0;

  beforeAll(async () => {
    held.on('request', () => jwksRequests++);
    await new Promise<void>((resolve) => held.listen(0, '127.0.0.1', resolve));
    const { port } = held.address() as { port: number };
    const server = await createSubgraphServer({
      name: 'probe',
      typeDefs: parse('type Query { ok: Boolean }'),
      resolvers: { Query: { ok: () => true } },
      logger: captureLogs('silent').logger,
      // The users service's JWKS takes requests and never answers them.
      verifier: remoteAccessTokenVerifier({
        jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`,
        issuer: 'parley',
        audience: 'parley-api',
        jwksTimeoutMs: 200,
      }),
      context: (viewer) => ({ viewer }),
      internalToken: INTERNAL_TOKEN,
      readiness: [],
    });
    subgraph = await server.listen(0);
  });
  afterAll(async () => {
    await subgraph?.close();
    held.closeAllConnections();
    await new Promise((resolve) => held.close(resolve));
  });

  it('answers 503 UPSTREAM_UNAVAILABLE, not 401: the token was never judged, and may be sent again', async () => {
    // Well formed up to its signature: verification gets as far as looking up the key.
    const now = Math.floor(Date.now() / 1000);
    const token = `${b64({ alg: 'ES256', kid: 'k1', typ: 'at+jwt' })}.${b64({ iss: 'parley', aud: 'parley-api', sub: 'u1', jti: 'j1', iat: now, exp: now + 600 })}.${'A'.repeat(86)}`;
    const response = await fetch(subgraph.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...internal },
      body: JSON.stringify({ query: '{ ok }' }),
    });
    expect(response.status).toBe(503);
    const body = (await response.json()) as { data?: unknown; errors: { message: string; extensions: Record<string, unknown> }[] };
    expect(body.data ?? null).toBeNull();
    expect(body.errors[0]).toMatchObject({ extensions: { code: 'UPSTREAM_UNAVAILABLE' }, message: expect.stringMatching(/try again/i) });
    expect(jwksRequests).toBe(1);
  });
});

describe('a subgraph at capacity', () => {
  let subgraph: ListeningServer;
  const held: (() => void)[] = [];
  const post = (query: string) =>
    fetch(subgraph.url, { method: 'POST', headers: { 'content-type': 'application/json', ...internal }, body: JSON.stringify({ query }) });

  beforeAll(async () => {
    const server = await createSubgraphServer({
      name: 'probe',
      typeDefs: parse('type Query { held: Boolean, ok: Boolean }'),
      // `held` answers only when the test lets it: the one slot stays taken meanwhile.
      resolvers: { Query: { held: () => new Promise<boolean>((resolve) => held.push(() => resolve(true))), ok: () => true } },
      logger: captureLogs('silent').logger,
      verifier: remoteAccessTokenVerifier({
        jwksUrl: 'http://127.0.0.1:9/.well-known/jwks.json',
        issuer: 'parley',
        audience: 'parley-api',
      }),
      context: (viewer) => ({ viewer }),
      internalToken: INTERNAL_TOKEN,
      readiness: [],
      admission: { concurrency: 1, queueLength: 0, maxQueueWaitMs: 1000 },
      routes: { '/probe': (_req, res) => void res.end('probe') },
    });
    subgraph = await server.listen(0);
  });
  afterAll(async () => {
    for (const release of held) release();
    await subgraph?.close();
  });

  it('refuses the request over its bound at once with 503, Retry-After and OVERLOADED, answers /healthz, and serves again once free', async () => {
    const working = post('{ held }');
    await expect.poll(() => held.length, { timeout: 10_000 }).toBe(1);

    const refused = await post('{ ok }');
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    const body = (await refused.json()) as { errors: { message: string; extensions: Record<string, unknown> }[] };
    expect(body.errors[0]).toEqual({
      message: 'The probe service is at capacity (1 request in progress, 0 waiting) and did not start this one. Try again in 1 s.',
      extensions: { code: 'OVERLOADED', retryAfterSeconds: 1, service: 'probe' },
    });
    // Its other routes are behind the same bound, and answer in the services' plain form.
    const other = await fetch(new URL('/probe', subgraph.url));
    expect(other.status).toBe(503);
    expect(await other.json()).toMatchObject({ error: 'overloaded' });
    expect((await fetch(new URL('/healthz', subgraph.url))).status).toBe(200);

    held.shift()!();
    expect((await (await working).json()) as unknown).toEqual({ data: { held: true } });
    expect((await (await post('{ ok }')).json()) as unknown).toEqual({ data: { ok: true } });
  });
});

describe('a subgraph asked in-process (the embedded gateway)', () => {
  let subgraph: ListeningServer;
  let server: SubgraphServer;
  const held: (() => void)[] = [];
  const body = JSON.stringify({ query: '{ caller }' });
  const headers = { 'content-type': 'application/json', 'user-agent': 'parley-test', 'x-request-id': 'req-in-process-1', ...internal };

  beforeAll(async () => {
    server = await createSubgraphServer({
      name: 'probe',
      typeDefs: parse('type Query { caller: String, held: Boolean }'),
      resolvers: {
        Query: {
          caller: (_root: unknown, _args: unknown, context: { caller: string }) => context.caller,
          held: () => new Promise<boolean>((resolve) => held.push(() => resolve(true))),
        },
      },
      logger: captureLogs('silent').logger,
      verifier: remoteAccessTokenVerifier({
        jwksUrl: 'http://127.0.0.1:9/.well-known/jwks.json',
        issuer: 'parley',
        audience: 'parley-api',
      }),
      // What a context reads of the request: its request id, its headers and the peer's address.
      context: (_viewer, scope, req) => ({ caller: `${scope.requestId} ${String(req.headers['user-agent'])} ${req.socket.remoteAddress}` }),
      internalToken: INTERNAL_TOKEN,
      readiness: [],
      admission: { concurrency: 1, queueLength: 0, maxQueueWaitMs: 1000 },
    });
    subgraph = await server.listen(0);
  });
  afterAll(async () => {
    for (const release of held) release();
    await subgraph?.close();
  });

  it('answers what a POST to /graphql answers, with the same request id, headers and loopback peer', async () => {
    const overHttp = await fetch(subgraph.url, { method: 'POST', headers, body });
    const inProcess = await server.answer(body, headers);
    expect(inProcess.status).toBe(overHttp.status);
    expect(JSON.parse(inProcess.body)).toEqual(await overHttp.json());
    expect(JSON.parse(inProcess.body)).toEqual({ data: { caller: 'req-in-process-1 parley-test 127.0.0.1' } });
    expect(inProcess.headers['x-request-id']).toBe(overHttp.headers.get('x-request-id'));
  });

  it('shares the admission bound with HTTP: OVERLOADED with Retry-After while the slot is taken, served once it is free', async () => {
    const working = fetch(subgraph.url, { method: 'POST', headers, body: JSON.stringify({ query: '{ held }' }) });
    await expect.poll(() => held.length, { timeout: 10_000 }).toBe(1);
    const refused = await server.answer(body, headers);
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(JSON.parse(refused.body).errors[0].extensions).toMatchObject({ code: 'OVERLOADED', service: 'probe' });
    held.shift()!();
    await working;
    expect((await server.answer(body, headers)).status).toBe(200);
  });

  it('refuses a request without the internal credential the same way in-process as over HTTP, before running it', async () => {
    const { [INTERNAL_CREDENTIAL_HEADER]: _credential, ...anonymous } = headers;
    const overHttp = await fetch(subgraph.url, { method: 'POST', headers: anonymous, body });
    const inProcess = await server.answer(body, anonymous);
    expect([overHttp.status, inProcess.status]).toEqual([401, 401]);
    expect(JSON.parse(inProcess.body)).toEqual(await overHttp.json());
    expect(JSON.parse(inProcess.body).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    const wrong = await server.answer(body, { ...anonymous, [INTERNAL_CREDENTIAL_HEADER]: 'x'.repeat(40) });
    expect(wrong.status).toBe(403);
    expect(JSON.parse(wrong.body).errors[0].extensions.code).toBe('FORBIDDEN');
  });

  it('refuses a body that is not JSON with 400, as over HTTP', async () => {
    const answer = await server.answer('{ caller', headers);
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body).errors[0].message).toMatch(/not valid JSON/);
  });
});
