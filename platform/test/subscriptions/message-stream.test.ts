import type { MessageStreamLog } from '@parley/message-stream';
import { captureLogs } from '@parley/testing';
import { createClient, type Client } from 'graphql-ws';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { startEmbeddedPlatform, type EmbeddedPlatform } from '../../src/embedded-platform';
import { completed, connect, delta, eventually, failed, subscribe, watchFollowers } from '@parley/testing/subscriptions';

const STREAM = `
  subscription Stream($id: ID!, $afterSeq: Int) {
    messageStream(messageId: $id, afterSeq: $afterSeq) {
      __typename
      seq
      ... on MessageDelta { piece: delta }
      ... on MessageFailed { code reason }
      ...Ending
    }
  }
  fragment Ending on MessageCompleted {
    messageId
    reply: message { text: content status conversation { title } usage { costUsd } }
  }
`;

describe('Subscription.messageStream through the gateway', () => {
  let platform: EmbeddedPlatform;
  let log: MessageStreamLog;
  let followers: ReturnType<typeof watchFollowers>;
  const queries: string[] = [];
  const clients: Client[] = [];
  let alice: { id: string; token: string };
  let bob: { id: string; token: string };

  /** A signed-in client, disposed after the test. */
  const client = (token?: string) => {
    const created = connect(platform.url, token ? { token } : {});
    clients.push(created);
    return created;
  };

  /**
   * A PENDING assistant reply of Alice's, as sendMessage leaves one; `finish`
   * writes its row as the worker would when the reply ends. The reply is
   * managed by this history's unit of work, so the flush of a follow-up
   * message writes those changes too: no SQL of the test's own, nothing of
   * chat's changed.
   */
  const pendingReply = async (title = 'Streaming') => {
    const history = platform.chat.history();
    const conversation = await history.createConversation({ ownerId: alice.id, title });
    await history.appendMessage(conversation, { role: 'USER', content: 'Hello?' });
    const reply = await history.appendMessage(conversation, { role: 'ASSISTANT', content: '', status: 'PENDING' });
    return {
      id: reply.id,
      async finish(row: Partial<Pick<typeof reply, 'status' | 'content' | 'lastSeq' | 'failureCode' | 'failureReason'>>) {
        Object.assign(reply, row);
        await history.appendMessage(conversation, { role: 'USER', content: 'Thanks' });
      },
    };
  };

  beforeAll(async () => {
    platform = await startEmbeddedPlatform({ logger: captureLogs('silent').logger, port: 0, onQuery: (sql) => queries.push(sql) });
    log = platform.messageStreams;
    followers = watchFollowers(log);
    const account = async (email: string) => {
      const user = await platform.users.directory().create({ email });
      return { id: user.id, token: (await platform.users.tokens.issue({ userId: user.id, roles: user.roles })).token };
    };
    alice = await account('alice@example.com');
    bob = await account('bob@example.com');
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.dispose()));
  });

  afterAll(async () => {
    followers?.restore();
    await platform?.stop();
  });

  it('delivers every delta in order, then MessageCompleted with the message resolved through federation, aliases and fragments kept', async () => {
    const reply = await pendingReply('Greetings');
    const stream = subscribe(client(alice.token), STREAM, { id: reply.id });
    await eventually(() => followers.following(reply.id) === 1, 'the gateway follows the reply');

    queries.length = 0;
    await log.append([delta(reply.id, 1, 'Hel'), delta(reply.id, 2, 'lo')]);
    await log.append([delta(reply.id, 3, ' there')]);
    await eventually(() => stream.results.length === 3, 'three deltas arrived');
    // Deltas go out as they come: nothing is read per token.
    expect(queries.filter((sql) => sql.includes('"chat"."message"'))).toEqual([]);

    await reply.finish({ status: 'COMPLETED', content: 'Hello there', lastSeq: 4 });
    await log.append([completed(reply.id, 4)]);
    expect(await stream.ended).toEqual({});
    expect(stream.results).toEqual([
      { data: { messageStream: { __typename: 'MessageDelta', seq: 1, piece: 'Hel' } } },
      { data: { messageStream: { __typename: 'MessageDelta', seq: 2, piece: 'lo' } } },
      { data: { messageStream: { __typename: 'MessageDelta', seq: 3, piece: ' there' } } },
      {
        data: {
          messageStream: {
            __typename: 'MessageCompleted',
            seq: 4,
            messageId: reply.id,
            // content and status from chat, usage from models: one federated query.
            reply: { text: 'Hello there', status: 'COMPLETED', conversation: { title: 'Greetings' }, usage: null },
          },
        },
      },
    ]);
  });

  it('resumes after a reconnect with afterSeq: no gap and no duplicate, even for events appended while away or during the replay', async () => {
    const reply = await pendingReply();
    const first = subscribe(client(alice.token), STREAM, { id: reply.id });
    await eventually(() => followers.following(reply.id) === 1, 'the first subscription follows');
    await log.append([delta(reply.id, 1, 'a'), delta(reply.id, 2, 'b')]);
    await eventually(() => first.results.length === 2, 'the first two deltas arrived');
    first.unsubscribe();
    await eventually(() => followers.following(reply.id) === 0, 'the first subscription stopped following');

    // While the subscriber is away.
    await log.append([delta(reply.id, 3, 'c'), delta(reply.id, 4, 'd')]);
    // While it reads the replay: seq 5 lands before the read (so in the replay and live), 6 after it (live only).
    const readAfter = log.readAfter.bind(log);
    const spy = vi.spyOn(log, 'readAfter').mockImplementationOnce(async (messageId, afterSeq) => {
      await log.append([delta(reply.id, 5, 'e')]);
      const replay = await readAfter(messageId, afterSeq);
      await log.append([delta(reply.id, 6, 'f')]);
      return replay;
    });
    try {
      const second = subscribe(client(alice.token), STREAM, { id: reply.id, afterSeq: 2 });
      await eventually(() => second.results.length === 4, 'the replayed and concurrent deltas arrived');
      await reply.finish({ status: 'COMPLETED', content: 'abcdefg', lastSeq: 8 });
      await log.append([delta(reply.id, 7, 'g'), completed(reply.id, 8)]);
      await second.ended;

      const events = second.results.map((r) => r.data!['messageStream']);
      expect(events.map((e) => e.seq)).toEqual([3, 4, 5, 6, 7, 8]);
      expect(events.slice(0, 5).map((e) => e.piece)).toEqual(['c', 'd', 'e', 'f', 'g']);
      expect(events[5].reply.text).toBe('abcdefg');
    } finally {
      spy.mockRestore();
    }
  });

  it('waits for higher seqs when afterSeq is beyond the end of a live reply', async () => {
    const reply = await pendingReply();
    await log.append([delta(reply.id, 1, 'a')]);
    const stream = subscribe(client(alice.token), STREAM, { id: reply.id, afterSeq: 2 });
    await eventually(() => followers.following(reply.id) === 1, 'the gateway follows the reply');
    await log.append([delta(reply.id, 2, 'b'), delta(reply.id, 3, 'c'), failed(reply.id, 4, 'UPSTREAM_UNAVAILABLE', 'The model is down.')]);
    await stream.ended;
    expect(stream.results.map((r) => r.data!['messageStream'].seq)).toEqual([3, 4]);
  });

  it("answers NOT_FOUND for another user's reply or an id that is no message, instead of an empty stream", async () => {
    const reply = await pendingReply();
    for (const id of [reply.id, 'not-a-message-id']) {
      const stream = subscribe(client(bob.token), STREAM, { id });
      expect(await stream.ended).toEqual({});
      expect(stream.results).toEqual([
        {
          errors: [
            expect.objectContaining({
              message: `No message "${id}" of yours.`,
              path: ['messageStream'],
              extensions: { code: 'NOT_FOUND' },
            }),
          ],
        },
      ]);
    }
    expect(followers.following(reply.id)).toBe(0);
  });

  it('refuses a negative afterSeq and a message that is not an assistant reply with BAD_USER_INPUT', async () => {
    const reply = await pendingReply();
    const negative = subscribe(client(alice.token), STREAM, { id: reply.id, afterSeq: -1 });
    await negative.ended;
    expect(negative.results[0]!.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'afterSeq' });

    const history = platform.chat.history();
    const conversation = await history.createConversation({ ownerId: alice.id, title: 'Not a reply' });
    const question = await history.appendMessage(conversation, { role: 'USER', content: 'Question' });
    const notReply = subscribe(client(alice.token), STREAM, { id: question.id });
    await notReply.ended;
    expect(notReply.results[0]!.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'messageId' });
  });

  it('closes the connection with 4403 for a bad token, and refuses an anonymous subscriber with UNAUTHENTICATED', async () => {
    const reply = await pendingReply();
    const code = await new Promise<number>((resolve) => {
      const refused = createClient({
        url: platform.url.replace('http', 'ws'),
        webSocketImpl: WebSocket,
        connectionParams: { authorization: 'Bearer not.a.token' },
        retryAttempts: 0,
        on: { closed: (event) => resolve((event as { code: number }).code) },
      });
      clients.push(refused);
      refused.subscribe({ query: STREAM, variables: { id: reply.id } }, { next: () => {}, error: () => {}, complete: () => {} });
    });
    expect(code).toBe(4403);

    const anonymous = subscribe(client(), STREAM, { id: reply.id });
    await anonymous.ended;
    expect(anonymous.results[0]!.errors?.[0]?.extensions).toEqual({ code: 'UNAUTHENTICATED' });
    expect(followers.following(reply.id)).toBe(0);
  });

  it('gives a finished reply whose log expired, or lacks the final event, that event from the database', async () => {
    const done = await pendingReply('Finished long ago');
    await done.finish({ status: 'COMPLETED', content: 'All done.', lastSeq: 3 });
    const completedStream = subscribe(client(alice.token), STREAM, { id: done.id });
    expect(await completedStream.ended).toEqual({});
    expect(completedStream.results).toEqual([
      {
        data: {
          messageStream: {
            __typename: 'MessageCompleted',
            seq: 3,
            messageId: done.id,
            reply: { text: 'All done.', status: 'COMPLETED', conversation: { title: 'Finished long ago' }, usage: null },
          },
        },
      },
    ]);

    const broken = await pendingReply();
    await broken.finish({ status: 'FAILED', lastSeq: 2, failureCode: 'BUDGET_EXCEEDED', failureReason: 'The daily budget is spent.' });
    const failedStream = subscribe(client(alice.token), STREAM, { id: broken.id });
    await failedStream.ended;
    expect(failedStream.results).toEqual([
      { data: { messageStream: { __typename: 'MessageFailed', seq: 2, code: 'BUDGET_EXCEEDED', reason: 'The daily budget is spent.' } } },
    ]);

    // The log has the deltas but not the final event (the worker died between storing the outcome and appending it).
    const cut = await pendingReply();
    await log.append([delta(cut.id, 1, 'Half'), delta(cut.id, 2, ' done')]);
    await cut.finish({ status: 'CANCELLED', content: 'Half done', lastSeq: 3 });
    const cutStream = subscribe(client(alice.token), STREAM, { id: cut.id });
    await cutStream.ended;
    expect(cutStream.results.map((r) => r.data!['messageStream'])).toEqual([
      { __typename: 'MessageDelta', seq: 1, piece: 'Half' },
      { __typename: 'MessageDelta', seq: 2, piece: ' done' },
      expect.objectContaining({
        __typename: 'MessageCompleted',
        seq: 3,
        reply: expect.objectContaining({ text: 'Half done', status: 'CANCELLED' }),
      }),
    ]);

    // A subscriber that already has the final event gets nothing more, and the stream ends.
    const caughtUp = subscribe(client(alice.token), STREAM, { id: done.id, afterSeq: 3 });
    expect(await caughtUp.ended).toEqual({});
    expect(caughtUp.results).toEqual([]);
  });

  it('ends the stream after the final event and stops following', async () => {
    const reply = await pendingReply();
    const stream = subscribe(client(alice.token), STREAM, { id: reply.id });
    await eventually(() => followers.following(reply.id) === 1, 'the gateway follows the reply');
    await log.append([delta(reply.id, 1, 'Sorr'), failed(reply.id, 2, 'UPSTREAM_UNAVAILABLE', 'The model stopped answering.')]);
    expect(await stream.ended).toEqual({});
    expect(stream.results.at(-1)).toEqual({
      data: {
        messageStream: { __typename: 'MessageFailed', seq: 2, code: 'UPSTREAM_UNAVAILABLE', reason: 'The model stopped answering.' },
      },
    });
    expect(followers.following(reply.id)).toBe(0);
  });

  it('stops following when the subscriber unsubscribes or its connection drops', async () => {
    const reply = await pendingReply();
    const leaving = subscribe(client(alice.token), STREAM, { id: reply.id });
    const dropping = client(alice.token);
    subscribe(dropping, STREAM, { id: reply.id });
    await eventually(() => followers.following(reply.id) === 2, 'both subscriptions follow the reply');

    leaving.unsubscribe();
    await eventually(() => followers.following(reply.id) === 1, 'the unsubscribed stream stopped following');
    await dropping.dispose();
    await eventually(() => followers.following(reply.id) === 0, 'the dropped connection stopped following');
  });
});
