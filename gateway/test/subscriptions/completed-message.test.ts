import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInMemoryMessageStreamLog } from '@parley/message-stream';
import { captureLogs, createManualClock } from '@parley/testing';
import { buildSchema, parse, print, subscribe, type FormattedExecutionResult } from 'graphql';
import { describe, expect, it } from 'vitest';
import type { GatewayContext } from '../../src/gateway-context';
import type { GatewayOperation, RunOperation } from '../../src/operations/gateway-operation';
import { createMessageStreamSubscription, messageStreamField } from '../../src/subscriptions/message-stream-subscription';
import { subscriptionExecutionArgs } from '../../src/subscriptions/subscription-execution';
import { completed } from '@parley/testing/subscriptions';

const apiSchema = buildSchema(readFileSync(resolve(import.meta.dirname, '../../../schema.graphql'), 'utf8'));
const messageId = '7d4c2f0e-0000-4000-8000-000000000001';
const context: GatewayContext = {
  viewer: { userId: 'alice', roles: ['user'], tokenId: 't', sessionId: 's', scopes: null, apiKeyId: null },
  authorization: 'Bearer t',
  requestId: 'r',
  logger: captureLogs('silent').logger,
};

/**
 * The stream over an in-memory log and a stand-in for the gateway's
 * execution: the reply is Alice's and streaming; the completed message's
 * query answers `answer` (or each of `answer` in turn, the last one from then
 * on) and is recorded. Waits between retries pass on a manual clock, moved
 * 100 ms at a time while the stream has not answered.
 */
async function streamOf(query: string, answer: FormattedExecutionResult | FormattedExecutionResult[], { retryBudgetMs = 30_000 } = {}) {
  const log = createInMemoryMessageStreamLog();
  const asked: GatewayOperation[] = [];
  const answers = Array.isArray(answer) ? answer : [answer];
  const clock = createManualClock();
  const runOperation: RunOperation = async (operation) => {
    if (operation.operationName !== 'MessageStreamCompletedMessage') {
      return { data: { message: { id: messageId, role: 'ASSISTANT', status: 'STREAMING', lastSeq: null, failure: null } } };
    }
    asked.push(operation);
    return answers[Math.min(asked.length, answers.length) - 1]!;
  };
  const args = subscriptionExecutionArgs(
    {
      schema: apiSchema,
      document: parse(query),
      variableValues: { id: messageId, first: 2 },
      operationName: undefined,
      contextValue: context,
    },
    {
      fields: {
        messageStream: messageStreamField(
          createMessageStreamSubscription({ messageStreams: log, runOperation, retryBudgetMs, timers: clock, now: clock.millis }),
        ),
      },
      maxDepth: 10,
      validated: new WeakMap(),
    },
  );
  if (Array.isArray(args)) throw new Error(args.map((e) => e.message).join('; '));
  const stream = (await subscribe(args)) as AsyncIterableIterator<FormattedExecutionResult>;
  await log.append([completed(messageId, 1)]);
  const startedAt = clock.millis();
  let answered = false;
  const next = stream.next().finally(() => (answered = true));
  while (!answered) {
    await new Promise((resolve) => setImmediate(resolve));
    clock.advance(100);
  }
  const { value } = await next;
  expect(await stream.next()).toEqual({ done: true, value: undefined });
  return {
    payload: JSON.parse(JSON.stringify(value)) as FormattedExecutionResult<Record<string, any>>,
    asked,
    waitedMs: clock.millis() - startedAt,
  };
}

const UNREACHABLE: FormattedExecutionResult = {
  data: { reply: null },
  errors: [{ message: 'The chat service could not be reached.', extensions: { code: 'UPSTREAM_UNAVAILABLE' } }],
};
const REPLY = `subscription($id: ID!) { messageStream(messageId: $id) { seq ... on MessageCompleted { reply: message { text: content } } } }`;

describe("the completed message, resolved with the subscriber's own selection", () => {
  it('asks one query for every alias of message, with the fragments and variables the selection uses', async () => {
    const { payload, asked } = await streamOf(
      `subscription($id: ID!, $first: Int) {
        messageStream(messageId: $id) {
          ... on MessageCompleted { short: message { text: content } full: message { ...Full } }
        }
      }
      fragment Full on Message { status conversation { messages(first: $first) { edges { node { id } } } } }`,
      {
        data: {
          short: { text: 'Hi', __typename: 'Message' },
          full: { status: 'COMPLETED', conversation: { messages: { edges: [{ node: { id: messageId } }] } }, __typename: 'Message' },
        },
      },
    );
    expect(asked).toHaveLength(1);
    // The id travels as a variable, so every stream of this subscription sends Apollo the same text (planned once).
    expect(asked[0]!.variables).toEqual({ first: 2, parleyCompletedMessageId: messageId });
    const printed = print(asked[0]!.query);
    expect(printed).toContain('short: message(id: $parleyCompletedMessageId)');
    expect(printed).toContain('full: message(id: $parleyCompletedMessageId)');
    expect(printed).toContain('fragment Full on Message');
    expect(printed).toContain('query MessageStreamCompletedMessage($first: Int, $parleyCompletedMessageId: ID!)');
    expect(payload).toEqual({
      data: {
        messageStream: {
          short: { text: 'Hi' },
          full: { status: 'COMPLETED', conversation: { messages: { edges: [{ node: { id: messageId } }] } } },
        },
      },
    });
  });

  it("reports the inner query's errors at the subscriber's paths, with their codes, without waiting when the message is there", async () => {
    const { payload, asked } = await streamOf(
      `subscription($id: ID!) { messageStream(messageId: $id) { seq ... on MessageCompleted { reply: message { text: content cost: usage { costUsd } } } } }`,
      {
        data: { reply: { text: 'Hi', cost: null, __typename: 'Message' } },
        errors: [{ message: 'Usage cannot be read right now.', path: ['reply', 'cost'], extensions: { code: 'UPSTREAM_UNAVAILABLE' } }],
      },
    );
    expect(payload).toEqual({
      data: { messageStream: { seq: 1, reply: { text: 'Hi', cost: null } } },
      errors: [
        expect.objectContaining({
          message: 'Usage cannot be read right now.',
          path: ['messageStream', 'reply', 'cost'],
          extensions: { code: 'UPSTREAM_UNAVAILABLE' },
        }),
      ],
    });
    expect(asked).toHaveLength(1);
  });

  it('fetches the message again while its subgraph is down, and delivers it once the subgraph answers', async () => {
    const { payload, asked } = await streamOf(REPLY, [
      UNREACHABLE,
      UNREACHABLE,
      { data: { reply: { text: 'Hi', __typename: 'Message' } } },
    ]);
    expect(asked).toHaveLength(3);
    expect(payload).toEqual({ data: { messageStream: { seq: 1, reply: { text: 'Hi' } } } });
  });

  it('reports a subgraph that could not be reached as that, not as a missing message, once the retry budget is spent', async () => {
    // Apollo Gateway nulls the field and reports a failed fetch without a path.
    const { payload, asked, waitedMs } = await streamOf(REPLY, UNREACHABLE, { retryBudgetMs: 30_000 });
    expect(payload.errors).toEqual([
      expect.objectContaining({
        message: 'The chat service could not be reached.',
        path: ['messageStream', 'reply'],
        extensions: { code: 'UPSTREAM_UNAVAILABLE' },
      }),
    ]);
    expect(asked.length).toBeGreaterThan(5);
    expect(waitedMs).toBeGreaterThanOrEqual(25_000);
    expect(waitedMs).toBeLessThanOrEqual(30_100);
  });

  it('does not wait for a message that is not there: NOT_FOUND is not retried', async () => {
    const { payload, asked } = await streamOf(REPLY, {
      data: { reply: null },
      errors: [{ message: 'No message of yours.', path: ['reply'], extensions: { code: 'NOT_FOUND' } }],
    });
    expect(asked).toHaveLength(1);
    expect(payload.errors?.[0]?.extensions).toEqual({ code: 'NOT_FOUND' });
  });

  it('fetches nothing when the subscriber selects no message', async () => {
    const { payload, asked } = await streamOf(`subscription($id: ID!) { messageStream(messageId: $id) { seq messageId } }`, {});
    expect(asked).toEqual([]);
    expect(payload).toEqual({ data: { messageStream: { seq: 1, messageId } } });
  });
});
