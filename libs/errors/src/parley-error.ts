import { type AnyErrorCode, ErrorCode, errorFormats, ProtocolErrorCode } from './codes';

/** What a client is told of a failure we did not expect: its own text may carry internals (SQL, hostnames). */
export const UNEXPECTED_FAILURE_MESSAGE =
  'Internal server error: the request could not be completed. Try again; if it persists, report the request id.';

type Details = Record<string, unknown>;

/**
 * Base of every error that Parley code throws on purpose. The thrower knows
 * nothing of GraphQL, REST or OpenAI: it throws one of these, and a dialect
 * (`dialects/`) turns it into what its client sees, from the one table in
 * `codes.ts`. Each class has its code as a static too (jose style), so
 * `error.code === NotFoundError.code` reads as what it means.
 */
export abstract class ParleyError extends Error {
  abstract readonly code: AnyErrorCode;
  /**
   * Extra public fields, beside the code (`extensions` in GraphQL, the REST
   * body); never secrets. `field` names the offending input; `code`, when a
   * thrower sets it, is a finer OpenAI `error.code` (`model_not_found`, or
   * null for none) and is shown nowhere else.
   */
  readonly details: Details;

  constructor(message: string, details: Details = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.details = details;
  }

  /** True when the same call may succeed if repeated later (kafkajs style); the table's `retriable`. */
  get retriable(): boolean {
    return errorFormats[this.code].retriable;
  }
}

/** The base of the class for one code: its code on the class (jose style) and on every instance. */
function coded<const C extends AnyErrorCode>(code: C) {
  return class extends ParleyError {
    static readonly code: C = code;
    readonly code: C = code;
  };
}

export class UnauthenticatedError extends coded(ErrorCode.UNAUTHENTICATED) {}

export class ForbiddenError extends coded(ErrorCode.FORBIDDEN) {}

/** Bad input; `field` names the offending input path so a client can point at it. */
export class BadUserInputError extends coded(ErrorCode.BAD_USER_INPUT) {
  constructor(message: string, details: { field?: string } & Details = {}) {
    super(message, details);
  }
}

/** Also used for another user's data, so that existence is not revealed. */
export class NotFoundError extends coded(ErrorCode.NOT_FOUND) {}

export class ConflictError extends coded(ErrorCode.CONFLICT) {}

export class RateLimitedError extends coded(ErrorCode.RATE_LIMITED) {
  /** `retryAfterSeconds` becomes a public detail (and REST's Retry-After) when it is known. */
  constructor(message: string, retryAfterSeconds?: number, details: Details = {}) {
    super(message, retryAfterSeconds === undefined ? details : { ...details, retryAfterSeconds });
  }
}

export class BudgetExceededError extends coded(ErrorCode.BUDGET_EXCEEDED) {}

export class ContentBlockedError extends coded(ErrorCode.CONTENT_BLOCKED) {
  /** `category` (what the policy found) becomes a public detail when it is known. */
  constructor(message: string, category?: string, details: Details = {}) {
    super(message, category === undefined ? details : { ...details, category });
  }
}

export class UpstreamUnavailableError extends coded(ErrorCode.UPSTREAM_UNAVAILABLE) {}

/**
 * The service is at capacity and refused the request without starting it (admission control): retriable, and
 * `retryAfterSeconds` (also REST's and the edge's Retry-After) says when to try again.
 */
export class OverloadedError extends coded(ErrorCode.OVERLOADED) {
  constructor(message: string, retryAfterSeconds?: number, details: Details = {}) {
    super(message, retryAfterSeconds === undefined ? details : { ...details, retryAfterSeconds });
  }
}

/**
 * A failure of ours, in words meant for the client (`UNEXPECTED_FAILURE_MESSAGE`,
 * or what another service already told us). Never wrap an unexpected error's
 * own text in one: dialects show this message as it is.
 */
export class InternalServerError extends coded(ErrorCode.INTERNAL_SERVER_ERROR) {}

/** A request that is malformed as a whole (not JSON, a persisted query whose hash does not match). */
export class BadRequestError extends coded(ProtocolErrorCode.BAD_REQUEST) {}

/** The HTTP method is not one the route serves; the sender adds `Allow`. */
export class MethodNotAllowedError extends coded(ProtocolErrorCode.METHOD_NOT_ALLOWED) {}

export class PayloadTooLargeError extends coded(ProtocolErrorCode.PAYLOAD_TOO_LARGE) {}

export class UnsupportedMediaTypeError extends coded(ProtocolErrorCode.UNSUPPORTED_MEDIA_TYPE) {}

/** The request's body did not arrive within the bound (BODY_TIMEOUT_MS); the connection is closed with the answer. */
export class RequestTimeoutError extends coded(ProtocolErrorCode.REQUEST_TIMEOUT) {}

type GraphQLProtocolCode = Exclude<
  ProtocolErrorCode,
  | typeof ProtocolErrorCode.BAD_REQUEST
  | typeof ProtocolErrorCode.METHOD_NOT_ALLOWED
  | typeof ProtocolErrorCode.PAYLOAD_TOO_LARGE
  | typeof ProtocolErrorCode.UNSUPPORTED_MEDIA_TYPE
  | typeof ProtocolErrorCode.REQUEST_TIMEOUT
>;

/**
 * A refusal graphql-js or Apollo Server made (parse, validation, persisted
 * queries), met again outside Apollo: an error of the graph that the REST API
 * relays, or one the gateway raises the way Apollo would.
 */
export class GraphQLProtocolError extends ParleyError {
  constructor(
    readonly code: GraphQLProtocolCode,
    message: string,
    details: Details = {},
  ) {
    super(message, details);
  }
}

/**
 * The ParleyError for a code, as a dialect's inverse rebuilds it (from a
 * GraphQL error, an OpenAI answer): `details` as given, the class the code has.
 */
export function parleyErrorFor(code: AnyErrorCode, message: string, details: Details = {}): ParleyError {
  return builders[code](message, details);
}

type Build = (message: string, details: Details) => ParleyError;
const plain =
  (Class: new (message: string, details: Details) => ParleyError): Build =>
  (message, details) =>
    new Class(message, details);
const graphqlProtocol =
  (code: GraphQLProtocolCode): Build =>
  (message, details) =>
    new GraphQLProtocolError(code, message, details);

const builders: { readonly [C in AnyErrorCode]: Build } = {
  UNAUTHENTICATED: plain(UnauthenticatedError),
  FORBIDDEN: plain(ForbiddenError),
  BAD_USER_INPUT: plain(BadUserInputError),
  NOT_FOUND: plain(NotFoundError),
  CONFLICT: plain(ConflictError),
  // The detail travels as it came (a number or not); only a number is also a Retry-After.
  RATE_LIMITED: (message, details) => new RateLimitedError(message, undefined, details),
  BUDGET_EXCEEDED: plain(BudgetExceededError),
  CONTENT_BLOCKED: (message, details) => new ContentBlockedError(message, undefined, details),
  UPSTREAM_UNAVAILABLE: plain(UpstreamUnavailableError),
  OVERLOADED: (message, details) => new OverloadedError(message, undefined, details),
  INTERNAL_SERVER_ERROR: plain(InternalServerError),
  BAD_REQUEST: plain(BadRequestError),
  METHOD_NOT_ALLOWED: plain(MethodNotAllowedError),
  PAYLOAD_TOO_LARGE: plain(PayloadTooLargeError),
  UNSUPPORTED_MEDIA_TYPE: plain(UnsupportedMediaTypeError),
  REQUEST_TIMEOUT: plain(RequestTimeoutError),
  GRAPHQL_PARSE_FAILED: graphqlProtocol(ProtocolErrorCode.GRAPHQL_PARSE_FAILED),
  GRAPHQL_VALIDATION_FAILED: graphqlProtocol(ProtocolErrorCode.GRAPHQL_VALIDATION_FAILED),
  PERSISTED_QUERY_NOT_FOUND: graphqlProtocol(ProtocolErrorCode.PERSISTED_QUERY_NOT_FOUND),
  PERSISTED_QUERY_NOT_SUPPORTED: graphqlProtocol(ProtocolErrorCode.PERSISTED_QUERY_NOT_SUPPORTED),
  OPERATION_RESOLUTION_FAILURE: graphqlProtocol(ProtocolErrorCode.OPERATION_RESOLUTION_FAILURE),
};

/** Ends an exhaustive switch: the compiler proves it unreachable, runtime reports what slipped through. */
export class UnreachableCaseError extends Error {
  constructor(value: never) {
    super(`Unreachable case: ${JSON.stringify(value)}`);
    this.name = 'UnreachableCaseError';
  }
}
