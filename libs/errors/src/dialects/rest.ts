import type { GraphQLError, GraphQLFormattedError } from 'graphql';
import { ErrorCode, errorFormats } from '../codes';
import type { ParleyError } from '../parley-error';
import { retryAfterSecondsOf } from '../retry-after';
import { fromGraphQLError, publicDetails } from './graphql';

/** The REST API's error body, also what a Server-Sent Events stream sends in its `error` event. */
export interface RestErrorBody {
  error: { code: string; message: string } & Record<string, unknown>;
}

/**
 * A refusal as the REST API answers it: the status, the headers the code
 * calls for, and `{ error: { code, message, ...details } }`. The code is the
 * graph's own `extensions.code`, so a client branches on the same codes over
 * REST as over GraphQL.
 */
export interface RestError {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly details: Readonly<Record<string, unknown>>;
  readonly headers: Readonly<Record<string, string>>;
}

export function toRestError(error: ParleyError): RestError {
  const details = publicDetails(error.details);
  const headers: Record<string, string> = {};
  const retryAfter = retryAfterSecondsOf(error.code, details);
  if (retryAfter !== null) headers['retry-after'] = String(retryAfter);
  // RFC 6750: a bearer-protected resource names the scheme it wants.
  if (error.code === ErrorCode.UNAUTHENTICATED) headers['www-authenticate'] = 'Bearer';
  return { status: errorFormats[error.code].rest, code: error.code, message: error.message, details, headers };
}

export function restErrorBody(error: RestError): RestErrorBody {
  return { error: { code: error.code, message: error.message, ...error.details } };
}

/** A GraphQL error of an operation run for a route, with the status its code has there. */
export function restErrorFromGraphQL(error: GraphQLFormattedError | GraphQLError): RestError {
  return toRestError(fromGraphQLError(error));
}
