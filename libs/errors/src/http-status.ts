import { GraphQLError } from 'graphql';
import { type ParleyError, UnreachableCaseError } from './domain-errors';
import { ErrorCode } from './error-codes';

/**
 * The HTTP status for a refusal that happens before execution (the whole
 * request is refused). Errors inside execution keep status 200, as the
 * GraphQL-over-HTTP spec asks for application/json responses.
 */
export function httpStatusFor(code: ErrorCode): number {
  switch (code) {
    case ErrorCode.UNAUTHENTICATED:
      return 401;
    case ErrorCode.FORBIDDEN:
      return 403;
    case ErrorCode.BAD_USER_INPUT:
      return 400;
    case ErrorCode.NOT_FOUND:
      return 404;
    case ErrorCode.CONFLICT:
      return 409;
    case ErrorCode.RATE_LIMITED:
      return 429;
    case ErrorCode.BUDGET_EXCEEDED:
      return 402;
    case ErrorCode.CONTENT_BLOCKED:
      return 422;
    case ErrorCode.UPSTREAM_UNAVAILABLE:
      return 503;
    case ErrorCode.INTERNAL_SERVER_ERROR:
      return 500;
    default:
      throw new UnreachableCaseError(code);
  }
}

/** A ParleyError raised before execution (e.g. in the context function), as Apollo Server expects it. */
export function toRequestError(error: ParleyError): GraphQLError {
  return new GraphQLError(error.message, {
    extensions: { ...error.details, code: error.code, http: { status: httpStatusFor(error.code) } },
    originalError: error,
  });
}
