import { CancelGenerationDocument, ConversationThreadDocument } from '@parley/client';
import { postGraphQL } from '@parley/testing';
import { echoReply, finishedReply, questionOfWords, registerUser, storedMessage } from '@parley/testing/parley-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatformUnderTest, type PlatformUnderTest } from '../../src/testing/platform-under-test';
import { testModelsSettings } from '../../src/testing/test-models-config';
import { allEvents, callRest, fetchRest, originOf, serverSentEvents, type ServerSentEvent } from '@parley/testing/rest';
import { followerCounter } from './rest-support';

/**
 * Questions of `n` words for the slow model (a word every 40 ms, see `questionOfWords`): 150 take it six seconds to
 * echo, far longer than the few requests a test makes meanwhile take on a busy machine, and well inside its 20 s
 * wait for the end.
 */

describe('POST /api/v1/chat/completions: sendMessage, then the reply', () => {
  let platform: PlatformUnderTest;
  let origin: string;
  let followers: Awaited<ReturnType<typeof followerCounter>>;
  let alice: { token: string; id: string };

  const complete = (token: string, body: unknown, headers: Record<string, string> = {}) =>
    callRest(origin, 'POST', '/api/v1/chat/completions', { token, body, headers });
  const stream = (token: string, body: Record<string, unknown>, signal?: AbortSignal) =>
    fetchRest(origin, 'POST', '/api/v1/chat/completions', { token, body: { ...body, stream: true }, ...(signal ? { signal } : {}) });
  beforeAll(async () => {
    platform = await startPlatformUnderTest({
      settings: {
        ...testModelsSettings({ slowTokenMs: 40 }),
        MODERATION_BLOCK_LIST: 'forbidden-project',
        MAX_GENERATIONS_PER_USER: '2',
        REGISTRATIONS_PER_IP: '100',
      },
    });
    origin = originOf(platform.url);
    followers = await followerCounter(platform);
    alice = await registerUser(platform.url, 'alice@example.com');
  }, 120_000);
  afterAll(async () => {
    await followers?.close();
    await platform?.stop();
  });

  describe('without stream', () => {
    it('sends a message and answers once the reply has finished, with the reply as the graph stores it', async () => {
      const { status, body } = await complete(alice.token, { content: 'What is a tree?' });
      expect(status).toBe(200);
      expect(body.userMessage).toMatchObject({ role: 'USER', content: 'What is a tree?', status: 'COMPLETED', parentId: null });
      expect(body.assistantMessage).toMatchObject({
        role: 'ASSISTANT',
        status: 'COMPLETED',
        content: echoReply('What is a tree?'),
        parentId: body.userMessage.id,
        failure: null,
        lastSeq: expect.any(Number),
      });
      expect(body.conversation).toEqual({
        id: expect.any(String),
        title: expect.any(String),
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });

      const overGraphQL = await storedMessage(platform.url, alice.token, body.assistantMessage.id);
      expect(overGraphQL).toMatchObject({
        status: 'COMPLETED',
        content: body.assistantMessage.content,
        lastSeq: body.assistantMessage.lastSeq,
      });
      expect(overGraphQL.conversation.id).toBe(body.conversation.id);
    });

    it('continues a conversation by conversationId, sending the last "user" message of OpenAI-style messages', async () => {
      const first = (await complete(alice.token, { content: 'First question' })).body;
      const { status, body } = await complete(alice.token, {
        conversationId: first.conversation.id,
        model: 'dev/echo',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'First question' },
          { role: 'assistant', content: 'Echo: First question' },
          { role: 'user', content: 'Second question' },
        ],
      });
      expect(status).toBe(200);
      expect(body.conversation.id).toBe(first.conversation.id);
      expect(body.userMessage).toMatchObject({ content: 'Second question', parentId: first.assistantMessage.id });

      // The thread as GraphQL reads it: Parley's own history, not the messages the client sent.
      const thread = (
        await postGraphQL(platform.url, ConversationThreadDocument, { token: alice.token, variables: { id: first.conversation.id } })
      ).body.data!.conversation!;
      expect(thread.messages.edges.map((e) => [e.node.role, e.node.content])).toEqual([
        ['USER', 'First question'],
        ['ASSISTANT', echoReply('First question')],
        ['USER', 'Second question'],
        ['ASSISTANT', echoReply('Second question')],
      ]);
    });

    it("answers a retried clientMessageId with the first request's messages, sending one message", async () => {
      const body = { content: 'Only once, please', clientMessageId: `rest-retry-${Date.now()}` };
      const first = await complete(alice.token, body);
      const retried = await complete(alice.token, body);
      expect(retried.status).toBe(200);
      expect(retried.body.assistantMessage.id).toBe(first.body.assistantMessage.id);
      expect(retried.body.userMessage.id).toBe(first.body.userMessage.id);
    });

    it('answers 202 with the reply still under way when the wait the client prefers is over first', async () => {
      const bea = await registerUser(platform.url, 'bea@example.com');
      const content = questionOfWords(150);
      const { status, headers, body } = await complete(bea.token, { content, model: 'dev/slow' }, { prefer: 'wait=0' });
      expect(status).toBe(202);
      expect(headers.get('preference-applied')).toBe('wait=0');
      expect(body.assistantMessage.status).toMatch(/PENDING|STREAMING/);
      expect((await finishedReply(platform.url, bea.token, body.assistantMessage.id)).content).toBe(echoReply(content));
    });

    it('answers a failed reply with 200, its status FAILED and why', async () => {
      const { status, body } = await complete(alice.token, { content: 'Anyone there?', model: 'broken/model' });
      expect(status).toBe(200);
      expect(body.assistantMessage).toMatchObject({
        status: 'FAILED',
        failure: { code: 'UPSTREAM_UNAVAILABLE', reason: expect.any(String) },
      });
    });
  });

  describe('with stream: true', () => {
    it('streams a reply as Server-Sent Events that concatenate to the stored content, then one final event', async () => {
      const question = 'one two three four five six seven eight';
      const response = await stream(alice.token, { content: question, model: 'dev/slow' });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      const events = await allEvents(response);

      const [sent, ...rest] = events;
      expect(sent).toMatchObject({ event: 'sent', data: { userMessage: { content: question }, assistantMessage: { status: 'PENDING' } } });
      const messageId = sent!.data.assistantMessage.id as string;
      const deltas = rest.slice(0, -1);
      const final = rest.at(-1)!;
      expect(deltas.length).toBeGreaterThan(1);
      expect(deltas.every((e) => e.event === 'delta' && e.data.messageId === messageId)).toBe(true);
      // Gap-free seqs from 1, each also the event's id.
      expect(deltas.map((e) => e.data.seq)).toEqual(deltas.map((_, i) => i + 1));
      expect(deltas.map((e) => e.id)).toEqual(deltas.map((_, i) => String(i + 1)));

      const reply = await storedMessage(platform.url, alice.token, messageId);
      expect(final).toEqual({
        event: 'completed',
        id: String(deltas.length + 1),
        data: {
          messageId,
          seq: deltas.length + 1,
          message: expect.objectContaining({ id: messageId, status: 'COMPLETED', content: reply.content }),
        },
      });
      expect(deltas.map((e) => e.data.delta).join('')).toBe(reply.content);
      expect(reply.content).toBe(echoReply(question));
      expect(reply.lastSeq).toBe(final.data.seq);
    });

    it('ends the stream with a failed event carrying the code and reason the graph stores', async () => {
      const events = await allEvents(await stream(alice.token, { content: 'Anyone there?', model: 'broken/model' }));
      expect(events.map((e) => e.event)).toEqual(['sent', 'failed']);
      const messageId = events[0]!.data.assistantMessage.id;
      const reply = await storedMessage(platform.url, alice.token, messageId);
      expect(events[1]!.data).toEqual({ messageId, seq: reply.lastSeq, code: 'UPSTREAM_UNAVAILABLE', reason: reply.failure!.reason });
    });

    it('stops following the reply when the client disconnects, while the reply is still generated', async () => {
      const cleo = await registerUser(platform.url, 'cleo@example.com');
      const content = questionOfWords(150, 'piece');
      const leave = new AbortController();
      const response = await stream(cleo.token, { content, model: 'dev/slow' }, leave.signal);
      const seen: ServerSentEvent[] = [];
      for await (const event of serverSentEvents(response)) {
        seen.push(event);
        if (event.event === 'delta') break;
      }
      const messageId = seen[0]!.data.assistantMessage.id as string;
      expect(await followers.following(messageId)).toBe(1);

      leave.abort();
      await expect.poll(() => followers.following(messageId), { interval: 20 }).toBe(0);
      expect((await storedMessage(platform.url, cleo.token, messageId)).status).toMatch(/PENDING|STREAMING/);
      expect((await finishedReply(platform.url, cleo.token, messageId)).content).toBe(echoReply(content));
    });

    it('refuses before streaming anything, with a JSON error, what sendMessage refuses', async () => {
      const response = await stream(alice.token, { content: 'Tell me about forbidden-project' });
      expect(response.status).toBe(422);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await response.json()).toEqual({ error: { code: 'CONTENT_BLOCKED', message: expect.any(String), category: 'block_list' } });
    });
  });

  describe('refusals', () => {
    it('refuses content that moderation blocks with 422 CONTENT_BLOCKED, storing nothing', async () => {
      const dora = await registerUser(platform.url, 'dora@example.com');
      const { status, body } = await complete(dora.token, { content: 'What is forbidden-project?' });
      expect(status).toBe(422);
      expect(body.error).toMatchObject({ code: 'CONTENT_BLOCKED', category: 'block_list' });
      expect((await callRest(origin, 'GET', '/api/v1/chat/history', { token: dora.token })).body.conversations).toEqual([]);
    });

    it('refuses a body without a message, or with both content and messages, with 400 naming the field', async () => {
      const none = await complete(alice.token, { model: 'dev/echo' });
      expect(none.status).toBe(400);
      expect(none.body.error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'content' });

      const both = await complete(alice.token, { content: 'a', messages: [{ role: 'user', content: 'b' }] });
      expect(both.status).toBe(400);
      expect(both.body.error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'content' });

      const noUser = await complete(alice.token, { messages: [{ role: 'system', content: 'Be brief.' }] });
      expect(noUser.status).toBe(400);
      expect(noUser.body.error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'messages' });

      const mistyped = await complete(alice.token, { content: 'a', stream: 'yes' });
      expect(mistyped.status).toBe(400);
      expect(mistyped.body.error).toEqual({ code: 'BAD_USER_INPUT', message: '"stream" must be a boolean.', field: 'stream' });
    });

    it("refuses to send into someone else's conversation with 404 NOT_FOUND", async () => {
      const erin = await registerUser(platform.url, 'erin@example.com');
      const mine = (await complete(alice.token, { content: 'Private thoughts' })).body;
      const { status, body } = await complete(erin.token, { conversationId: mine.conversation.id, content: 'Let me in' });
      expect(status).toBe(404);
      expect(body.error.code).toBe('NOT_FOUND');
    });

    it('answers 429 RATE_LIMITED with Retry-After when too many replies are being generated', async () => {
      const finn = await registerUser(platform.url, 'finn@example.com');
      // Forty seconds each: both are still being generated when the third arrives. They are cancelled after.
      const slow = { content: questionOfWords(1_000, 'w'), model: 'dev/slow' };
      const inFlight = [];
      for (let i = 0; i < 2; i++) inFlight.push((await complete(finn.token, slow, { prefer: 'wait=0' })).body.assistantMessage.id);
      const { status, headers, body } = await complete(finn.token, slow, { prefer: 'wait=0' });
      expect(status).toBe(429);
      expect(body.error).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: 1 });
      expect(headers.get('retry-after')).toBe('1');
      for (const id of inFlight)
        await postGraphQL(platform.url, CancelGenerationDocument, { token: finn.token, variables: { messageId: id } });
    });
  });
});
