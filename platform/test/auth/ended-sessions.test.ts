import {
  ChangePasswordDocument,
  LoginDocument,
  LogoutDocument,
  MeDocument,
  MySessionsDocument,
  RefreshTokenDocument,
  RevokeSessionDocument,
} from '@parley/client';
import { postGraphQL } from '@parley/testing';
import { PASSPHRASE, registerUser } from '@parley/testing/parley-client';
import { connect, subscribe } from '@parley/testing/subscriptions';
import type { Client } from 'graphql-ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { realServices, startPlatformUnderTest, type PlatformUnderTest } from '../../src/testing/platform-under-test';

const STREAM = `subscription Stream($id: ID!) { messageStream(messageId: $id) { seq } }`;

/**
 * A session that ends (logout, a device revoked, a password change, a refresh token replayed) takes its access
 * tokens with it at once, on the gateway and on every subgraph, and closes its open WebSockets with 4403; the
 * session's other devices and other people's sessions go on. Services mode (two gateways, each its own process) when
 * PostgreSQL, Redis and Kafka are configured; the embedded platform otherwise.
 */
describe('a session that ended refuses its access tokens at once', () => {
  let platform: PlatformUnderTest;
  let n = 0;
  const email = () => `ended${++n}-${Date.now()}@example.com`;
  const clients: Client[] = [];

  beforeAll(async () => {
    platform = await startPlatformUnderTest({ gateways: 2 });
  }, 120_000);
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.dispose()));
  });
  afterAll(async () => {
    await platform?.stop();
  });

  const me = (url: string, token: string) => postGraphQL(url, MeDocument, { token });
  /** What `url` (a gateway, or a subgraph asked directly) answers a request with `token`. */
  const answer = async (url: string, token: string) => {
    // A subgraph asked directly answers Parley's own callers only (the internal credential); the gateway needs none.
    const internal = platform.gatewayUrls.includes(url) ? {} : platform.internalHeaders;
    const { status, body } = await postGraphQL(url, '{ __typename }', { token, headers: internal });
    return { status, code: body.errors?.[0]?.extensions?.['code'] ?? null, message: body.errors?.[0]?.message ?? null };
  };
  const ENDED = { status: 401, code: 'UNAUTHENTICATED', message: 'This session has ended; sign in again.' };
  const ACCEPTED = { status: 200, code: null, message: null };
  /**
   * Every gateway and the users and chat subgraphs refuse the token. Polled: in services mode the word travels over
   * Redis pub/sub, a hop of a millisecond, not the token's remaining quarter of an hour.
   */
  const refusedEverywhere = async (token: string) => {
    for (const url of [...platform.gatewayUrls, platform.subgraphUrls['users']!, platform.subgraphUrls['chat']!]) {
      await expect.poll(() => answer(url, token), { timeout: 5_000 }).toEqual(ENDED);
    }
  };
  const acceptedEverywhere = async (token: string) => {
    for (const url of [...platform.gatewayUrls, platform.subgraphUrls['users']!, platform.subgraphUrls['chat']!]) {
      expect(await answer(url, token), url).toEqual(ACCEPTED);
    }
  };
  const login = async (address: string, password = PASSPHRASE) => {
    const { body } = await postGraphQL(platform.url, LoginDocument, { variables: { email: address, password } });
    expect(body.errors).toBeUndefined();
    return { token: body.data!.login.accessToken, refreshToken: body.data!.login.refreshToken };
  };

  /** A WebSocket on `gatewayUrl` with a subscription open on a reply still being written; `closed` has the close code. */
  const openSubscription = async (gatewayUrl: string, userId: string, token: string) => {
    const history = platform.chat.history();
    const conversation = await history.createConversation({ ownerId: userId, title: 'Listening' });
    const reply = await history.appendMessage(conversation, { role: 'ASSISTANT', content: '', status: 'PENDING' });
    let connected!: () => void;
    const acknowledged = new Promise<void>((resolve) => (connected = resolve));
    let closedWith!: (code: number) => void;
    const closed = new Promise<number>((resolve) => (closedWith = resolve));
    const client = connect(gatewayUrl, {
      token,
      on: { connected: () => connected(), closed: (event) => closedWith((event as { code: number }).code) },
    });
    clients.push(client);
    const subscription = subscribe(client, STREAM, { id: reply.id });
    await acknowledged;
    return { client, closed, subscription };
  };

  it('refuses the access token of a session that logged out, on the gateway and on each subgraph asked directly', async () => {
    const address = email();
    const laptop = await registerUser(platform.url, address);
    const phone = await login(address);
    const someoneElse = await registerUser(platform.url, email());
    // Verified (and remembered by every verifier) before the logout: the remembered answer must not outlive it.
    await acceptedEverywhere(laptop.token);

    const { body } = await postGraphQL(platform.url, LogoutDocument, { variables: { refreshToken: laptop.refreshToken } });
    expect(body.data!.logout).toBe(true);

    await refusedEverywhere(laptop.token);
    const { body: refused } = await me(platform.url, laptop.token);
    expect(refused.data ?? null).toBeNull();
    // The person's other device, and everyone else, are unaffected.
    await acceptedEverywhere(phone.token);
    await acceptedEverywhere(someoneElse.token);
  });

  it('refuses the access token of a device revoked from another', async () => {
    const address = email();
    const laptop = await registerUser(platform.url, address);
    const phone = await login(address);
    const sessions = (await postGraphQL(platform.url, MySessionsDocument, { token: phone.token })).body.data!.me!.sessions;
    const laptopSession = sessions.find((s) => !s.current)!;
    const revoked = await postGraphQL(platform.url, RevokeSessionDocument, { token: phone.token, variables: { id: laptopSession.id } });
    expect(revoked.body.data!.revokeSession).toBe(true);
    await refusedEverywhere(laptop.token);
    await acceptedEverywhere(phone.token);
  });

  it('refuses the access tokens of every session once the password changed', async () => {
    const address = email();
    const one = await registerUser(platform.url, address);
    const two = await login(address);
    await acceptedEverywhere(one.token);
    const changed = await postGraphQL(platform.url, ChangePasswordDocument, {
      token: two.token,
      variables: { currentPassword: PASSPHRASE, newPassword: 'an entirely new phrase' },
    });
    expect(changed.body.data!.changePassword).toBe(true);
    await refusedEverywhere(one.token);
    await refusedEverywhere(two.token);
    // Signing in with the new password starts a new session, whose tokens work.
    await acceptedEverywhere((await login(address, 'an entirely new phrase')).token);
  });

  it('refuses every access token of a session whose refresh token was replayed', async () => {
    const first = await registerUser(platform.url, email());
    const refreshed = await postGraphQL(platform.url, RefreshTokenDocument, { variables: { refreshToken: first.refreshToken } });
    const second = refreshed.body.data!.refreshToken;
    await acceptedEverywhere(second.accessToken);
    const replay = await postGraphQL(platform.url, RefreshTokenDocument, { variables: { refreshToken: first.refreshToken } });
    expect(replay.body.errors?.[0]?.message).toMatch(/already used, so the session was ended/);
    // The thief's token and the owner's newest one end together.
    await refusedEverywhere(first.token);
    await refusedEverywhere(second.accessToken);
  });

  it('closes the WebSockets opened before the logout with 4403, on both paths', async () => {
    const address = email();
    const person = await registerUser(platform.url, address);
    const other = await login(address);
    const ending = await openSubscription(platform.url, person.id, person.token);
    // The seed's clients' path, the same server.
    const endingOnChatPath = await openSubscription(platform.url.replace(/\/graphql$/, '/ws/chat'), person.id, person.token);
    const staying = await openSubscription(platform.url, person.id, other.token);

    await postGraphQL(platform.url, LogoutDocument, { variables: { refreshToken: person.refreshToken } });
    expect(await ending.closed).toBe(4403);
    expect(await endingOnChatPath.closed).toBe(4403);
    expect((await ending.subscription.ended).errors).toBeDefined();
    // The other device's socket stays open and answers.
    const stillOpen = subscribe(staying.client, `query { me { id } }`);
    expect(await stillOpen.ended).toEqual({});
    expect(stillOpen.results).toEqual([{ data: { me: { id: person.id } } }]);
    expect(staying.subscription.results).toEqual([]);
  });

  it.runIf(realServices())('ends the session on every gateway replica: a logout through one closes the socket on the other', async () => {
    const [first, second] = platform.gatewayUrls as [string, string];
    const person = await registerUser(first, email());
    await expect(answer(second, person.token)).resolves.toEqual(ACCEPTED);
    const socket = await openSubscription(second, person.id, person.token);

    await postGraphQL(first, LogoutDocument, { variables: { refreshToken: person.refreshToken } });
    expect(await socket.closed).toBe(4403);
    await expect.poll(() => answer(second, person.token), { timeout: 5_000 }).toEqual(ENDED);
  });

  it('refuses a WebSocket with an ended session’s token at connection, with 4403', async () => {
    const person = await registerUser(platform.url, email());
    await postGraphQL(platform.url, LogoutDocument, { variables: { refreshToken: person.refreshToken } });
    await refusedEverywhere(person.token);
    let closedWith!: (code: number) => void;
    const closed = new Promise<number>((resolve) => (closedWith = resolve));
    const client = connect(platform.url, { token: person.token, on: { closed: (event) => closedWith((event as { code: number }).code) } });
    clients.push(client);
    subscribe(client, STREAM, { id: '00000000-0000-4000-8000-000000000000' });
    expect(await closed).toBe(4403);
  });
});
