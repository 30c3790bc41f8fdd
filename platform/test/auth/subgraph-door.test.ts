import { LoginDocument, MeDocument, RegisterDocument } from '@parley/client';
import { postGraphQL } from '@parley/testing';
import { PASSPHRASE, registerUser } from '@parley/testing/parley-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatformUnderTest, type PlatformUnderTest } from '../../src/testing/platform-under-test';

const SUBGRAPHS = ['users', 'chat', 'models', 'translation'];

/** `conversations(first: 100) { edges { node { messages(first: 100) { edges { node { conversation { … } } } } } } }`, `depth` fields deep. */
function nested(depth: number): string {
  const cycle = ['messages(first: 100)', 'edges', 'node', 'conversation'];
  const fields = ['conversations(first: 100)', 'edges', 'node'];
  while (fields.length < depth - 1) fields.push(cycle[(fields.length - 3) % cycle.length]!);
  return `{ ${fields.map((field) => `${field} {`).join(' ')} __typename ${'}'.repeat(fields.length)} }`;
}

describe("a subgraph's own port (issue 19)", () => {
  let platform: PlatformUnderTest;

  beforeAll(async () => {
    platform = await startPlatformUnderTest({ settings: { REGISTRATIONS_PER_IP: '2' } });
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it('refuses every GraphQL request without the internal credential: SDL, introspection, a query, a wrong credential', async () => {
    for (const name of SUBGRAPHS) {
      const url = platform.subgraphUrls[name]!;
      for (const query of ['{ _service { sdl } }', '{ __schema { types { name } } }', '{ __typename }']) {
        const { status, body } = await postGraphQL(url, query);
        expect(status, `${name}: ${query}`).toBe(401);
        expect(body.data ?? null).toBeNull();
        expect(body.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
        expect(JSON.stringify(body)).not.toMatch(/type Query|__Schema/);
      }
      const forged = await postGraphQL(url, '{ _service { sdl } }', { headers: { 'x-parley-internal': 'x'.repeat(44) } });
      expect(forged.status, name).toBe(403);
      expect(forged.body.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    }
  });

  it("refuses register and login sent straight to the users service, whatever X-Forwarded-For claims, once the gateway's limit is reached", async () => {
    const machine = { localAddress: '127.0.0.7' };
    await registerUser(platform.url, 'first@example.com', machine);
    await registerUser(platform.url, 'second@example.com', machine);
    const throughGateway = await postGraphQL(platform.url, RegisterDocument, {
      variables: { input: { email: 'third@example.com', password: PASSPHRASE } },
      headers: { 'x-forwarded-for': '203.0.113.9' },
      ...machine,
    });
    expect(throughGateway.body.errors?.[0]?.extensions?.['code']).toBe('RATE_LIMITED');

    const users = platform.subgraphUrls['users']!;
    const direct = await postGraphQL(users, RegisterDocument, {
      variables: { input: { email: 'third@example.com', password: PASSPHRASE } },
      headers: { 'x-forwarded-for': '203.0.113.10' },
      ...machine,
    });
    expect(direct.status).toBe(401);
    expect(direct.body.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
    const login = await postGraphQL(users, LoginDocument, {
      variables: { email: 'first@example.com', password: PASSPHRASE },
      headers: { 'x-forwarded-for': '203.0.113.11' },
    });
    expect(login.status).toBe(401);
    expect(login.body.data ?? null).toBeNull();
    expect(await platform.users.directory().findByEmail('third@example.com')).toBeNull();
  });

  it('refuses, even with the credential, what the gateway would: 17 deep, 1 500 aliases, a cost of millions', async () => {
    const chat = platform.subgraphUrls['chat']!;
    const post = (query: string) => postGraphQL(chat, query, { headers: platform.internalHeaders });

    const deep = await post(nested(17));
    expect(deep.status).toBe(400);
    expect(deep.body.errors?.[0]).toMatchObject({
      message: 'The operation nests fields 17 deep; at most 15 are allowed.',
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });

    const aliases = Array.from({ length: 1500 }, (_, i) => `a${i}: cursor`).join(' ');
    const aliased = await post(`{ conversations { edges { ${aliases} } } }`);
    expect(aliased.status).toBe(400);
    expect(aliased.body.errors?.[0]?.extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'aliases', actual: 1500 });

    const costly = await post(nested(12));
    expect(costly.status).toBe(400);
    expect(costly.body.errors?.[0]?.extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'cost', maximum: 50_000 });
  });

  it('still serves the gateway, which presents the credential and the address it settled on', async () => {
    const alice = await registerUser(platform.url, 'alice@example.com', { localAddress: '127.0.0.8' });
    const { body } = await postGraphQL(platform.url, MeDocument, { token: alice.token });
    expect(body.errors).toBeUndefined();
    expect(body.data?.me?.email).toBe('alice@example.com');
    const direct = await postGraphQL(platform.subgraphUrls['users']!, MeDocument, {
      token: alice.token,
      headers: platform.internalHeaders,
    });
    expect(direct.body.data?.me?.email).toBe('alice@example.com');
  });

  it("refuses a person's token sent to the models service's /v1 directly, and the users service's key exchange, past the gateway", async () => {
    const bob = await registerUser(platform.url, 'bob-direct@example.com', { localAddress: '127.0.0.9' });
    const models = new URL('/v1/', platform.subgraphUrls['models']);
    const completion = { model: 'dev/echo', messages: [{ role: 'user', content: 'hello' }] };
    const ask = (headers: Record<string, string>) =>
      fetch(new URL('chat/completions', models), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${bob.token}`, ...headers },
        body: JSON.stringify(completion),
      });
    const direct = await ask({});
    expect(direct.status).toBe(401);
    expect(((await direct.json()) as { error: { code: string } }).error.code).toBeTruthy();
    expect((await ask({ 'x-parley-internal': 'x'.repeat(44) })).status).toBe(403);
    // The same person through the gateway's /v1 (which relays with the credential) is answered.
    const relayed = await fetch(new URL('/v1/chat/completions', platform.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bob.token}` },
      body: JSON.stringify(completion),
    });
    expect(relayed.status).toBe(200);
    const trade = await fetch(new URL('/internal/api-key-token', platform.subgraphUrls['users']), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key: `pk_${'0'.repeat(32)}_${'A'.repeat(43)}` }),
    });
    expect(trade.status).toBe(401);
  });
});
