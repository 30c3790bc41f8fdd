import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { captureLogs } from '@parley/testing';
import { buildSchema } from 'graphql';
import type { Client } from 'graphql-ws';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { startEmbeddedPlatform, type EmbeddedPlatform } from '../../src/embedded-platform';
import { attachWebSocketServer, defaultWebSocketLimits } from '@parley/gateway';
import { connect, subscribe } from '@parley/testing/subscriptions';

describe('the WebSocket endpoint protects the gateway', () => {
  let platform: EmbeddedPlatform;
  let token: string;
  let replyId: string;
  const clients: Client[] = [];
  const client = () => {
    const created = connect(platform.url, { token });
    clients.push(created);
    return created;
  };

  beforeAll(async () => {
    platform = await startEmbeddedPlatform({ logger: captureLogs('silent').logger, port: 0 });
    const user = await platform.users.directory().create({ email: 'carol@example.com' });
    token = (await platform.users.tokens.issue({ userId: user.id, roles: user.roles })).token;
    const history = platform.chat.history();
    const conversation = await history.createConversation({ ownerId: user.id, title: 'Limits' });
    replyId = (await history.appendMessage(conversation, { role: 'ASSISTANT', content: '', status: 'PENDING' })).id;
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.dispose()));
  });

  afterAll(async () => {
    await platform?.stop();
  });

  it('refuses a subscription nested deeper than the limit, before anything runs', async () => {
    // messageStream › message, conversation › messages › edges › node twice over, then id: 11 levels.
    const nested = (inner: string) => `conversation { messages { edges { node { ${inner} } } } }`;
    const deep = subscribe(
      client(),
      `subscription($id: ID!) { messageStream(messageId: $id) { ... on MessageCompleted { message { ${nested(nested('id'))} } } } }`,
      { id: replyId },
    );
    const { errors } = await deep.ended;
    expect(errors).toEqual([
      expect.objectContaining({
        message: `The operation nests fields 11 deep; at most ${defaultWebSocketLimits.maxDepth} are allowed.`,
        extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
      }),
    ]);
    expect(deep.results).toEqual([]);
  });

  it('validates subscription documents as Apollo validates queries', async () => {
    const unknownField = subscribe(client(), `subscription($id: ID!) { messageStream(messageId: $id) { seq password } }`, { id: replyId });
    expect((await unknownField.ended).errors).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/Cannot query field "password"/),
        extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
      }),
    ]);
    const missingVariable = subscribe(client(), `subscription($id: ID!) { messageStream(messageId: $id) { seq } }`);
    expect((await missingVariable.ended).errors).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/"\$id"/), extensions: { code: 'BAD_USER_INPUT' } }),
    ]);
  });

  it('caps the operations running at once on one connection', async () => {
    const connection = client();
    const query = `subscription($id: ID!) { messageStream(messageId: $id) { seq } }`;
    const open = Array.from({ length: defaultWebSocketLimits.maxOperationsPerConnection }, () =>
      subscribe(connection, query, { id: replyId }),
    );
    const refused = subscribe(connection, query, { id: replyId });
    expect((await refused.ended).errors).toEqual([
      expect.objectContaining({
        message: `At most ${defaultWebSocketLimits.maxOperationsPerConnection} operations may run at once on one connection; complete one first or open another connection.`,
        extensions: { code: 'BAD_USER_INPUT' },
      }),
    ]);
    // Another connection has its own allowance, and one completed operation frees a place on this one.
    const elsewhere = subscribe(client(), `{ me { email } }`);
    expect(await elsewhere.ended).toEqual({});
    expect(elsewhere.results).toEqual([{ data: { me: { email: 'carol@example.com' } } }]);
    open[0]!.unsubscribe();
    const after = subscribe(connection, `{ me { email } }`);
    expect(await after.ended).toEqual({});
    expect(after.results).toEqual([{ data: { me: { email: 'carol@example.com' } } }]);
  });
});

describe('WebSocket keep-alive', () => {
  let server: Server;
  let ws: ReturnType<typeof attachWebSocketServer>;
  let url: string;
  const keepAliveMs = 100;

  beforeAll(async () => {
    // The server's pings and pong deadlines run on fake timers the test moves period by period: on real ones, a
    // busy machine that held the process past the 100 ms deadline cut the socket that did answer.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    server = createServer();
    ws = attachWebSocketServer({
      httpServer: server,
      paths: ['/graphql'],
      runOperation: async () => ({ data: { ok: true } }),
      subscriptions: {},
      schema: () => buildSchema('type Query { ok: Boolean }'),
      authenticate: async () => ({ viewer: null, authorization: undefined }),
      logger: captureLogs('silent').logger,
      limits: { keepAliveMs },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `ws://127.0.0.1:${(server.address() as { port: number }).port}/graphql`;
  });

  afterAll(async () => {
    await ws?.close();
    await new Promise((resolve) => server?.close(resolve));
    vi.useRealTimers();
  });

  it('cuts a socket that stops answering pings, and keeps one that answers', async () => {
    const silent = new WebSocket(url, 'graphql-transport-ws', { autoPong: false });
    const answering = new WebSocket(url, 'graphql-transport-ws');
    await Promise.all([once(silent, 'open'), once(answering, 'open')]);
    const silentClosed = once(silent, 'close');
    let answeringClosed: number | undefined;
    answering.on('close', (code) => (answeringClosed = code));
    let pings = 0;
    answering.on('ping', () => pings++);
    /**
     * One keep-alive period: the server pings, and the answering socket's pong has reached it, which the
     * answer to a protocol ping sent after the pong proves (one socket, read in order).
     */
    const period = async () => {
      const pinged = once(answering, 'ping');
      vi.advanceTimersByTime(keepAliveMs);
      await pinged;
      const answered = once(answering, 'message');
      answering.send(JSON.stringify({ type: 'ping' }));
      await answered;
    };
    try {
      await period();
      // A whole period without a pong: the silent socket is cut.
      await period();
      const [code] = await silentClosed;
      // Terminated, not closed politely: no close frame.
      expect(code).toBe(1006);
      await period();
      expect(pings).toBe(3);
      expect(answeringClosed).toBeUndefined();
    } finally {
      silent.terminate();
      answering.close();
    }
  });
});
