import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConversationDocument,
  ConversationsWithOwnersDocument,
  MeDocument,
  ModelsDocument,
  SupportedLanguagesDocument,
} from '@parley/client';
import { captureLogs, postGraphQL } from '@parley/testing';
import { generateKeyPair, SignJWT } from 'jose';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPlatform, type EmbeddedPlatform } from '../src/embedded-platform';

describe('the embedded platform (npm start) through the gateway', () => {
  let platform: EmbeddedPlatform;
  const queries: string[] = [];
  const logs = captureLogs('debug');
  let alice: { id: string; email: string; token: string };
  let bob: { id: string; email: string; token: string };
  let aliceConversationIds: string[];

  beforeAll(async () => {
    platform = await startEmbeddedPlatform({ logger: logs.logger, port: 0, onQuery: (sql) => queries.push(sql) });
    const account = async (email: string) => {
      const user = await platform.users.directory().create({ email });
      return { id: user.id, email: user.email, token: (await platform.users.tokens.issue({ userId: user.id, roles: user.roles })).token };
    };
    alice = await account('Alice@Example.com');
    bob = await account('bob@example.com');
    const history = platform.chat.history();
    aliceConversationIds = [];
    for (const title of ['First trip plan', 'Recipe ideas', 'Tax questions']) {
      const conversation = await history.createConversation({ ownerId: alice.id, title });
      await history.appendMessage(conversation, { role: 'USER', content: `About ${title}` });
      await history.appendMessage(conversation, { role: 'ASSISTANT', content: `Happy to help with ${title}.` });
      aliceConversationIds.push(conversation.id);
    }
    await history.createConversation({ ownerId: bob.id, title: "Bob's secret" });
  });

  afterAll(async () => {
    await platform?.stop();
  });

  it('answers conversations with their owners from chat and users together', async () => {
    const { status, body } = await postGraphQL(platform.url, ConversationsWithOwnersDocument, {
      token: alice.token,
      variables: { first: 10 },
    });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const nodes = body.data!.conversations.edges.map((e) => e.node);
    expect(nodes.map((n) => n.title)).toEqual(['Tax questions', 'Recipe ideas', 'First trip plan']);
    for (const node of nodes) {
      expect(node.owner).toEqual({ id: alice.id, email: 'alice@example.com', displayName: 'alice' });
      expect(node.messages.edges.map((e) => e.node.role)).toEqual(['USER', 'ASSISTANT']);
      expect(node.messages.edges[0]!.node.content).toBe(`About ${node.title}`);
    }
  });

  it('loads all owners with one SQL query and all first message pages with one more', async () => {
    queries.length = 0;
    const { body } = await postGraphQL(platform.url, ConversationsWithOwnersDocument, { token: alice.token, variables: { first: 10 } });
    expect(body.data!.conversations.edges).toHaveLength(3);
    expect(queries.filter((sql) => sql.includes('"users"."user"'))).toHaveLength(1);
    expect(queries.filter((sql) => sql.includes('"chat"."message"'))).toHaveLength(1);
  });

  it('pages conversations with opaque cursors, newest first', async () => {
    const first = await postGraphQL(platform.url, ConversationsWithOwnersDocument, { token: alice.token, variables: { first: 2 } });
    const page1 = first.body.data!.conversations;
    expect(page1.edges.map((e) => e.node.title)).toEqual(['Tax questions', 'Recipe ideas']);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const second = await postGraphQL(platform.url, ConversationsWithOwnersDocument, {
      token: alice.token,
      variables: { first: 2, after: page1.pageInfo.endCursor },
    });
    const page2 = second.body.data!.conversations;
    expect(page2.edges.map((e) => e.node.title)).toEqual(['First trip plan']);
    expect(page2.pageInfo).toEqual({ hasNextPage: false, endCursor: page2.edges[0]!.cursor });
  });

  it('refuses a page size out of range and a forged cursor with BAD_USER_INPUT', async () => {
    const tooMany = await postGraphQL(platform.url, ConversationsWithOwnersDocument, { token: alice.token, variables: { first: 1000 } });
    expect(tooMany.body.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    expect(tooMany.body.errors?.[0]?.message).toBe('"first" must be between 1 and 100.');
    const forged = await postGraphQL(platform.url, ConversationsWithOwnersDocument, {
      token: alice.token,
      variables: { first: 2, after: 'bm90LWEtY3Vyc29y' },
    });
    expect(forged.body.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
  });

  it("never shows one user another user's conversations", async () => {
    const list = await postGraphQL(platform.url, ConversationsWithOwnersDocument, { token: bob.token, variables: { first: 10 } });
    expect(list.body.data!.conversations.edges.map((e) => e.node.title)).toEqual(["Bob's secret"]);
    const single = await postGraphQL(platform.url, ConversationDocument, { token: bob.token, variables: { id: aliceConversationIds[0]! } });
    expect(single.body.data?.conversation ?? null).toBeNull();
    expect(single.body.errors?.[0]?.extensions?.['code']).toBe('NOT_FOUND');
    expect(JSON.stringify(single.body)).not.toContain('First trip plan');
  });

  it('gives the signed-in user their own profile and settings', async () => {
    const { body } = await postGraphQL(platform.url, MeDocument, { token: alice.token });
    expect(body.data!.me).toMatchObject({
      id: alice.id,
      email: 'alice@example.com',
      roles: ['user'],
      settings: { preferredLanguage: 'en', defaultModel: null, autoTranslate: false },
    });
    const anonymous = await postGraphQL(platform.url, MeDocument);
    expect(anonymous.body.data!.me).toBeNull();
  });

  it("lists the signed-in user's conversations under me, contributed to User by chat", async () => {
    const { body } = await postGraphQL(
      platform.url,
      '{ me { email conversations(first: 2) { edges { node { title } } pageInfo { hasNextPage } } } }',
      {
        token: alice.token,
      },
    );
    expect(body.errors).toBeUndefined();
    expect(body.data).toEqual({
      me: {
        email: 'alice@example.com',
        conversations: {
          edges: [{ node: { title: 'Tax questions' } }, { node: { title: 'Recipe ideas' } }],
          pageInfo: { hasNextPage: true },
        },
      },
    });
  });

  it('answers the models subgraph from PostgreSQL and lists the languages translation accepts', async () => {
    const models = await postGraphQL(platform.url, ModelsDocument);
    expect(models.body.data!.models).toContainEqual(expect.objectContaining({ id: 'dev/echo', development: true, healthy: true }));
    const languages = await postGraphQL(platform.url, SupportedLanguagesDocument);
    expect(languages.body.data!.supportedLanguages).toContainEqual({ code: 'zh-CN', name: 'Chinese (Simplified)' });
  });

  it('refuses anonymous reads of conversations with UNAUTHENTICATED', async () => {
    const { body } = await postGraphQL(platform.url, ConversationsWithOwnersDocument, { variables: { first: 5 } });
    expect(body.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
    expect(body.errors?.[0]?.message).toMatch(/Sign in/);
  });

  it('refuses a token signed by a stranger, before planning, with 401', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT({ roles: ['admin'] })
      .setProtectedHeader({ alg: 'ES256', kid: 'not-ours', typ: 'at+jwt' })
      .setIssuer('parley')
      .setAudience('parley-api')
      .setSubject(alice.id)
      .setJti('x')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
    queries.length = 0;
    const { status, body } = await postGraphQL(platform.url, MeDocument, { token: forged });
    expect(status).toBe(401);
    expect(body.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
    expect(body.errors?.[0]?.message).toBe('The access token was signed with an unknown key.');
    expect(queries.filter((sql) => sql.includes('"users"."user"'))).toHaveLength(0);
    const malformed = await postGraphQL(platform.url, MeDocument, { headers: { authorization: 'Token abc' } });
    expect(malformed.status).toBe(401);
    expect(malformed.body.errors?.[0]?.message).toMatch(/Bearer <token>/);
  });

  it('answers syntax and validation errors in the standard shape with a code', async () => {
    const syntax = await postGraphQL(platform.url, '{ me { id ');
    expect(syntax.status).toBe(400);
    expect(syntax.body.errors?.[0]?.extensions?.['code']).toBe('GRAPHQL_PARSE_FAILED');
    const validation = await postGraphQL(platform.url, '{ me { password } }');
    expect(validation.status).toBe(400);
    expect(validation.body.errors?.[0]?.extensions?.['code']).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(validation.body.errors?.[0]?.message).toMatch(/Cannot query field "password"/);
  });

  it(
    'passes the request id to every subgraph it calls',
    // A stopgap, named in issue 14's note: in 2 of 4 full runs on the loaded CI machine no line of this request reached
    // the capture at all (not even the gateway's), while every run of this file alone passes. Tried once more with a
    // new request id until the cause is found; a real loss of the request id fails both tries.
    { retry: 1 },
    async () => {
      const requestId = `test-${Date.now()}`;
      const { headers } = await postGraphQL(platform.url, ConversationsWithOwnersDocument, {
        token: alice.token,
        variables: { first: 1 },
        headers: { 'x-request-id': requestId },
      });
      expect(headers.get('x-request-id')).toBe(requestId);
      // A line reaches the captured stream a tick or more after it is logged (a Writable buffers writes that come
      // while one is in progress), which on a busy machine may be after the client has the answer.
      const services = () =>
        new Set(
          logs
            .lines()
            .filter((line) => line['requestId'] === requestId && line['msg'] === 'request')
            .map((line) => line['service']),
        );
      await expect
        .poll(services)
        .toEqual(new Set(['gateway', 'chat', 'users']))
        .catch((error: Error) => {
          // What to look at when it fails: whether any line names the request, and how much the capture holds.
          const all = logs.lines();
          const naming = all.filter((line) => JSON.stringify(line).includes(requestId));
          throw new Error(
            `${error.message}\n${naming.length} of ${all.length} captured lines name ${requestId}: ${JSON.stringify(naming.slice(0, 6))}`,
          );
        });
    },
  );

  it('serves queries over graphql-ws on the same /graphql path', async () => {
    const client = createClient({
      url: platform.url.replace('http', 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${alice.token}` },
      retryAttempts: 0,
    });
    try {
      const result = await new Promise<unknown>((resolve, reject) => {
        let value: unknown;
        client.subscribe(
          { query: '{ me { email } conversations(first: 1) { edges { node { title owner { email } } } } }' },
          { next: (v) => (value = v), error: reject, complete: () => resolve(value) },
        );
      });
      expect(result).toEqual({
        data: {
          me: { email: 'alice@example.com' },
          conversations: { edges: [{ node: { title: 'Tax questions', owner: { email: 'alice@example.com' } } }] },
        },
      });
    } finally {
      await client.dispose();
    }
  });

  it('closes a WebSocket whose connection_init carries a bad token with 4403', async () => {
    const code = await new Promise<number>((resolve) => {
      const client = createClient({
        url: platform.url.replace('http', 'ws'),
        webSocketImpl: WebSocket,
        connectionParams: { authorization: 'Bearer not.a.token' },
        retryAttempts: 0,
        on: { closed: (event) => resolve((event as { code: number }).code) },
      });
      client.subscribe({ query: '{ me { id } }' }, { next: () => {}, error: () => {}, complete: () => {} });
    });
    expect(code).toBe(4403);
  });

  it('reports health and readiness beside /graphql', async () => {
    const health = await fetch(platform.url.replace('/graphql', '/healthz'));
    expect(health.status).toBe(200);
    const ready = await fetch(platform.url.replace('/graphql', '/readyz'));
    expect(ready.status).toBe(200);
    const report = (await ready.json()) as { degraded: string[]; checks: Record<string, { status: string }> };
    // Each subgraph by its /readyz, and "subgraphs": the gateway can serve at least one of them.
    expect(Object.keys(report.checks).sort()).toEqual(['chat', 'models', 'subgraphs', 'translation', 'users']);
    expect(Object.values(report.checks).every((c) => c.status === 'up')).toBe(true);
    expect(report.degraded).toEqual([]);
  });
});

describe('embedded data', () => {
  it('survives a restart of the platform', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-data-'));
    const { logger } = captureLogs('silent');
    try {
      const first = await startEmbeddedPlatform({ logger, dataDir, port: 0 });
      const user = await first.users.directory().create({ email: 'kept@example.com' });
      await first.chat.history().createConversation({ ownerId: user.id, title: 'Still here' });
      await first.stop();

      const second = await startEmbeddedPlatform({ logger, dataDir, port: 0 });
      try {
        const { token } = await second.users.tokens.issue({ userId: user.id, roles: user.roles });
        const { body } = await postGraphQL(second.url, ConversationsWithOwnersDocument, { token, variables: { first: 5 } });
        expect(body.data!.conversations.edges.map((e) => [e.node.title, e.node.owner.email])).toEqual([['Still here', 'kept@example.com']]);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
