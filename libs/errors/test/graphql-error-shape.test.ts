import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { BadUserInputError, NotFoundError, RateLimitedError, httpStatusFor, toGraphQLErrorShape, ErrorCode } from '../src';

const formatted = (error: GraphQLError) => error.toJSON();

describe('mapping errors to the public GraphQL shape', () => {
  it('gives a domain error its code, its message and its public details', () => {
    const original = new RateLimitedError('Too many login attempts; try again in 30 seconds.', 30);
    const wrapped = new GraphQLError(original.message, { originalError: original, path: ['login'] });
    expect(toGraphQLErrorShape(formatted(wrapped), wrapped)).toEqual({
      message: 'Too many login attempts; try again in 30 seconds.',
      path: ['login'],
      extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 30 },
    });
  });

  it('names the offending field of bad input', () => {
    const original = new BadUserInputError('"first" must be between 1 and 100.', { field: 'first' });
    const wrapped = new GraphQLError(original.message, { originalError: original });
    expect(toGraphQLErrorShape(formatted(wrapped), wrapped).extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'first' });
  });

  it('hides the text of unexpected errors and reports them', () => {
    const reported: unknown[] = [];
    const original = new Error('connect ECONNREFUSED 10.0.0.5:5432 password=secret');
    const wrapped = new GraphQLError(original.message, { originalError: original });
    const shape = toGraphQLErrorShape(formatted(wrapped), wrapped, (e) => reported.push(e));
    expect(shape.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
    expect(shape.message).not.toMatch(/ECONNREFUSED|secret/);
    expect(reported).toEqual([original]);
  });

  it('keeps codes that graphql-js and Apollo already gave, without stack traces', () => {
    const error = new GraphQLError('Syntax Error: Expected Name', { extensions: { code: 'GRAPHQL_PARSE_FAILED', stacktrace: ['x'] } });
    expect(toGraphQLErrorShape(formatted(error), error).extensions).toEqual({ code: 'GRAPHQL_PARSE_FAILED' });
  });

  it('has an HTTP status for every public code', () => {
    for (const code of Object.values(ErrorCode)) expect(httpStatusFor(code)).toBeGreaterThanOrEqual(400);
    expect(new NotFoundError('x').code).toBe('NOT_FOUND');
  });
});
