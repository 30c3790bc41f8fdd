import { createServer } from 'node:http';
import { remoteAccessTokenVerifier } from '@parley/auth';
import { captureLogs } from '@parley/testing';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSubgraphServer, type ListeningServer } from '../src';

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
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ ok }' }),
    });
    expect(response.status).toBe(503);
    const body = (await response.json()) as { data?: unknown; errors: { message: string; extensions: Record<string, unknown> }[] };
    expect(body.data ?? null).toBeNull();
    expect(body.errors[0]).toMatchObject({ extensions: { code: 'UPSTREAM_UNAVAILABLE' }, message: expect.stringMatching(/try again/i) });
    expect(jwksRequests).toBe(1);
  });
});
