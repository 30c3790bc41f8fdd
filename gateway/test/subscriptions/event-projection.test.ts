import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildSchema, execute, parse, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { describe, expect, it } from 'vitest';
import { eventProjection } from '../../src/subscriptions/event-projection';
import { createSubscribe } from '../../src/subscriptions/subscription-execution';

const apiSchema = buildSchema(readFileSync(resolve(import.meta.dirname, '../../../schema.graphql'), 'utf8'));
const messageId = '7d4c2f0e-0000-4000-8000-000000000001';
const delta = { __typename: 'MessageDelta', messageId, seq: 3, delta: 'Hel' };
const failed = { __typename: 'MessageFailed', messageId, seq: 4, reason: 'The model is unavailable.', code: 'UPSTREAM_UNAVAILABLE' };

/** What graphql-js gives for one event, resolved as the gateway's subscription resolvers do (fields by name, types by `__typename`). */
function executed(query: string, event: unknown, variableValues: Record<string, unknown> = {}): ExecutionResult {
  return execute({
    schema: apiSchema,
    document: parse(query),
    variableValues,
    rootValue: event,
    fieldResolver: (source, _args, _context, info) =>
      info.parentType === apiSchema.getSubscriptionType() ? source : (source as Record<string, unknown>)[info.fieldName],
    typeResolver: (value) => (value as { __typename: string }).__typename,
  }) as ExecutionResult;
}

const projected = (query: string, event: unknown) => eventProjection(apiSchema, parse(query))?.(event) ?? null;
/** Key order included: the client sees the JSON. */
const asJson = (result: unknown) => JSON.stringify(result);

describe("answering a subscription's events without graphql-js", () => {
  const documents = {
    'typename and an inline fragment': `subscription { messageStream(messageId: "${messageId}") { __typename ... on MessageDelta { seq delta } } }`,
    'aliases, a named fragment and the interface': `
      fragment Piece on MessageDelta { text: delta seq }
      subscription Follow { reply: messageStream(messageId: "${messageId}") { kind: __typename messageId ...Piece ... on MessageStreamEvent { seq } } }`,
    'the fields of a failure': `subscription { messageStream(messageId: "${messageId}") { __typename seq ... on MessageFailed { reason code } ... on MessageDelta { delta } } }`,
  };

  it.each(Object.entries(documents))('gives exactly what graphql-js gives for a delta and a failure: %s', (_name, query) => {
    for (const event of [delta, failed]) {
      const fast = projected(query, event);
      expect(fast).not.toBeNull();
      expect(asJson(fast)).toBe(asJson(executed(query, event)));
    }
  });

  it('leaves to graphql-js what it does not cover: directives, nested objects, values of another type, errors', () => {
    const withDirective = `subscription ($full: Boolean!) { messageStream(messageId: "${messageId}") { seq delta: __typename ... on MessageDelta @include(if: $full) { delta } } }`;
    expect(projected(withDirective, delta)).toBeNull();
    const completedMessage = `subscription { messageStream(messageId: "${messageId}") { seq ... on MessageCompleted { message { id } } ... on MessageDelta { delta } } }`;
    expect(
      projected(completedMessage, { __typename: 'MessageCompleted', messageId, seq: 9, message: () => ({ id: messageId }) }),
    ).toBeNull();
    // The deltas of the same document are still projected: each concrete type is judged by its own selection.
    expect(asJson(projected(completedMessage, delta))).toBe(asJson(executed(completedMessage, delta)));
    const plain = `subscription { messageStream(messageId: "${messageId}") { seq ... on MessageDelta { delta } } }`;
    expect(projected(plain, { ...delta, seq: '3' })).toBeNull();
    expect(projected(plain, { ...delta, delta: null })).toBeNull(); // graphql-js reports the non-null field
    expect(projected(plain, new Error('the stream failed'))).toBeNull();
  });
});

describe('the gateway’s subscribe', () => {
  it('answers every event as graphql-js would, and stops the source stream as soon as the subscriber leaves', async () => {
    const events = [delta, { ...delta, seq: 4, delta: 'lo' }, failed];
    let returned = false;
    const source: AsyncIterableIterator<unknown> = {
      next: async () => (events.length > 0 ? { value: events.shift(), done: false } : new Promise<never>(() => {})),
      return: async () => {
        returned = true;
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]: () => source,
    };
    const query = `subscription { messageStream(messageId: "${messageId}") { __typename seq ... on MessageDelta { delta } ... on MessageFailed { code } } }`;
    const args: ExecutionArgs = {
      schema: apiSchema,
      document: parse(query),
      subscribeFieldResolver: () => source,
      fieldResolver: (value, _args, _context, info) =>
        info.parentType === apiSchema.getSubscriptionType() ? value : (value as Record<string, unknown>)[info.fieldName],
      typeResolver: (value) => (value as { __typename: string }).__typename,
    };
    const stream = (await createSubscribe()(args)) as AsyncIterableIterator<ExecutionResult>;
    const seen = [];
    for (let i = 0; i < 3; i++) seen.push((await stream.next()).value);
    expect(seen.map(asJson)).toEqual([delta, { ...delta, seq: 4, delta: 'lo' }, failed].map((event) => asJson(executed(query, event))));
    // The source has nothing more for now: leaving must not wait for its next event.
    expect(await stream.return!()).toEqual({ value: undefined, done: true });
    expect(returned).toBe(true);
  });
});
