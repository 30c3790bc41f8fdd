import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInMemoryMessageStreamLog } from '@parley/message-stream';
import { captureLogs } from '@parley/testing';
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
 * query answers `answer` and is recorded.
 */
async function streamOf(query: string, answer: FormattedExecutionResult) {
  const log = createInMemoryMessageStreamLog();
  const asked: GatewayOperation[] = [];
  const runOperation: RunOperation = async (operation) => {
    if (operation.operationName !== 'MessageStreamCompletedMessage') {
      return { data: { message: { id: messageId, role: 'ASSISTANT', status: 'STREAMING', lastSeq: null, failure: null } } };
    }
    asked.push(operation);
    return answer;
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
      fields: { messageStream: messageStreamField(createMessageStreamSubscription({ messageStreams: log, runOperation })) },
      maxDepth: 10,
      validated: new WeakMap(),
    },
  );
  if (Array.isArray(args)) throw new Error(args.map((e) => e.message).join('; '));
  const stream = (await subscribe(args)) as AsyncIterableIterator<FormattedExecutionResult>;
  await log.append([completed(messageId, 1)]);
  const { value } = await stream.next();
  expect(await stream.next()).toEqual({ done: true, value: undefined });
  return { payload: JSON.parse(JSON.stringify(value)) as FormattedExecutionResult<Record<string, any>>, asked };
}

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

  it("reports the inner query's errors at the subscriber's paths, with their codes", async () => {
    const { payload } = await streamOf(
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
  });

  it('reports a subgraph that could not be reached as that, not as a missing message', async () => {
    // Apollo Gateway nulls the field and reports a failed fetch without a path.
    const { payload } = await streamOf(
      `subscription($id: ID!) { messageStream(messageId: $id) { seq ... on MessageCompleted { reply: message { text: content } } } }`,
      {
        data: { reply: null },
        errors: [{ message: 'The chat service could not be reached.', extensions: { code: 'UPSTREAM_UNAVAILABLE' } }],
      },
    );
    expect(payload.errors).toEqual([
      expect.objectContaining({
        message: 'The chat service could not be reached.',
        path: ['messageStream', 'reply'],
        extensions: { code: 'UPSTREAM_UNAVAILABLE' },
      }),
    ]);
  });

  it('fetches nothing when the subscriber selects no message', async () => {
    const { payload, asked } = await streamOf(`subscription($id: ID!) { messageStream(messageId: $id) { seq messageId } }`, {});
    expect(asked).toEqual([]);
    expect(payload).toEqual({ data: { messageStream: { seq: 1, messageId } } });
  });
});
