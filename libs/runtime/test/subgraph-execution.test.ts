import { UnauthenticatedError, NotFoundError } from '@parley/errors';
import { buildSchema } from 'graphql';
import { describe, expect, it, vi } from 'vitest';
import { createSubgraphExecution } from '../src/subgraph-execution';

const schema = buildSchema(`
  type Query { greeting(name: String!): String!  missing: String  broken: String }
`);
const root = {
  greeting: ({ name }: { name: string }) => `hello ${name}`,
  missing: () => {
    throw new NotFoundError('No such thing.');
  },
  broken: () => {
    throw new Error('a bug: connection string postgres://secret@db');
  },
};
// graphql-js's default resolver reads the field from the root value; the subgraph's resolvers come from its schema.
for (const [name, resolve] of Object.entries(root))
  schema.getQueryType()!.getFields()[name]!.resolve = (_s, args) => resolve(args as never);

const run = async (request: unknown, context: () => Promise<object> = async () => ({})) => {
  const onUnexpected = vi.fn();
  const answer = await createSubgraphExecution({ schema, onUnexpected }).run(request, context);
  return { status: answer.status, body: JSON.parse(answer.body) as { data?: any; errors?: any[] }, onUnexpected };
};

describe('a subgraph executing GraphQL without Apollo Server', () => {
  it('answers a query with its data and variables', async () => {
    const { status, body } = await run({ query: 'query G($n: String!) { greeting(name: $n) }', variables: { n: 'Ada' } });
    expect(status).toBe(200);
    expect(body).toEqual({ data: { greeting: 'hello Ada' } });
  });

  it.each([
    ['a syntax error', { query: '{ greeting(' }, 'GRAPHQL_PARSE_FAILED'],
    ['an unknown field', { query: '{ nope }' }, 'GRAPHQL_VALIDATION_FAILED'],
    ['no query', { variables: {} }, 'BAD_REQUEST'],
    ['an unknown operation name', { query: 'query A { missing }', operationName: 'B' }, 'OPERATION_RESOLUTION_FAILURE'],
  ])('refuses %s with 400 and %s, running nothing', async (_case, request, code) => {
    const context = vi.fn(async () => ({}));
    const { status, body } = await run(request, context);
    expect(status).toBe(400);
    expect(body.errors?.[0]?.extensions?.code).toBe(code);
    expect(body.errors?.[0]?.message).toEqual(expect.any(String));
    expect(body.data).toBeUndefined();
    expect(context).not.toHaveBeenCalled();
  });

  it('refuses variables that do not fit the operation with 400 and BAD_USER_INPUT, running no resolver', async () => {
    const { status, body } = await run({ query: 'query G($n: String!) { greeting(name: $n) }', variables: { n: 3 } });
    expect(status).toBe(400);
    expect(body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(body.errors?.[0]?.message).toContain('$n');
    expect(body.data).toBeUndefined();
  });

  it("answers a resolver's ParleyError with its code and message, beside the data that did resolve", async () => {
    const { status, body } = await run({ query: '{ greeting(name: "x") missing }' });
    expect(status).toBe(200);
    expect(body.data).toEqual({ greeting: 'hello x', missing: null });
    expect(body.errors).toEqual([
      expect.objectContaining({ message: 'No such thing.', path: ['missing'], extensions: { code: 'NOT_FOUND' } }),
    ]);
  });

  it('hides an unexpected error behind INTERNAL_SERVER_ERROR and reports it', async () => {
    const { body, onUnexpected } = await run({ query: '{ broken }' });
    expect(body.errors?.[0]?.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
    expect(JSON.stringify(body)).not.toContain('secret');
    expect(onUnexpected).toHaveBeenCalledOnce();
  });

  it('refuses the whole request with the status of a ParleyError thrown while building the context', async () => {
    const { status, body } = await run({ query: '{ greeting(name: "x") }' }, async () => {
      throw new UnauthenticatedError('The access token has expired; refresh it.');
    });
    expect(status).toBe(401);
    expect(body).toEqual({ errors: [{ message: 'The access token has expired; refresh it.', extensions: { code: 'UNAUTHENTICATED' } }] });
  });

  it('keeps at most maxCachedDocuments parsed, and still answers the ones it dropped', async () => {
    const execution = createSubgraphExecution({ schema, onUnexpected: () => {}, maxCachedDocuments: 2 });
    for (const name of ['a', 'b', 'c', 'a']) {
      const answer = await execution.run({ query: `{ greeting(name: "${name}") }` }, async () => ({}));
      expect(JSON.parse(answer.body)).toEqual({ data: { greeting: `hello ${name}` } });
    }
  });
});
