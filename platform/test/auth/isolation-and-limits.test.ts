import {
  ConversationDocument,
  ConversationsWithOwnersDocument,
  CreateApiKeyDocument,
  LoginDocument,
  MeDocument,
  MyApiKeysDocument,
  MySessionsDocument,
  RefreshTokenDocument,
  RevokeApiKeyDocument,
  RevokeSessionDocument,
  UpdateSettingsDocument,
} from '@parley/client';
import { postGraphQL } from '@parley/testing';
import { PASSPHRASE, registerUser } from '@parley/testing/parley-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatformUnderTest, type PlatformUnderTest } from '../../src/testing/platform-under-test';

describe('one user against another, and limits shared by every gateway', () => {
  let platform: PlatformUnderTest;
  let url: string;
  type Person = { id: string; email: string; token: string; refreshToken: string; sessionId: string; apiKeyId: string; apiKey: string };
  let alice: Person;
  let bob: Person;
  let aliceConversation: string;
  let aliceMessage: string;

  async function person(email: string): Promise<Person> {
    const registered = await registerUser(url, email);
    const token = registered.token;
    const sessions = (await postGraphQL(url, MySessionsDocument, { token })).body.data!.me!.sessions;
    const created = (await postGraphQL(url, CreateApiKeyDocument, { token, variables: { name: `${email} key` } })).body.data!.createApiKey;
    return {
      id: registered.id,
      email,
      token,
      refreshToken: registered.refreshToken,
      sessionId: sessions[0]!.id,
      apiKeyId: created.apiKey.id,
      apiKey: created.key,
    };
  }

  beforeAll(async () => {
    platform = await startPlatformUnderTest({ gateways: 2, settings: { LOGIN_ATTEMPTS_PER_ACCOUNT: '4' } });
    url = platform.url;
    alice = await person('alice@example.com');
    bob = await person('bob@example.com');
    const history = platform.chat.history();
    const conversation = await history.createConversation({ ownerId: alice.id, title: "Alice's private plans" });
    aliceMessage = (await history.appendMessage(conversation, { role: 'USER', content: 'my secret' })).id;
    aliceConversation = conversation.id;
  });
  afterAll(async () => {
    await platform?.stop();
  });

  describe("Bob cannot read Alice's data", () => {
    it('not her conversation, nor its messages (NOT_FOUND, existence not revealed)', async () => {
      const { body } = await postGraphQL(url, ConversationDocument, { token: bob.token, variables: { id: aliceConversation } });
      expect(body.errors?.[0]).toMatchObject({
        message: `No conversation with id "${aliceConversation}".`,
        extensions: { code: 'NOT_FOUND' },
      });
      const unknown = await postGraphQL(url, ConversationDocument, {
        token: bob.token,
        variables: { id: '00000000-0000-4000-8000-000000000000' },
      });
      expect(unknown.body.errors?.[0]?.message).toBe('No conversation with id "00000000-0000-4000-8000-000000000000".');
      const list = await postGraphQL(url, ConversationsWithOwnersDocument, { token: bob.token, variables: { first: 50 } });
      expect(list.body.data!.conversations.edges).toEqual([]);
      expect(JSON.stringify([body, list.body])).not.toMatch(/secret|private plans/);
    });

    it('not through the subgraphs directly either', async () => {
      const message = await postGraphQL(
        platform.subgraphUrls['chat']!,
        `query($r: [_Any!]!) { _entities(representations: $r) { ... on Message { content } ... on Conversation { title } } }`,
        {
          token: bob.token,
          // As one of Parley's own services would ask: the subgraph still judges the token it is given.
          headers: platform.internalHeaders,
          variables: {
            r: [
              { __typename: 'Message', id: aliceMessage },
              { __typename: 'Conversation', id: aliceConversation },
            ],
          },
        },
      );
      expect(message.body.data).toEqual({ _entities: [null, null] });
      const user = await postGraphQL(
        platform.subgraphUrls['users']!,
        `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { email } } }`,
        {
          token: bob.token,
          headers: platform.internalHeaders,
          variables: { r: [{ __typename: 'User', id: alice.id }] },
        },
      );
      expect(user.body.data).toEqual({ _entities: [null] });
    });

    it('not her API keys or sessions', async () => {
      const keys = (await postGraphQL(url, MyApiKeysDocument, { token: bob.token })).body.data!.me!.apiKeys;
      expect(keys.map((k) => k.id)).toEqual([bob.apiKeyId]);
      const sessions = (await postGraphQL(url, MySessionsDocument, { token: bob.token })).body.data!.me!.sessions;
      expect(sessions.map((s) => s.id)).toEqual([bob.sessionId]);
    });
  });

  describe("Bob cannot change Alice's data", () => {
    it('not her API keys', async () => {
      const { body } = await postGraphQL(url, RevokeApiKeyDocument, { token: bob.token, variables: { id: alice.apiKeyId } });
      expect(body.errors?.[0]?.extensions?.['code']).toBe('NOT_FOUND');
      expect((await postGraphQL(url, MeDocument, { token: alice.apiKey })).body.data!.me!.id).toBe(alice.id);
    });

    it('not her sessions', async () => {
      const { body } = await postGraphQL(url, RevokeSessionDocument, { token: bob.token, variables: { id: alice.sessionId } });
      expect(body.errors?.[0]?.extensions?.['code']).toBe('NOT_FOUND');
      const refreshed = await postGraphQL(url, RefreshTokenDocument, { variables: { refreshToken: alice.refreshToken } });
      expect(refreshed.body.errors).toBeUndefined();
      alice.refreshToken = refreshed.body.data!.refreshToken.refreshToken;
    });

    it('not her settings: his changes are his own', async () => {
      await postGraphQL(url, UpdateSettingsDocument, {
        token: bob.token,
        variables: { input: { preferredLanguage: 'fr', autoTranslate: true } },
      });
      const mine = (await postGraphQL(url, MeDocument, { token: alice.token })).body.data!.me!.settings;
      expect(mine).toEqual({ preferredLanguage: 'en', defaultModel: null, autoTranslate: false });
      const his = (await postGraphQL(url, MeDocument, { token: bob.token })).body.data!.me!.settings;
      expect(his).toMatchObject({ preferredLanguage: 'fr', autoTranslate: true });
    });

    it("not with his API key either: it acts only as Bob, and cannot manage even Bob's account", async () => {
      const me = await postGraphQL(url, MeDocument, { token: bob.apiKey });
      expect(me.body.data!.me!.id).toBe(bob.id);
      const settings = await postGraphQL(url, UpdateSettingsDocument, {
        token: bob.apiKey,
        variables: { input: { autoTranslate: false } },
      });
      expect(settings.body.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    });
  });

  it('lets an API key into conversations only with the "chat" scope', async () => {
    const models = (
      await postGraphQL(url, CreateApiKeyDocument, { token: alice.token, variables: { name: 'catalog reader', scopes: ['models'] } })
    ).body.data!.createApiKey.key;
    const refused = await postGraphQL(url, ConversationsWithOwnersDocument, { token: models, variables: { first: 5 } });
    expect(refused.body.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    expect(refused.body.errors?.[0]?.message).toMatch(/lacks the "chat" scope/);
    const allowed = await postGraphQL(url, ConversationsWithOwnersDocument, { token: alice.apiKey, variables: { first: 5 } });
    expect(allowed.body.data!.conversations.edges.map((e) => e.node.title)).toEqual(["Alice's private plans"]);
  });

  it('limits sign-in attempts per account across every gateway (the counter lives in Redis)', async () => {
    const gateways = platform.gatewayUrls;
    const attempt = (i: number, password: string) =>
      postGraphQL(gateways[i % gateways.length]!, LoginDocument, { variables: { email: 'bob@example.com', password } });
    for (let i = 0; i < 4; i++) {
      expect((await attempt(i, `wrong ${i}`)).body.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
    }
    for (let i = 4; i < 6; i++) {
      const answer = await attempt(i, i === 5 ? PASSPHRASE : `wrong ${i}`);
      const refused = answer.body.errors?.[0];
      expect(refused?.extensions?.['code'], `attempt ${i + 1} through gateway ${(i % gateways.length) + 1}`).toBe('RATE_LIMITED');
      // A field error of an operation that ran: 200, as GraphQL over HTTP has it, with the wait in Retry-After too.
      expect(answer.status).toBe(200);
      const wait = refused?.extensions?.['retryAfterSeconds'];
      expect(wait).toBeGreaterThanOrEqual(1);
      expect(answer.headers.get('retry-after')).toBe(String(wait));
    }
    if (platform.mode === 'services') expect(gateways).toHaveLength(2);
  });
});
