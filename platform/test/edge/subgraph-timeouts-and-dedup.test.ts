import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RegisterDocument, SendMessageDocument, MessageStateDocument } from '@parley/client';
import { postGraphQL } from '@parley/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayOver } from '../support/in-process-gateway';
import { startPlatformUnderTest, type PlatformUnderTest } from '../../src/testing/platform-under-test';

interface Recorder {
  url: string;
  bodies: string[];
  close(): Promise<void>;
}

/** A subgraph stand-in over real HTTP: forwards to `target` after `delayMs` (or never answers), recording each request. */
async function startRelay(target: string | null, delayMs = 300): Promise<Recorder> {
  const bodies: string[] = [];
  const read = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      let data = '';
      req.on('data', (chunk: Buffer) => (data += chunk.toString()));
      req.on('end', () => resolve(data));
    });
  const server: Server = createServer(async (req, res) => {
    const body = await read(req);
    bodies.push(body);
    if (target === null) return; // hangs: never answers
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (req.headers.authorization) headers['authorization'] = req.headers.authorization;
    const upstream = await fetch(target, { method: 'POST', headers, body });
    res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
    res.end(await upstream.text());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    bodies,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('subgraph requests: bounded by a timeout, and identical reads shared', () => {
  let platform: PlatformUnderTest;
  let users: Recorder;
  let translation: Recorder;
  let gatewayUrl: string;
  let closeGateway: () => Promise<void>;
  let token: string;
  let otherToken: string;
  let conversationId: string;

  const post = (query: string, bearer: string, variables: Record<string, unknown> = {}) =>
    fetch(gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
      body: JSON.stringify({ query, variables }),
    }).then(async (r) => ({
      status: r.status,
      body: (await r.json()) as { data?: any; errors?: { message: string; extensions?: Record<string, unknown>; path?: unknown[] }[] },
    }));

  beforeAll(async () => {
    platform = await startPlatformUnderTest();
    const register = async (email: string) =>
      (await postGraphQL(platform.url, RegisterDocument, { variables: { input: { email, password: 'a long enough passphrase' } } })).body
        .data!.register.accessToken;
    token = await register('timeouts@example.com');
    otherToken = await register('timeouts-2@example.com');
    const sent = (
      await postGraphQL(platform.url, SendMessageDocument, { token, variables: { input: { content: 'Hello there, gateway.' } } })
    ).body.data!.sendMessage;
    conversationId = sent.conversation.id;
    for (let i = 0; ; i++) {
      const state = await postGraphQL(platform.url, MessageStateDocument, { token, variables: { id: sent.assistantMessage.id } });
      if (state.body.data?.message?.status === 'COMPLETED') break;
      if (i > 400) throw new Error('the reply did not complete');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    users = await startRelay(platform.subgraphUrls['users']!);
    translation = await startRelay(null);
    const gateway = await startGatewayOver(platform, {
      subgraphUrls: { users: users.url, translation: translation.url },
      protection: { subgraphTimeoutMs: 1000 },
    });
    gatewayUrl = gateway.url;
    closeGateway = gateway.close;
  }, 120_000);
  afterAll(async () => {
    await closeGateway?.();
    await users?.close();
    await translation?.close();
    await platform?.stop();
  });

  it('answers without the part a hanging subgraph serves, with UPSTREAM_UNAVAILABLE naming it, instead of hanging', async () => {
    const started = Date.now();
    const { status, body } = await post(
      'query($id: ID!) { conversation(id: $id) { title messages { edges { node { content translation(to: "fr") { text } } } } } }',
      token,
      { id: conversationId },
    );
    // Answered by the 1 s subgraph timeout, not the 30 s request timeout nor never: a generous bound, since a busy
    // machine can stretch the other subgraph calls of this query past a tight one like 3 s.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(status).toBe(200);
    const nodes = body.data.conversation.messages.edges.map((e: { node: unknown }) => e.node);
    expect(nodes[0]).toEqual({ content: 'Hello there, gateway.', translation: null });
    expect(body.errors?.[0]?.extensions?.['code']).toBe('UPSTREAM_UNAVAILABLE');
    expect(body.errors?.[0]?.message).toMatch(/translation service did not answer within 1000 ms/);
  });

  it('sends identical concurrent reads of one caller to a subgraph once', async () => {
    const before = users.bodies.length;
    const answers = await Promise.all(Array.from({ length: 5 }, () => post('{ me { id email } }', token)));
    for (const { body } of answers) expect(body.data.me.email).toBe('timeouts@example.com');
    expect(users.bodies.length - before).toBe(1);
  });

  it('never shares a read between two callers, nor any mutation', async () => {
    const before = users.bodies.length;
    const [mine, theirs] = await Promise.all([post('{ me { email } }', token), post('{ me { email } }', otherToken)]);
    expect(mine.body.data.me.email).toBe('timeouts@example.com');
    expect(theirs.body.data.me.email).toBe('timeouts-2@example.com');
    expect(users.bodies.slice(before).filter((body) => body.includes('email'))).toHaveLength(2);

    const mutation = 'mutation { updateSettings(input: { autoTranslate: true }) { autoTranslate } }';
    const afterReads = users.bodies.length;
    await Promise.all([post(mutation, token), post(mutation, token)]);
    expect(users.bodies.slice(afterReads).filter((body) => body.includes('updateSettings'))).toHaveLength(2);
  });
});
