import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sqlOn } from '@parley/database';
import { BadUserInputError, ConflictError, ParleyError, RateLimitedError } from '@parley/errors';
import { systemClock } from '@parley/runtime';
import { startSubgraphUnderTest, type SubgraphUnderTest } from '@parley/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { comparedModels, MAX_COMPARED_MODELS, type SendMessageInput } from '../src/send-message';
import { chatSubgraph, type ChatService } from '../src/server';

/**
 * sendMessage with `models`, against the chat subgraph on PGlite with no worker and no relay, so what one send
 * writes stays to be read: the replies, their outbox rows and Kafka keys, the idempotency record. The models
 * service is a listing of three models.
 */
describe('comparedModels: the shape of sendMessage’s `models`', () => {
  const refusal = (input: Pick<SendMessageInput, 'model' | 'models'>) => {
    try {
      comparedModels(input);
    } catch (error) {
      expect(error).toBeInstanceOf(BadUserInputError);
      expect((error as ParleyError).details).toMatchObject({ field: 'models' });
      return (error as Error).message;
    }
    throw new Error(`not refused: ${JSON.stringify(input)}`);
  };

  it('is null without models, and the models in order with 2 or 3 distinct ones', () => {
    expect(comparedModels({ model: 'a' })).toBeNull();
    expect(comparedModels({ models: null })).toBeNull();
    expect(comparedModels({ models: ['b', 'a'] })).toEqual(['b', 'a']);
    expect(comparedModels({ models: ['a', 'b', 'c'], model: null })).toEqual(['a', 'b', 'c']);
  });

  it('refuses fewer than 2, more than 3, duplicates, and models with model, saying what to send instead', () => {
    expect(MAX_COMPARED_MODELS).toBe(3);
    expect(refusal({ models: [] })).toMatch(/"models" names no model; compare 2 to 3 distinct models, or ask one with "model"/);
    expect(refusal({ models: ['a'] })).toMatch(/"models" names one model; compare 2 to 3 distinct models, or ask one with "model"/);
    expect(refusal({ models: ['a', 'b', 'c', 'd'] })).toMatch(/"models" names 4 models; at most 3 can be compared at once/);
    expect(refusal({ models: ['a', 'b', 'a'] })).toMatch(/"models" names "a" twice; compare distinct models/);
    expect(refusal({ model: 'a', models: ['b', 'c'] })).toMatch(/Give either "model" \(one reply\) or "models" .*, not both/);
  });
});

describe('sendMessage with models: one transaction, one reply and one request per model', () => {
  let models: Server;
  let subgraph: SubgraphUnderTest<ChatService>;
  let sql: ReturnType<typeof sqlOn>;

  beforeAll(async () => {
    models = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: ['m/one', 'm/two', 'm/three'].map((id) => ({ id, context_window: 8_192 })) }));
    });
    await new Promise<void>((resolve) => models.listen(0, '127.0.0.1', resolve));
    subgraph = await startSubgraphUnderTest(chatSubgraph, {
      clock: systemClock,
      settings: {
        MODELS_URL: `http://127.0.0.1:${(models.address() as AddressInfo).port}`,
        INTERNAL_SERVICE_TOKEN: 'compare-models-internal-token-0123456789',
        CHAT_DEFAULT_MODEL: 'm/one',
        // The rows stay in the outbox to be read; no worker runs, so replies stay PENDING until a test ends them.
        OUTBOX_RELAY: 'off',
        MAX_GENERATIONS_PER_USER: '5',
      },
    });
    sql = sqlOn(subgraph.orm.em.getConnection());
  });
  afterAll(async () => {
    await subgraph?.stop();
    await new Promise((resolve) => models?.close(resolve));
  });

  const send = (owner: string, input: SendMessageInput) => subgraph.service.sending().send(owner, input);
  const refusalOf = async (promise: Promise<unknown>) => {
    const error = await promise.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ParleyError);
    return error as ParleyError;
  };
  const rows = async <T>(statement: string, params: unknown[] = []) => (await sql.raw<T>(statement, params)).rows;
  const outboxOf = (conversationId: string) =>
    rows<{ key: string; payload: { assistantMessageId: string; model: string; userMessageId: string } }>(
      `select key, payload from "chat"."outbox" where payload->>'conversationId' = ? order by id`,
      [conversationId],
    );
  const stored = async () => {
    const [counts] = await rows<{ conversations: number; messages: number; outbox: number; requests: number }>(
      `select (select count(*)::int from "chat"."conversation") as conversations, (select count(*)::int from "chat"."message") as messages,
              (select count(*)::int from "chat"."outbox") as outbox, (select count(*)::int from "chat"."send_request") as requests`,
    );
    return counts!;
  };
  /** As the worker ends a reply. */
  const complete = (...ids: string[]) =>
    sql.raw(`update "chat"."message" set status = 'COMPLETED', content = 'done', model = requested_model where id = any(?::uuid[])`, [ids]);

  it('stores the question and a PENDING reply per model, siblings in order, each with its own request', async () => {
    const owner = randomUUID();
    const sent = await send(owner, { content: 'Which is better?', models: ['m/two', 'm/one', 'm/three'] });
    expect(sent.assistantMessages.map((m) => [m.status, m.parentId, m.requestedModel])).toEqual([
      ['PENDING', sent.userMessage.id, 'm/two'],
      ['PENDING', sent.userMessage.id, 'm/one'],
      ['PENDING', sent.userMessage.id, 'm/three'],
    ]);
    expect(sent.assistantMessage).toBe(sent.assistantMessages[0]);
    // The first reply is the active branch; the siblings list the replies in the order of `models`.
    expect(sent.conversation.activeLeafId).toBe(sent.assistantMessages[0]!.id);
    const ids = sent.assistantMessages.map((m) => m.id);
    const siblings = await subgraph.service.history().siblingsOf([ids[1]!], owner);
    expect(siblings.get(ids[1]!)!.map((m) => [m.id, m.requestedModel])).toEqual(
      sent.assistantMessages.map((m) => [m.id, m.requestedModel]),
    );
    // One request per reply: the first keyed by the conversation, the others by keys of their own (side by side).
    const conversationId = sent.conversation.id;
    expect((await outboxOf(conversationId)).map((row) => [row.key, row.payload.assistantMessageId, row.payload.model])).toEqual([
      [conversationId, ids[0], 'm/two'],
      [`${conversationId}/${ids[1]}`, ids[1], 'm/one'],
      [`${conversationId}/${ids[2]}`, ids[2], 'm/three'],
    ]);
    const keys = await rows<{ id: string; request_key: string | null }>(
      `select id, request_key from "chat"."message" where id = any(?::uuid[])`,
      [ids],
    );
    expect(Object.fromEntries(keys.map((k) => [k.id, k.request_key]))).toEqual({
      [ids[0]!]: null,
      [ids[1]!]: `${conversationId}/${ids[1]}`,
      [ids[2]!]: `${conversationId}/${ids[2]}`,
    });
  });

  it('keys what follows a compared reply like that reply, so it is generated after it', async () => {
    const owner = randomUUID();
    const sent = await send(owner, { content: 'Compare', models: ['m/one', 'm/two'] });
    const [first, second] = sent.assistantMessages.map((m) => m.id) as [string, string];
    const conversationId = sent.conversation.id;
    // Picked while it is still being generated: the follow-up waits for it on its key.
    await subgraph.service.sending().selectBranch(owner, second);
    const followUp = await send(owner, { content: 'Go on', conversationId });
    expect(followUp.userMessage.parentId).toBe(second);
    expect(followUp.assistantMessages).toEqual([followUp.assistantMessage]);
    // An edit of the follow-up, and a regeneration of its reply, follow the same reply.
    await complete(first, second, followUp.assistantMessage.id);
    const edited = await subgraph.service.sending().edit(owner, followUp.userMessage.id, 'Go on, please');
    await complete(edited.assistantMessage.id);
    const regenerated = await subgraph.service.sending().regenerate(owner, edited.assistantMessage.id);
    // Back on the first reply's branch: the conversation's own key.
    await subgraph.service.sending().selectBranch(owner, first);
    const onFirst = await send(owner, { content: 'And this one?', conversationId });
    expect(onFirst.userMessage.parentId).toBe(first);
    const keyOf = new Map((await outboxOf(conversationId)).map((row) => [row.payload.assistantMessageId, row.key]));
    expect(keyOf.get(followUp.assistantMessage.id)).toBe(`${conversationId}/${second}`);
    expect(keyOf.get(edited.assistantMessage.id)).toBe(`${conversationId}/${second}`);
    expect(keyOf.get(regenerated.assistantMessage.id)).toBe(`${conversationId}/${second}`);
    expect(keyOf.get(onFirst.assistantMessage.id)).toBe(conversationId);
  });

  it('refuses bad models before anything is stored, naming the unknown one', async () => {
    const owner = randomUUID();
    const existing = await send(owner, { content: 'First' });
    await complete(existing.assistantMessage.id);
    const before = await stored();
    const cases: [SendMessageInput, RegExp][] = [
      [
        { content: 'q', models: ['m/one', 'm/two', 'no/such-model'] },
        /"models": There is no model "no\/such-model"\. Available: m\/one, m\/two, m\/three/,
      ],
      [{ content: 'q', models: ['m/one'] }, /names one model/],
      [{ content: 'q', models: ['m/one', 'm/two', 'm/three', 'm/one'] }, /names 4 models/],
      [{ content: 'q', models: ['m/two', 'm/two'] }, /"m\/two" twice/],
      [{ content: 'q', model: 'm/one', models: ['m/two', 'm/three'] }, /not both/],
    ];
    for (const [input, message] of cases) {
      for (const conversationId of [null, existing.conversation.id]) {
        const error = await refusalOf(send(owner, { ...input, conversationId, clientMessageId: randomUUID() }));
        expect(error).toBeInstanceOf(BadUserInputError);
        expect(error.message).toMatch(message);
        expect(error.details).toMatchObject({ field: 'models' });
      }
    }
    expect(await stored()).toEqual(before);
  });

  it('counts every compared reply against the replies in flight, and refuses while the question’s parent is in flight', async () => {
    const owner = randomUUID();
    const sent = await send(owner, { content: 'Three at once', models: ['m/one', 'm/two', 'm/three'] });
    const before = await stored();
    // 3 in flight + 3 > 5.
    const limited = await refusalOf(send(owner, { content: 'Three more', models: ['m/one', 'm/two', 'm/three'] }));
    expect(limited).toBeInstanceOf(RateLimitedError);
    expect(limited.message).toMatch(
      /You already have 3 replies being generated \(the limit is 5\), and asking 3 models needs room for 3 more/,
    );
    // The reply it would follow is still PENDING: its compared replies could not wait for it.
    const busy = await refusalOf(send(owner, { content: 'Two more', models: ['m/one', 'm/two'], conversationId: sent.conversation.id }));
    expect(busy).toBeInstanceOf(ConflictError);
    expect(busy.message).toMatch(/still being generated; wait for it to finish \(or cancel it\) before asking several models/);
    expect(await stored()).toEqual(before);
    // Once it is done, the next comparison follows it.
    await complete(sent.assistantMessage.id);
    const next = await send(owner, { content: 'Two more', models: ['m/one', 'm/two'], conversationId: sent.conversation.id });
    expect(next.userMessage.parentId).toBe(sent.assistantMessage.id);
  });

  it('answers a retried clientMessageId with the first request’s replies, in order, writing nothing more', async () => {
    const owner = randomUUID();
    const input = { content: 'Once', models: ['m/three', 'm/one'], clientMessageId: 'compare-once' };
    const [a, b] = await Promise.all([send(owner, input), send(owner, input)]);
    const again = await send(owner, input);
    for (const retried of [b, again]) {
      expect(retried.userMessage.id).toBe(a.userMessage.id);
      expect(retried.assistantMessage.id).toBe(a.assistantMessages[0]!.id);
      expect(retried.assistantMessages.map((m) => [m.id, m.requestedModel])).toEqual(
        a.assistantMessages.map((m) => [m.id, m.requestedModel]),
      );
    }
    expect(a.assistantMessages.map((m) => m.requestedModel)).toEqual(['m/three', 'm/one']);
    expect(await outboxOf(a.conversation.id)).toHaveLength(2);
  });
});
