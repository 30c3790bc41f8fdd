/**
 * The public `extensions.code` values a client can branch on: what domain code
 * means by a refusal. They are part of the API contract (docs/api-contract.graphql):
 * add codes, never rename one.
 */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  RATE_LIMITED: 'RATE_LIMITED',
  BUDGET_EXCEEDED: 'BUDGET_EXCEEDED',
  CONTENT_BLOCKED: 'CONTENT_BLOCKED',
  UPSTREAM_UNAVAILABLE: 'UPSTREAM_UNAVAILABLE',
  OVERLOADED: 'OVERLOADED',
  CONFLICT: 'CONFLICT',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * Codes of the protocols rather than the domain, also sent to clients: those
 * graphql-js and Apollo Server give (Apollo's `ApolloServerErrorCode`), and
 * those of HTTP that the REST API, the edge and the services' HTTP shell answer
 * with. Kept apart from `ErrorCode` because they mean "the request itself was
 * wrong", so the REST API, whose operations the gateway writes, treats the
 * GraphQL ones as a failure of its own.
 */
export const ProtocolErrorCode = {
  BAD_REQUEST: 'BAD_REQUEST',
  GRAPHQL_PARSE_FAILED: 'GRAPHQL_PARSE_FAILED',
  GRAPHQL_VALIDATION_FAILED: 'GRAPHQL_VALIDATION_FAILED',
  PERSISTED_QUERY_NOT_FOUND: 'PERSISTED_QUERY_NOT_FOUND',
  PERSISTED_QUERY_NOT_SUPPORTED: 'PERSISTED_QUERY_NOT_SUPPORTED',
  OPERATION_RESOLUTION_FAILURE: 'OPERATION_RESOLUTION_FAILURE',
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
} as const;

export type ProtocolErrorCode = (typeof ProtocolErrorCode)[keyof typeof ProtocolErrorCode];

/** Every code in the table: what a ParleyError may carry. */
export type AnyErrorCode = ErrorCode | ProtocolErrorCode;

/** How one code reads in each dialect. */
export interface ErrorFormat {
  /**
   * HTTP status of a request refused as a whole with this code: a GraphQL
   * request refused before execution, a REST answer, an edge refusal. (Errors
   * inside GraphQL execution keep status 200, as GraphQL over HTTP asks.)
   */
  readonly status: number;
  /** The REST API's status: `status`, except for GraphQL's own codes, which there mean an operation of the gateway's is wrong (500). */
  readonly rest: number;
  /** True when the same call may succeed if repeated later (kafkajs style). */
  readonly retriable: boolean;
  /** `error` of the plain JSON answers of a service's own HTTP routes (`{ error, message }`). */
  readonly http: string;
  /** OpenAI's spelling, for /v1: status, `error.type` and `error.code` as the official SDKs understand them. */
  readonly openai: { readonly status: number; readonly type: string; readonly code: string | null };
}

const invalidRequest = (status: number, code: string | null = null) => ({ status, type: 'invalid_request_error', code });
/** graphql-js's and Apollo's codes: a client of the graph sees them; for REST and OpenAI they can only be a mistake of ours. */
const graphqlProtocol = (status: number, http: string): ErrorFormat => ({
  status,
  rest: 500,
  retriable: false,
  http,
  openai: invalidRequest(400),
});

/**
 * The one table from each code to what a client sees. Every dialect
 * (`dialects/`) reads its column from here; nothing else maps codes.
 */
export const errorFormats: { readonly [C in AnyErrorCode]: ErrorFormat } = {
  UNAUTHENTICATED: {
    status: 401,
    rest: 401,
    retriable: false,
    http: 'unauthenticated',
    openai: { status: 401, type: 'authentication_error', code: 'invalid_api_key' },
  },
  FORBIDDEN: { status: 403, rest: 403, retriable: false, http: 'forbidden', openai: { status: 403, type: 'permission_error', code: null } },
  BAD_USER_INPUT: { status: 400, rest: 400, retriable: false, http: 'bad_user_input', openai: invalidRequest(400, 'invalid_value') },
  NOT_FOUND: { status: 404, rest: 404, retriable: false, http: 'not_found', openai: invalidRequest(404, 'not_found') },
  CONFLICT: { status: 409, rest: 409, retriable: false, http: 'conflict', openai: invalidRequest(409, 'conflict') },
  // OpenAI documents rate limits as `type: "rate_limit_error"`, with `code: "rate_limit_exceeded"`.
  RATE_LIMITED: {
    status: 429,
    rest: 429,
    retriable: true,
    http: 'rate_limited',
    openai: { status: 429, type: 'rate_limit_error', code: 'rate_limit_exceeded' },
  },
  // OpenAI answers a spent quota 429 `insufficient_quota`; GraphQL and REST say 402 Payment Required.
  BUDGET_EXCEEDED: {
    status: 402,
    rest: 402,
    retriable: false,
    http: 'budget_exceeded',
    openai: { status: 429, type: 'insufficient_quota', code: 'budget_exceeded' },
  },
  CONTENT_BLOCKED: { status: 422, rest: 422, retriable: false, http: 'content_blocked', openai: invalidRequest(400, 'content_blocked') },
  UPSTREAM_UNAVAILABLE: {
    status: 503,
    rest: 503,
    retriable: true,
    http: 'upstream_unavailable',
    openai: { status: 503, type: 'api_error', code: 'upstream_unavailable' },
  },
  // A service at capacity refused the request before starting it (admission control): nothing ran, so it is safe to
  // send again after Retry-After. OpenAI answers its own overload 503 `server_error` ("The server is overloaded").
  OVERLOADED: {
    status: 503,
    rest: 503,
    retriable: true,
    http: 'overloaded',
    openai: { status: 503, type: 'server_error', code: 'overloaded' },
  },
  INTERNAL_SERVER_ERROR: {
    status: 500,
    rest: 500,
    retriable: false,
    http: 'internal',
    openai: { status: 500, type: 'api_error', code: null },
  },

  BAD_REQUEST: graphqlProtocol(400, 'bad_request'),
  GRAPHQL_PARSE_FAILED: graphqlProtocol(400, 'graphql_parse_failed'),
  GRAPHQL_VALIDATION_FAILED: graphqlProtocol(400, 'graphql_validation_failed'),
  // Apollo answers these 200, so that an automatic-persisted-queries client sends the text next.
  PERSISTED_QUERY_NOT_FOUND: graphqlProtocol(200, 'persisted_query_not_found'),
  PERSISTED_QUERY_NOT_SUPPORTED: graphqlProtocol(200, 'persisted_query_not_supported'),
  OPERATION_RESOLUTION_FAILURE: graphqlProtocol(400, 'operation_resolution_failure'),
  METHOD_NOT_ALLOWED: { status: 405, rest: 405, retriable: false, http: 'method_not_allowed', openai: invalidRequest(405) },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    rest: 413,
    retriable: false,
    http: 'payload_too_large',
    openai: invalidRequest(413, 'request_too_large'),
  },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, rest: 415, retriable: false, http: 'unsupported_media_type', openai: invalidRequest(415) },
  // The request's body did not arrive in time (BODY_TIMEOUT_MS): nothing ran, so sending it again whole may succeed.
  REQUEST_TIMEOUT: {
    status: 408,
    rest: 408,
    retriable: true,
    http: 'request_timeout',
    openai: invalidRequest(408, 'request_timeout'),
  },
};

/** Every code of the table, domain codes first. */
export const allErrorCodes = [...Object.values(ErrorCode), ...Object.values(ProtocolErrorCode)] as readonly AnyErrorCode[];

/** The HTTP status for a refusal of the whole request (the table's `status`). */
export function httpStatusFor(code: AnyErrorCode): number {
  return errorFormats[code].status;
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ErrorCode, value);
}

export function isKnownErrorCode(value: unknown): value is AnyErrorCode {
  return typeof value === 'string' && Object.hasOwn(errorFormats, value);
}
