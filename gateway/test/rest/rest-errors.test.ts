import { ErrorCode, httpStatusFor, NotFoundError, RateLimitedError } from '@parley/errors';
import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { asRestError, restErrorBody, restErrorFromGraphQL } from '../../src/rest/rest-errors';

describe('REST refusals from GraphQL errors', () => {
  it('answers every public code with the HTTP status libs/errors gives it', () => {
    for (const code of Object.values(ErrorCode)) {
      expect({ code, status: restErrorFromGraphQL({ message: 'm', extensions: { code } }).status }).toEqual({
        code,
        status: httpStatusFor(code),
      });
    }
    expect(restErrorFromGraphQL({ message: 'm', extensions: { code: 'CONTENT_BLOCKED' } }).status).toBe(422);
  });

  it("keeps the error's public extensions beside code and message, without the transport's", () => {
    const error = restErrorFromGraphQL({
      message: 'Your message was not sent.',
      path: ['sendMessage'],
      extensions: { code: 'CONTENT_BLOCKED', category: 'block_list', serviceName: 'chat', http: { status: 422 } },
    });
    expect(restErrorBody(error)).toEqual({
      error: { code: 'CONTENT_BLOCKED', message: 'Your message was not sent.', category: 'block_list' },
    });
  });

  it('adds Retry-After to RATE_LIMITED, and WWW-Authenticate to UNAUTHENTICATED', () => {
    expect(asRestError(new RateLimitedError('Slow down.', 2.2))?.headers).toEqual({ 'retry-after': '3' });
    expect(restErrorFromGraphQL({ message: 'Sign in.', extensions: { code: 'UNAUTHENTICATED' } }).headers).toEqual({
      'www-authenticate': 'Bearer',
    });
  });

  it('treats an error without a public code, or an unexpected one, as a failure of ours (500, message not shown)', () => {
    expect(restErrorFromGraphQL({ message: 'Cannot query field "x".', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }).status).toBe(
      500,
    );
    expect(restErrorFromGraphQL({ message: 'boom' }).status).toBe(500);
    expect(asRestError(new Error('connect ECONNREFUSED 10.0.0.1:5432'))).toBeNull();
    expect(asRestError(new GraphQLError('Internal', { extensions: { code: 'INTERNAL_SERVER_ERROR' } }))).toBeNull();
    expect(asRestError(new NotFoundError('No message "x" of yours.'))).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });
});
