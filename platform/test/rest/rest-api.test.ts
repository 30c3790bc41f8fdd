import {
  ConversationThreadDocument,
  CreateApiKeyDocument,
  MeDocument,
  RefreshTokenDocument,
  SearchConversationsDocument,
} from '@parley/client';
import { postGraphQL } from '@parley/testing';
import { PASSPHRASE, registerUser, sendMessage } from '@parley/testing/parley-client';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatformUnderTest, type PlatformUnderTest } from '../../src/testing/platform-under-test';
import { callRest, fetchRest, originOf } from '@parley/testing/rest';

/** Every route of the REST API, as "METHOD path" (path parameters in braces, as OpenAPI writes them). */
const ROUTES = [
  'POST /api/v1/auth/login',
  'POST /api/v1/auth/refresh',
  'POST /api/v1/auth/logout',
  'POST /api/v1/auth/browser/register',
  'POST /api/v1/auth/browser/login',
  'POST /api/v1/auth/browser/oidc',
  'POST /api/v1/auth/browser/refresh',
  'POST /api/v1/auth/browser/logout',
  'POST /api/v1/chat/completions',
  'GET /api/v1/chat/history',
  'GET /api/v1/chat/history/{id}',
  'DELETE /api/v1/chat/history/{id}',
  'GET /api/v1/users/profile',
  'PUT /api/v1/users/profile',
  'GET /api/v1/users/settings',
  'PUT /api/v1/users/settings',
  'GET /api/v1/openapi.json',
];
const PUBLIC_ROUTES = [
  'POST /api/v1/auth/login',
  'POST /api/v1/auth/refresh',
  'POST /api/v1/auth/logout',
  'POST /api/v1/auth/browser/register',
  'POST /api/v1/auth/browser/login',
  'POST /api/v1/auth/browser/oidc',
  'GET /api/v1/openapi.json',
];
/** Routes whose credential is the browser session's cookie (signing out: if there is one), not the bearer one. */
const COOKIE_ROUTES: Record<string, unknown[]> = {
  'POST /api/v1/auth/browser/refresh': [{ browserSession: [] }],
  'POST /api/v1/auth/browser/logout': [{ browserSession: [] }, {}],
};

describe('the REST API under /api/v1: a thin mapping onto the graph', () => {
  let platform: PlatformUnderTest;
  let origin: string;
  let alice: { token: string; refreshToken: string; id: string };
  let bob: { token: string; refreshToken: string; id: string };

  const rest = <T = any>(method: string, path: string, call: Parameters<typeof callRest>[3] = {}) =>
    callRest<T>(origin, method, path, call);
  /** Starts a conversation over GraphQL (the dev model answers at once). */
  const startConversation = (token: string, content: string) => sendMessage(platform.url, token, { content });

  beforeAll(async () => {
    platform = await startPlatformUnderTest({ settings: { LOGIN_ATTEMPTS_PER_ACCOUNT: '3', REGISTRATIONS_PER_IP: '100' } });
    origin = originOf(platform.url);
    alice = await registerUser(platform.url, 'alice@example.com');
    bob = await registerUser(platform.url, 'bob@example.com');
  }, 120_000);
  afterAll(async () => {
    await platform?.stop();
  });

  describe('auth', () => {
    it('signs in with e-mail and password, giving tokens that work on the graph', async () => {
      const { status, headers, body } = await rest('POST', '/api/v1/auth/login', {
        body: { email: 'alice@example.com', password: PASSPHRASE },
      });
      expect(status).toBe(200);
      expect(headers.get('cache-control')).toBe('no-store');
      expect(body).toMatchObject({
        accessToken: expect.any(String),
        refreshToken: expect.any(String),
        expiresAt: expect.any(String),
        user: { id: alice.id, email: 'alice@example.com', roles: ['user'] },
      });
      const me = await postGraphQL(platform.url, MeDocument, { token: body.accessToken });
      expect(me.body.data?.me?.id).toBe(alice.id);
    });

    it('refreshes tokens, retiring the refresh token used, and signs out a session', async () => {
      const carol = await registerUser(platform.url, 'carol@example.com');
      const refreshed = await rest('POST', '/api/v1/auth/refresh', { body: { refreshToken: carol.refreshToken } });
      expect(refreshed.status).toBe(200);
      expect(refreshed.body.refreshToken).not.toBe(carol.refreshToken);
      expect(refreshed.body.user.email).toBe('carol@example.com');

      const signedOut = await rest('POST', '/api/v1/auth/logout', { body: { refreshToken: refreshed.body.refreshToken } });
      expect(signedOut.status).toBe(204);
      expect(signedOut.body).toBeUndefined();
      // The session is over: its refresh token is refused, over REST as over GraphQL.
      const after = await rest('POST', '/api/v1/auth/refresh', { body: { refreshToken: refreshed.body.refreshToken } });
      expect(after.status).toBe(401);
      expect(after.body.error.code).toBe('UNAUTHENTICATED');
      const overGraphQL = await postGraphQL(platform.url, RefreshTokenDocument, {
        variables: { refreshToken: refreshed.body.refreshToken },
      });
      expect(overGraphQL.body.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
    });

    it('refuses a wrong password with 401 UNAUTHENTICATED, and too many with 429 RATE_LIMITED and Retry-After', async () => {
      await registerUser(platform.url, 'dave@example.com');
      const wrong = await rest('POST', '/api/v1/auth/login', { body: { email: 'dave@example.com', password: 'not the password' } });
      expect(wrong.status).toBe(401);
      expect(wrong.body).toEqual({ error: { code: 'UNAUTHENTICATED', message: expect.any(String) } });

      let refused = wrong;
      for (let attempt = 0; attempt < 5 && refused.status !== 429; attempt++) {
        refused = await rest('POST', '/api/v1/auth/login', { body: { email: 'dave@example.com', password: 'not the password' } });
      }
      expect(refused.status).toBe(429);
      expect(refused.body.error).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
      expect(Number(refused.headers.get('retry-after'))).toBe(refused.body.error.retryAfterSeconds);
    });

    it('refuses a body without the fields it needs with 400 BAD_USER_INPUT naming the field', async () => {
      const { status, body } = await rest('POST', '/api/v1/auth/login', { body: { email: 'alice@example.com' } });
      expect(status).toBe(400);
      expect(body.error).toEqual({ code: 'BAD_USER_INPUT', message: '"password" is required (string).', field: 'password' });
    });
  });

  describe('users', () => {
    it('reads the profile that GraphQL `me` reads, and changes the display name', async () => {
      const profile = await rest('GET', '/api/v1/users/profile', { token: alice.token });
      expect(profile.status).toBe(200);
      expect(profile.body).toEqual({
        id: alice.id,
        email: 'alice@example.com',
        displayName: expect.any(String),
        roles: ['user'],
        createdAt: expect.any(String),
      });

      const changed = await rest('PUT', '/api/v1/users/profile', { token: alice.token, body: { displayName: 'Alice Liddell' } });
      expect(changed.status).toBe(200);
      expect(changed.body).toMatchObject({ id: alice.id, displayName: 'Alice Liddell' });
      const me = await postGraphQL(platform.url, MeDocument, { token: alice.token });
      expect(me.body.data?.me?.displayName).toBe('Alice Liddell');
    });

    it('puts settings that GraphQL reads back, leaving the fields not given as they were', async () => {
      const put = await rest('PUT', '/api/v1/users/settings', {
        token: alice.token,
        body: { preferredLanguage: 'fr', autoTranslate: true },
      });
      expect(put.status).toBe(200);
      expect(put.body).toEqual({ preferredLanguage: 'fr', defaultModel: null, autoTranslate: true });

      const again = await rest('PUT', '/api/v1/users/settings', { token: alice.token, body: { defaultModel: 'dev/echo' } });
      expect(again.body).toEqual({ preferredLanguage: 'fr', defaultModel: 'dev/echo', autoTranslate: true });

      const me = await postGraphQL(platform.url, MeDocument, { token: alice.token });
      expect(me.body.data?.me?.settings).toEqual({ preferredLanguage: 'fr', defaultModel: 'dev/echo', autoTranslate: true });
      expect((await rest('GET', '/api/v1/users/settings', { token: alice.token })).body).toEqual(me.body.data?.me?.settings);
    });

    it("refuses a value the graph refuses with the graph's code and message", async () => {
      const { status, body } = await rest('PUT', '/api/v1/users/settings', {
        token: alice.token,
        body: { preferredLanguage: 'not a language' },
      });
      expect(status).toBe(400);
      expect(body.error).toEqual({
        code: 'BAD_USER_INPUT',
        message: expect.stringMatching(/not a BCP 47 language tag/),
        field: 'preferredLanguage',
      });
    });

    it('accepts an API key as the bearer credential, and refuses it managing the account with 403 FORBIDDEN', async () => {
      const created = await postGraphQL(platform.url, CreateApiKeyDocument, {
        token: bob.token,
        variables: { name: 'rest', scopes: ['chat'] },
      });
      const key = created.body.data!.createApiKey.key;
      const profile = await rest('GET', '/api/v1/users/profile', { token: key });
      expect(profile.status).toBe(200);
      expect(profile.body.id).toBe(bob.id);

      const put = await rest('PUT', '/api/v1/users/settings', { token: key, body: { autoTranslate: true } });
      expect(put.status).toBe(403);
      expect(put.body.error.code).toBe('FORBIDDEN');
    });
  });

  describe('chat history', () => {
    it('lists the conversations started over GraphQL, most recent first, page by page', async () => {
      const erin = await registerUser(platform.url, 'erin@example.com');
      const started = [];
      for (const question of ['First topic', 'Second topic', 'Third topic']) started.push(await startConversation(erin.token, question));

      const first = await rest('GET', '/api/v1/chat/history?first=2', { token: erin.token });
      expect(first.status).toBe(200);
      expect(first.body.conversations.map((c: { id: string }) => c.id)).toEqual([started[2]!.conversation.id, started[1]!.conversation.id]);
      expect(first.body.pageInfo).toEqual({ hasNextPage: true, endCursor: expect.any(String) });

      const next = await rest('GET', `/api/v1/chat/history?first=2&after=${encodeURIComponent(first.body.pageInfo.endCursor)}`, {
        token: erin.token,
      });
      expect(next.body.conversations.map((c: { id: string }) => c.id)).toEqual([started[0]!.conversation.id]);
      expect(next.body.pageInfo.hasNextPage).toBe(false);
    });

    it('searches the conversations as GraphQL `conversations(search:)` does', async () => {
      const frank = await registerUser(platform.url, 'frank@example.com');
      await startConversation(frank.token, 'How do volcanoes erupt?');
      await startConversation(frank.token, 'A recipe for bread');
      const found = await rest('GET', '/api/v1/chat/history?search=volcanoes', { token: frank.token });
      const overGraphQL = await postGraphQL(platform.url, SearchConversationsDocument, {
        token: frank.token,
        variables: { search: 'volcanoes' },
      });
      expect(found.body.conversations.map((c: { id: string }) => c.id)).toEqual(
        overGraphQL.body.data!.conversations.edges.map((e) => e.node.id),
      );
      expect(found.body.conversations).toHaveLength(1);
    });

    it('reads one conversation with its messages, as GraphQL `conversation` has them', async () => {
      const sent = await startConversation(alice.token, 'What is a river?');
      await expect
        .poll(
          async () =>
            (await rest('GET', `/api/v1/chat/history/${sent.conversation.id}`, { token: alice.token })).body.messages?.[1]?.status,
          {
            timeout: 20_000,
          },
        )
        .toBe('COMPLETED');
      const { status, body } = await rest('GET', `/api/v1/chat/history/${sent.conversation.id}`, { token: alice.token });
      expect(status).toBe(200);
      const thread = (
        await postGraphQL(platform.url, ConversationThreadDocument, { token: alice.token, variables: { id: sent.conversation.id } })
      ).body.data!.conversation!;
      expect(body).toMatchObject({ id: sent.conversation.id, title: thread.title, pageInfo: { hasNextPage: false } });
      expect(body.messages.map((m: any) => [m.id, m.role, m.content])).toEqual(
        thread.messages.edges.map((e) => [e.node.id, e.node.role, e.node.content]),
      );
    });

    it('deletes a conversation: 204, then it is gone from GraphQL and from the history', async () => {
      const sent = await startConversation(alice.token, 'Soon forgotten');
      const deleted = await rest('DELETE', `/api/v1/chat/history/${sent.conversation.id}`, { token: alice.token });
      expect(deleted.status).toBe(204);

      const overGraphQL = await postGraphQL(platform.url, ConversationThreadDocument, {
        token: alice.token,
        variables: { id: sent.conversation.id },
      });
      expect(overGraphQL.body.errors?.[0]?.extensions?.['code']).toBe('NOT_FOUND');
      const again = await rest('DELETE', `/api/v1/chat/history/${sent.conversation.id}`, { token: alice.token });
      expect(again.status).toBe(404);
      expect(again.body.error.code).toBe('NOT_FOUND');
      const history = await rest('GET', '/api/v1/chat/history?first=100', { token: alice.token });
      expect(history.body.conversations.map((c: { id: string }) => c.id)).not.toContain(sent.conversation.id);
    });

    it("never shows nor deletes someone else's conversation: it does not exist for them", async () => {
      const sent = await startConversation(alice.token, "Alice's secret");
      const read = await rest('GET', `/api/v1/chat/history/${sent.conversation.id}`, { token: bob.token });
      expect(read.status).toBe(404);
      expect(read.body.error.code).toBe('NOT_FOUND');
      const deleted = await rest('DELETE', `/api/v1/chat/history/${sent.conversation.id}`, { token: bob.token });
      expect(deleted.status).toBe(404);
      const bobs = await rest('GET', '/api/v1/chat/history?first=100', { token: bob.token });
      expect(bobs.body.conversations.map((c: { id: string }) => c.id)).not.toContain(sent.conversation.id);
      // Still there for Alice.
      expect((await rest('GET', `/api/v1/chat/history/${sent.conversation.id}`, { token: alice.token })).status).toBe(200);
    });

    it('refuses a malformed page size with 400, and one out of range as the graph does', async () => {
      const malformed = await rest('GET', '/api/v1/chat/history?first=ten', { token: alice.token });
      expect(malformed.status).toBe(400);
      expect(malformed.body.error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
      const outOfRange = await rest('GET', '/api/v1/chat/history?first=1000', { token: alice.token });
      expect(outOfRange.status).toBe(400);
      expect(outOfRange.body.error.code).toBe('BAD_USER_INPUT');
    });
  });

  describe('refusals', () => {
    it('refuses every route but signing in without a credential: 401 UNAUTHENTICATED with WWW-Authenticate: Bearer', async () => {
      for (const route of ROUTES.filter((r) => !PUBLIC_ROUTES.includes(r) && !(r in COOKIE_ROUTES))) {
        const [method, path] = route.split(' ') as [string, string];
        const { status, headers, body } = await rest(method, path.replace('{id}', '00000000-0000-4000-8000-000000000000'), {
          ...(method === 'PUT' || method === 'POST' ? { body: {} } : {}),
        });
        expect({ route, status, code: body.error.code }).toEqual({ route, status: 401, code: 'UNAUTHENTICATED' });
        expect(headers.get('www-authenticate')).toBe('Bearer');
      }
    });

    it('refuses a bad or expired token with 401, as /graphql does', async () => {
      const { status, body } = await rest('GET', '/api/v1/users/profile', { token: 'not-a-token' });
      expect(status).toBe(401);
      expect(body.error.code).toBe('UNAUTHENTICATED');
      const graphql = await postGraphQL(platform.url, MeDocument, { token: 'not-a-token' });
      expect(body.error.message).toBe(graphql.body.errors?.[0]?.message);
    });

    it('answers 405 with Allow for a method a route does not serve', async () => {
      const cases: [string, string, string][] = [
        ['GET', '/api/v1/auth/login', 'POST'],
        ['DELETE', '/api/v1/users/settings', 'GET, PUT'],
        ['POST', '/api/v1/chat/history', 'GET'],
        ['PUT', '/api/v1/chat/history/some-id', 'GET, DELETE'],
        ['GET', '/api/v1/chat/completions', 'POST'],
      ];
      for (const [method, path, allow] of cases) {
        const { status, headers, body } = await rest(method, path, { token: alice.token });
        expect({ method, path, status, allow: headers.get('allow'), code: body.error.code }).toEqual({
          method,
          path,
          status: 405,
          allow,
          code: 'METHOD_NOT_ALLOWED',
        });
      }
    });

    it('answers 400 for malformed JSON or a body that is not an object, 415 for one that is not JSON, 413 above the size limit', async () => {
      const malformed = await rest('PUT', '/api/v1/users/settings', { token: alice.token, body: '{"autoTranslate": tru' });
      expect(malformed.status).toBe(400);
      expect(malformed.body.error).toEqual({ code: 'BAD_USER_INPUT', message: 'The request body is not valid JSON.' });

      const array = await rest('PUT', '/api/v1/users/settings', { token: alice.token, body: [] });
      expect(array.status).toBe(400);
      expect(array.body.error.message).toBe('The request body must be a JSON object.');

      const form = await rest('POST', '/api/v1/auth/login', {
        body: 'email=a',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(form.status).toBe(415);
      expect(form.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');

      const huge = await rest('PUT', '/api/v1/users/profile', { token: alice.token, body: { displayName: 'x'.repeat(1_100_000) } });
      expect(huge.status).toBe(413);
      expect(huge.body.error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', limitBytes: 1_000_000 });
    });

    it('answers 404 in the same error shape for a path under /api/v1 that has no route', async () => {
      for (const path of ['/api/v1/nothing-here', '/api/v1', '/api/v1/chat/history/a/b', '/api/v1/chat/history/']) {
        const { status, body } = await rest('GET', path, { token: alice.token });
        expect({ path, status, code: body.error.code }).toEqual({ path, status: 404, code: 'NOT_FOUND' });
        expect(body.error.message).toMatch(/openapi\.json/);
      }
    });
  });

  describe('the OpenAPI document at /api/v1/openapi.json', () => {
    let document: any;

    beforeAll(async () => {
      const response = await rest('GET', '/api/v1/openapi.json');
      expect(response.status).toBe(200);
      document = response.body;
    });

    it('is a valid OpenAPI 3.1 document', async () => {
      expect(document.openapi).toMatch(/^3\.1\./);
      const result = await new Validator().validate(document);
      expect(result.errors).toBeUndefined();
      expect(result.valid).toBe(true);
    });

    it("lists every route with its method, and each needs the bearer credential unless it is for signing in or takes the browser session's cookie", () => {
      const operations = Object.entries(document.paths as Record<string, Record<string, { security?: unknown[] }>>).flatMap(
        ([path, item]) =>
          Object.entries(item)
            .filter(([method]) => ['get', 'put', 'post', 'delete', 'patch'].includes(method))
            .map(([method, operation]) => ({
              route: `${method.toUpperCase()} ${path}`,
              security: operation.security ?? document.security,
            })),
      );
      expect(operations.map((o) => o.route).sort()).toEqual([...ROUTES].sort());
      for (const { route, security } of operations) {
        expect({ route, security }).toEqual({
          route,
          security: PUBLIC_ROUTES.includes(route) ? [] : (COOKIE_ROUTES[route] ?? [{ bearerAuth: [] }]),
        });
      }
      expect(document.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
      expect(document.components.securitySchemes.browserSession).toMatchObject({ type: 'apiKey', in: 'cookie', name: 'parley_refresh' });
    });

    it('describes the error shape, and the streamed reply as text/event-stream', () => {
      expect(document.components.schemas.Error.properties.error.required).toEqual(['code', 'message']);
      const completions = document.paths['/api/v1/chat/completions'].post;
      expect(Object.keys(completions.responses['200'].content)).toEqual(['application/json', 'text/event-stream']);
      expect(completions.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/ChatCompletionRequest' });
      expect(Object.keys(document.components.schemas.ChatCompletionRequest.properties)).toEqual(
        expect.arrayContaining(['conversationId', 'content', 'messages', 'model', 'clientMessageId', 'stream']),
      );
    });

    it('documents only routes that are served: none of them is an unknown route or a wrong method', async () => {
      for (const route of ROUTES) {
        const [method, path] = route.split(' ') as [string, string];
        const response = await fetchRest(
          origin,
          method,
          path.replace('{id}', 'some-id'),
          method === 'GET' || method === 'DELETE' ? {} : { body: {} },
        );
        const body = (await response.json()) as { error?: { message: string } };
        // 403: a browser session route refusing a request that is not the web client's.
        expect({ route, status: response.status }).toEqual({
          route,
          status: expect.toSatisfy((s: number) => [200, 400, 401, 403].includes(s)),
        });
        expect(body.error?.message ?? '').not.toMatch(/^No route/);
      }
    });
  });
});
