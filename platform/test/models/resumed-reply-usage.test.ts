import { ConversationUsageDocument, MyBudgetDocument, MyUsageDocument } from '@parley/client';
import { postGraphQL } from '@parley/testing';
import { echoReply, finishedReply, questionOfWords, registerUser, sendMessage } from '@parley/testing/parley-client';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatformUnderTest, type PlatformUnderTest } from '../../src/testing/platform-under-test';
import { testModelsSettings } from '../../src/testing/test-models-config';
import { expectAnsweredExactlyOnce, streamedReply } from '../support/streamed-reply';

/**
 * A reply whose worker died (or drained) mid-stream is asked of the model again by the next worker, which shows the
 * user only the part they had not seen. The user was served one reply: that is what their usage and budget say.
 */
describe('what a resumed reply costs its user, through the gateway', () => {
  let platform: PlatformUnderTest;

  beforeAll(async () => {
    // Priced, so that budgets move: $1 per thousand tokens.
    platform = await startPlatformUnderTest({ settings: testModelsSettings({ slowTokenMs: 40, pricePerMTok: 1_000 }) });
  }, 180_000);
  afterAll(async () => {
    await platform?.stop();
  });

  /** What a user can see of their spending: each reply's usage, their usage report, their budget. */
  async function spending(token: string, conversationId: string) {
    const conversation = await postGraphQL(platform.url, ConversationUsageDocument, { token, variables: { id: conversationId } });
    const usage = await postGraphQL(platform.url, MyUsageDocument, { token });
    const budget = await postGraphQL(platform.url, MyBudgetDocument, { token });
    return {
      replies: conversation.body.data!.conversation!.messages.edges.filter((e) => e.node.role === 'ASSISTANT').map((e) => e.node.usage),
      report: usage.body.data!.myUsage,
      spentUsd: budget.body.data!.myBudget.spentTodayUsd,
    };
  }

  /** A reply nobody interrupted, for another user: what the same question costs when it is served once. */
  async function servedOnce(question: string, model: string) {
    const someone = await registerUser(platform.url, `reference-${Math.random().toString(36).slice(2)}@example.com`);
    const sent = await sendMessage(platform.url, someone.token, { content: question, model });
    await finishedReply(platform.url, someone.token, sent.assistantMessage.id, { status: 'COMPLETED', timeout: 60_000 });
    await expect.poll(async () => (await spending(someone.token, sent.conversation.id)).replies[0]).not.toBeNull();
    return (await spending(someone.token, sent.conversation.id)).replies[0]!;
  }

  function expectCountedOnce(
    seen: Awaited<ReturnType<typeof spending>>,
    once: { promptTokens: number; completionTokens: number; costUsd: number },
  ) {
    expect(seen.replies).toEqual([once]);
    expect(seen.report).toMatchObject({ requests: 1, promptTokens: once.promptTokens, completionTokens: once.completionTokens });
    expect(seen.report.costUsd).toBeCloseTo(once.costUsd, 6);
    expect(seen.spentUsd).toBeCloseTo(once.costUsd, 5);
  }

  it('counts a reply once when the worker that first asked for it was cut off mid-reply and another asked again', async () => {
    const question = questionOfWords(40, 'cut');
    const once = await servedOnce(question, 'dev/slow');
    const alice = await registerUser(platform.url, 'resumed@example.com');
    const history = platform.chat.history();
    const conversation = await history.createConversation({ ownerId: alice.id, title: 'Resumed' });
    await history.appendMessage(conversation, { role: 'USER', content: question });
    const reply = await history.appendMessage(conversation, { role: 'ASSISTANT', content: '', status: 'PENDING' });
    // As the chat worker asks: the internal token, the user, the message.
    const worker = new OpenAI({
      baseURL: platform.subgraphUrls['models']!.replace('/graphql', '/v1'),
      apiKey: platform.internalServiceToken,
      maxRetries: 0,
      defaultHeaders: { 'x-parley-user-id': alice.id, 'x-parley-message-id': reply.id },
    });
    const request = { model: 'dev/slow', messages: [{ role: 'user' as const, content: question }], stream: true as const };
    const dying = new AbortController();
    let words = 0;
    try {
      for await (const chunk of await worker.chat.completions.create(request, { signal: dying.signal }))
        if (chunk.choices[0]?.delta?.content && ++words === 5) dying.abort();
    } catch {
      // the abort: the worker died
    }
    await expect.poll(async () => (await spending(alice.token, conversation.id)).report.requests).toBe(1);
    let text = '';
    for await (const chunk of await worker.chat.completions.create(request)) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toBe(echoReply(question));
    await expect.poll(async () => (await spending(alice.token, conversation.id)).replies).toEqual([once]);
    await expect.poll(async () => (await spending(alice.token, conversation.id)).spentUsd).toBeCloseTo(once.costUsd, 5);
    expectCountedOnce(await spending(alice.token, conversation.id), once);
  }, 120_000);

  it('charges a caller of its own every request, whatever message it names: only Parley’s services may', async () => {
    const bob = await registerUser(platform.url, 'names-a-message@example.com');
    const conversation = await platform.chat.history().createConversation({ ownerId: bob.id, title: 'Mine' });
    const named = { 'x-parley-message-id': crypto.randomUUID() };
    const own = new OpenAI({
      baseURL: platform.subgraphUrls['models']!.replace('/graphql', '/v1'),
      apiKey: bob.token,
      maxRetries: 0,
      defaultHeaders: platform.internalHeaders,
    });
    const request = { model: 'dev/echo', messages: [{ role: 'user' as const, content: 'Twice, please' }] };
    const first = await own.chat.completions.create(request, { headers: named });
    await own.chat.completions.create(request, { headers: named });
    const cost = ((first.usage!.prompt_tokens + first.usage!.completion_tokens) * 1_000) / 1_000_000;
    await expect.poll(async () => (await spending(bob.token, conversation.id)).report.requests).toBe(2);
    expect((await spending(bob.token, conversation.id)).spentUsd).toBeCloseTo(2 * cost, 5);
  }, 60_000);

  it('counts a reply once after its worker is killed (kill -9) mid-reply and another resumes it', async (context) => {
    if (platform.mode !== 'services') context.skip();
    // Six seconds of reply: the kill lands mid-stream however slowly the machine runs.
    const question = questionOfWords(150, 'kill');
    const once = await servedOnce(question, 'dev/slow');
    const carol = await registerUser(platform.url, 'killed-worker@example.com');
    const sent = await sendMessage(platform.url, carol.token, { content: question, model: 'dev/slow' });
    const id = sent.assistantMessage.id;
    await expect.poll(async () => (await streamedReply(platform, id)).seqs.length, { timeout: 20_000, interval: 20 }).toBeGreaterThan(5);
    await platform.processes['chat-worker-1']!.stop('SIGKILL');
    await platform.restart('chat-worker-1');
    await expectAnsweredExactlyOnce(platform, carol.token, id, echoReply(question));
    await expect.poll(async () => (await spending(carol.token, sent.conversation.id)).replies).toEqual([once]);
    await expect.poll(async () => (await spending(carol.token, sent.conversation.id)).spentUsd).toBeCloseTo(once.costUsd, 5);
    expectCountedOnce(await spending(carol.token, sent.conversation.id), once);
  }, 180_000);

  it('counts a reply that was streaming when the models service was told to stop (SIGTERM): its drain records it', async (context) => {
    if (platform.mode !== 'services') context.skip();
    const question = questionOfWords(60, 'drain');
    const once = await servedOnce(question, 'dev/slow');
    const dave = await registerUser(platform.url, 'drained-models@example.com');
    const sent = await sendMessage(platform.url, dave.token, { content: question, model: 'dev/slow' });
    const id = sent.assistantMessage.id;
    await expect.poll(async () => (await streamedReply(platform, id)).seqs.length, { timeout: 20_000, interval: 20 }).toBeGreaterThan(5);
    const models = platform.processes['models']!;
    expect(await models.stop('SIGTERM'), models.output()).toBe(0);
    await platform.restart('models');
    await expectAnsweredExactlyOnce(platform, dave.token, id, echoReply(question));
    await expect.poll(async () => (await spending(dave.token, sent.conversation.id)).replies).toEqual([once]);
    expectCountedOnce(await spending(dave.token, sent.conversation.id), once);
  }, 180_000);
});
