import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import {
  type AnyErrorCode,
  allErrorCodes,
  BadUserInputError,
  ContentBlockedError,
  ErrorCode,
  ForbiddenError,
  fromGraphQLError,
  fromOpenAIError,
  graphQLErrorBody,
  httpStatusFor,
  InternalServerError,
  openAIErrorForStatus,
  PayloadTooLargeError,
  ParleyError,
  parleyErrorFor,
  OverloadedError,
  ProtocolErrorCode,
  RateLimitedError,
  restErrorBody,
  restErrorFromGraphQL,
  toGraphQLErrorShape,
  toHttpError,
  toOpenAIError,
  toRequestError,
  toRestError,
  UnauthenticatedError,
  UpstreamUnavailableError,
} from '../src';

/**
 * What a client sees of each code, written out by hand (not read back from
 * the table): status of a refused request, REST status, retriable, the
 * services' plain HTTP `error`, OpenAI's status/type/code, and the code the
 * chat worker gets back when models answers with that OpenAI error.
 */
const expected: Record<
  AnyErrorCode,
  { status: number; rest: number; retriable: boolean; http: string; openai: [number, string, string | null]; backFromOpenAI: ErrorCode }
> = {
  UNAUTHENTICATED: {
    status: 401,
    rest: 401,
    retriable: false,
    http: 'unauthenticated',
    openai: [401, 'authentication_error', 'invalid_api_key'],
    backFromOpenAI: 'INTERNAL_SERVER_ERROR',
  },
  FORBIDDEN: {
    status: 403,
    rest: 403,
    retriable: false,
    http: 'forbidden',
    openai: [403, 'permission_error', null],
    backFromOpenAI: 'INTERNAL_SERVER_ERROR',
  },
  BAD_USER_INPUT: {
    status: 400,
    rest: 400,
    retriable: false,
    http: 'bad_user_input',
    openai: [400, 'invalid_request_error', 'invalid_value'],
    backFromOpenAI: 'BAD_USER_INPUT',
  },
  NOT_FOUND: {
    status: 404,
    rest: 404,
    retriable: false,
    http: 'not_found',
    openai: [404, 'invalid_request_error', 'not_found'],
    backFromOpenAI: 'BAD_USER_INPUT',
  },
  CONFLICT: {
    status: 409,
    rest: 409,
    retriable: false,
    http: 'conflict',
    openai: [409, 'invalid_request_error', 'conflict'],
    backFromOpenAI: 'INTERNAL_SERVER_ERROR',
  },
  RATE_LIMITED: {
    status: 429,
    rest: 429,
    retriable: true,
    http: 'rate_limited',
    openai: [429, 'rate_limit_error', 'rate_limit_exceeded'],
    backFromOpenAI: 'RATE_LIMITED',
  },
  BUDGET_EXCEEDED: {
    status: 402,
    rest: 402,
    retriable: false,
    http: 'budget_exceeded',
    openai: [429, 'insufficient_quota', 'budget_exceeded'],
    backFromOpenAI: 'BUDGET_EXCEEDED',
  },
  CONTENT_BLOCKED: {
    status: 422,
    rest: 422,
    retriable: false,
    http: 'content_blocked',
    openai: [400, 'invalid_request_error', 'content_blocked'],
    backFromOpenAI: 'CONTENT_BLOCKED',
  },
  UPSTREAM_UNAVAILABLE: {
    status: 503,
    rest: 503,
    retriable: true,
    http: 'upstream_unavailable',
    openai: [503, 'api_error', 'upstream_unavailable'],
    backFromOpenAI: 'UPSTREAM_UNAVAILABLE',
  },
  OVERLOADED: {
    status: 503,
    rest: 503,
    retriable: true,
    http: 'overloaded',
    openai: [503, 'server_error', 'overloaded'],
    backFromOpenAI: 'OVERLOADED',
  },
  INTERNAL_SERVER_ERROR: {
    status: 500,
    rest: 500,
    retriable: false,
    http: 'internal',
    openai: [500, 'api_error', null],
    backFromOpenAI: 'UPSTREAM_UNAVAILABLE',
  },
  BAD_REQUEST: {
    status: 400,
    rest: 500,
    retriable: false,
    http: 'bad_request',
    openai: [400, 'invalid_request_error', null],
    backFromOpenAI: 'BAD_USER_INPUT',
  },
  GRAPHQL_PARSE_FAILED: {
    status: 400,
    rest: 500,
    retriable: false,
    http: 'graphql_parse_failed',
    openai: [400, 'invalid_request_error', null],
    backFromOpenAI: 'BAD_USER_INPUT',
  },
  GRAPHQL_VALIDATION_FAILED: {
    status: 400,
    rest: 500,
    retriable: false,
    http: 'graphql_validation_failed',
    openai: [400, 'invalid_request_error', null],
    backFromOpenAI: 'BAD_USER_INPUT',
  },
  PERSISTED_QUERY_NOT_FOUND: {
    status: 200,
    rest: 500,
    retriable: false,
    http: 'persisted_query_not_found',
    openai: [400, 'invalid_request_error', null],
    backFromOpenAI: 'BAD_USER_INPUT',
  },
  PERSISTED_QUERY_NOT_SUPPORTED: {
    status: 200,
    rest: 500,
    retriable: false,
    http: 'persisted_query_not_supported',
    openai: [400, 'invalid_request_error', null],
    backFromOpenAI: 'BAD_USER_INPUT',
  },
  OPERATION_RESOLUTION_FAILURE: {
    status: 400,
    rest: 500,
    retriable: false,
    http: 'operation_resolution_failure',
    openai: [400, 'invalid_request_error', null],
    backFromOpenAI: 'BAD_USER_INPUT',
  },
  METHOD_NOT_ALLOWED: {
    status: 405,
    rest: 405,
    retriable: false,
    http: 'method_not_allowed',
    openai: [405, 'invalid_request_error', null],
    backFromOpenAI: 'INTERNAL_SERVER_ERROR',
  },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    rest: 413,
    retriable: false,
    http: 'payload_too_large',
    openai: [413, 'invalid_request_error', 'request_too_large'],
    backFromOpenAI: 'INTERNAL_SERVER_ERROR',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    rest: 415,
    retriable: false,
    http: 'unsupported_media_type',
    openai: [415, 'invalid_request_error', null],
    backFromOpenAI: 'INTERNAL_SERVER_ERROR',
  },
  REQUEST_TIMEOUT: {
    status: 408,
    rest: 408,
    retriable: true,
    http: 'request_timeout',
    openai: [408, 'invalid_request_error', 'request_timeout'],
    backFromOpenAI: 'INTERNAL_SERVER_ERROR',
  },
};

describe('every code through every dialect', () => {
  it('lists every code once: the public ErrorCode values and the protocol ones', () => {
    expect([...allErrorCodes].sort()).toEqual(Object.keys(expected).sort());
    expect(new Set(allErrorCodes).size).toBe(Object.keys(ErrorCode).length + Object.keys(ProtocolErrorCode).length);
  });

  it.each(allErrorCodes)('%s', (code) => {
    const want = expected[code];
    const error = parleyErrorFor(code, 'What went wrong, for a person.', { hint: 'public detail' });
    expect(error).toBeInstanceOf(ParleyError);
    expect(error.code).toBe(code);
    expect(error.retriable).toBe(want.retriable);
    expect(httpStatusFor(code)).toBe(want.status);

    // GraphQL: the formatted error, a refusal before execution, and a body sent outside Apollo.
    const wrapped = new GraphQLError(error.message, { originalError: error, path: ['field'] });
    const shape = toGraphQLErrorShape(wrapped.toJSON(), wrapped);
    expect(shape).toEqual({ message: 'What went wrong, for a person.', path: ['field'], extensions: { code, hint: 'public detail' } });
    expect(toRequestError(error).extensions).toEqual({ code, hint: 'public detail', http: { status: want.status } });
    expect(graphQLErrorBody(error)).toEqual({ errors: [{ message: error.message, extensions: { code, hint: 'public detail' } }] });
    // ...and back: the graph's error is the same ParleyError again.
    const back = fromGraphQLError(shape);
    expect(back).toBeInstanceOf(error.constructor);
    expect({ code: back.code, message: back.message, details: back.details }).toEqual({
      code,
      message: error.message,
      details: error.details,
    });

    // REST, from the error itself and relayed from the graph.
    const rest = toRestError(error);
    expect(rest.status).toBe(want.rest);
    expect(restErrorBody(rest)).toEqual({ error: { code, message: error.message, hint: 'public detail' } });
    expect(restErrorFromGraphQL(shape)).toEqual(rest);

    // A service's own HTTP routes.
    expect(toHttpError(error)).toEqual({ status: want.status, body: { error: want.http, message: error.message, hint: 'public detail' } });

    // OpenAI, and what a caller of models makes of that answer.
    const [status, type, openaiCode] = want.openai;
    const openai = toOpenAIError(error);
    expect(openai).toEqual({ status, body: { error: { message: error.message, type, param: null, code: openaiCode } } });
    const seen = fromOpenAIError({ status: openai.status, error: openai.body.error });
    expect({ code: seen.code, message: seen.message }).toEqual({ code: want.backFromOpenAI, message: error.message });
  });
});

describe('details that the dialects read', () => {
  it('a rate limit carries retryAfterSeconds, and over REST a Retry-After of whole seconds', () => {
    const error = new RateLimitedError('Slow down.', 2.2);
    expect(error.details).toEqual({ retryAfterSeconds: 2.2 });
    expect(toRestError(error).headers).toEqual({ 'retry-after': '3' });
    expect(toRestError(new RateLimitedError('Slow down.')).headers).toEqual({});
    expect(toRestError(fromGraphQLError({ message: 'm', extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 0.2 } })).headers).toEqual({
      'retry-after': '1',
    });
  });

  it('an overloaded service says when to come back, and over REST as a Retry-After too', () => {
    const error = new OverloadedError('Busy.', 1);
    expect(error.details).toEqual({ retryAfterSeconds: 1 });
    expect(error.retriable).toBe(true);
    expect(toRestError(error).headers).toEqual({ 'retry-after': '1' });
    expect(toRestError(fromGraphQLError({ message: 'm', extensions: { code: 'OVERLOADED', retryAfterSeconds: 2 } })).headers).toEqual({
      'retry-after': '2',
    });
  });

  it('UNAUTHENTICATED over REST names the Bearer scheme; nothing else adds headers', () => {
    expect(toRestError(new UnauthenticatedError('Sign in.')).headers).toEqual({ 'www-authenticate': 'Bearer' });
    for (const code of allErrorCodes.filter((c) => c !== 'UNAUTHENTICATED' && c !== 'RATE_LIMITED' && c !== 'OVERLOADED'))
      expect(toRestError(parleyErrorFor(code, 'm', { retryAfterSeconds: 3 })).headers).toEqual({});
  });

  it('keeps transport extensions out of REST bodies and out of rebuilt errors', () => {
    const relayed = fromGraphQLError({
      message: 'Your message was not sent.',
      extensions: { code: 'CONTENT_BLOCKED', category: 'block_list', serviceName: 'chat', http: { status: 422 }, stacktrace: ['x'] },
    });
    expect(relayed).toBeInstanceOf(ContentBlockedError);
    expect(relayed.details).toEqual({ category: 'block_list' });
  });

  it('treats a graph error without a code, or with one outside the table, as a failure of ours', () => {
    expect(fromGraphQLError({ message: 'boom' })).toBeInstanceOf(InternalServerError);
    expect(restErrorFromGraphQL({ message: 'boom', extensions: { code: 'SOMETHING_ELSE' } })).toMatchObject({
      status: 500,
      code: 'INTERNAL_SERVER_ERROR',
      message: 'boom',
    });
  });

  it('OpenAI: `field` is the param, a `code` detail is a finer OpenAI code (or none), and a bad model is model_not_found', () => {
    expect(toOpenAIError(new BadUserInputError('Unknown model.', { field: 'model' })).body.error).toMatchObject({
      param: 'model',
      code: 'model_not_found',
    });
    expect(
      toOpenAIError(new BadUserInputError('Too long.', { field: 'messages', code: 'context_length_exceeded' })).body.error,
    ).toMatchObject({ param: 'messages', code: 'context_length_exceeded' });
    expect(toOpenAIError(new ForbiddenError('No scope.', { code: 'insufficient_scope' })).body.error.code).toBe('insufficient_scope');
    expect(toOpenAIError(new PayloadTooLargeError('Too big.', { code: null })).body.error.code).toBeNull();
    // A finer OpenAI code is OpenAI's alone.
    expect(toRestError(new ForbiddenError('No scope.', { code: 'insufficient_scope' })).details).toEqual({});
    expect(toGraphQLErrorShape({ message: 'x' }, new ForbiddenError('No scope.', { code: 'insufficient_scope' })).extensions).toEqual({
      code: 'FORBIDDEN',
    });
  });

  it('OpenAI: an answer without OpenAI’s shape gets a type from its status alone', () => {
    expect(openAIErrorForStatus(500, 'Internal server error')).toEqual({
      status: 500,
      body: { error: { message: 'Internal server error', type: 'api_error', param: null, code: null } },
    });
    expect(openAIErrorForStatus(404, 'No route').body.error.type).toBe('invalid_request_error');
  });
});

/** The mapping the chat worker applies to the models service's answers (subgraphs/chat/src/worker/generation.ts `classify`, which calls it). */
describe('fromOpenAIError: a models refusal as the chat worker reports it', () => {
  const apiError = (status: number | undefined, error: unknown, message = `${status} status code (no body)`) => ({
    status,
    error,
    message,
  });
  const seen = (answer: ReturnType<typeof apiError>) => {
    const error = fromOpenAIError(answer);
    return { code: error.code, message: error.message, retriable: error.retriable };
  };

  it('keeps a spent budget and a moderation refusal by their OpenAI code, whatever the status', () => {
    expect(seen(apiError(429, { message: 'Budget spent.', type: 'insufficient_quota', code: 'budget_exceeded' }))).toEqual({
      code: 'BUDGET_EXCEEDED',
      message: 'Budget spent.',
      retriable: false,
    });
    expect(seen(apiError(400, { message: 'Blocked.', code: 'content_blocked' }))).toEqual({
      code: 'CONTENT_BLOCKED',
      message: 'Blocked.',
      retriable: false,
    });
    // Sent mid-stream, with no status.
    expect(seen(apiError(undefined, { message: 'Blocked.', code: 'content_blocked' }))).toMatchObject({ code: 'CONTENT_BLOCKED' });
  });

  it('keeps an overloaded service by its OpenAI code, so the caller knows to back off rather than that something is down', () => {
    expect(seen(apiError(503, { message: 'Busy.', type: 'server_error', code: 'overloaded' }))).toEqual({
      code: 'OVERLOADED',
      message: 'Busy.',
      retriable: true,
    });
  });

  it('retries what may pass later: 429 RATE_LIMITED and 5xx UPSTREAM_UNAVAILABLE', () => {
    expect(seen(apiError(429, { message: 'Slow down.', code: 'rate_limit_exceeded' }))).toEqual({
      code: 'RATE_LIMITED',
      message: 'Slow down.',
      retriable: true,
    });
    for (const status of [500, 502, 503, 504])
      expect(seen(apiError(status, { message: 'Down.' }))).toEqual({ code: 'UPSTREAM_UNAVAILABLE', message: 'Down.', retriable: true });
  });

  it('reports 400 and 404 as the user’s input, and anything else as a failure of ours', () => {
    expect(seen(apiError(400, { message: 'Too long.', code: 'context_length_exceeded' }))).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(seen(apiError(404, { message: 'No model.', code: 'model_not_found' }))).toMatchObject({ code: 'BAD_USER_INPUT' });
    for (const status of [401, 403, 409, 413, undefined])
      expect(seen(apiError(status, { message: 'x', code: 'upstream_error' }))).toEqual({
        code: 'INTERNAL_SERVER_ERROR',
        message: 'x',
        retriable: false,
      });
  });

  it('uses the SDK’s own message when the body has none', () => {
    expect(seen(apiError(502, undefined, '502 status code (no body)'))).toEqual({
      code: 'UPSTREAM_UNAVAILABLE',
      message: '502 status code (no body)',
      retriable: true,
    });
  });

  it('rebuilds errors a dialect can also send: UpstreamUnavailableError is retriable by its code', () => {
    expect(new UpstreamUnavailableError('x').retriable).toBe(true);
    expect(new ContentBlockedError('x', 'violence').details).toEqual({ category: 'violence' });
    // Each class names its code statically (jose style), and its instances by their class.
    expect([UnauthenticatedError.code, PayloadTooLargeError.code]).toEqual(['UNAUTHENTICATED', 'PAYLOAD_TOO_LARGE']);
    expect(new UnauthenticatedError('x').name).toBe('UnauthenticatedError');
  });
});
