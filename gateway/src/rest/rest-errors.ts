import type { ServerResponse } from 'node:http';
import {
  ErrorCode,
  fromGraphQLError,
  InternalServerError,
  ParleyError,
  type RestError,
  restErrorBody,
  toRestError,
  UNEXPECTED_FAILURE_MESSAGE,
  unavailableDependency,
} from '@parley/errors';
import { sendJson } from '@parley/runtime';
import { GraphQLError } from 'graphql';

// The REST dialect (status, headers, body for each code) is @parley/errors'; routes throw ParleyErrors.
export { restErrorBody, restErrorFromGraphQL, type RestError } from '@parley/errors';

/**
 * Anything a route threw, as the refusal to answer with; null for an
 * unexpected failure, whose message may carry internals and must not be shown.
 */
export function asRestError(error: unknown): RestError | null {
  // E.g. a bad or expired token refused while the caller's context is built, or a graph error rethrown by the graph caller.
  if (error instanceof ParleyError) return toRestError(error);
  // What the reply's stream reports (errors of the operations it ran, already in their public shape).
  if (error instanceof GraphQLError && typeof error.extensions['code'] === 'string') {
    if (error.extensions['code'] === ErrorCode.INTERNAL_SERVER_ERROR) return null;
    return toRestError(fromGraphQLError(error));
  }
  // E.g. a reply's stream read from Redis while Redis is down: a 503 to retry, not a failure of ours.
  const unavailable = unavailableDependency(error);
  return unavailable ? toRestError(unavailable) : null;
}

export function internalError(requestId: string): RestError {
  return toRestError(new InternalServerError(UNEXPECTED_FAILURE_MESSAGE, { requestId }));
}

/** Sends a refusal; `headers` adds what only the route knows (`Allow` on a 405). */
export function sendRestError(res: ServerResponse, error: RestError, headers: Record<string, string> = {}): void {
  for (const [name, value] of Object.entries({ ...error.headers, ...headers })) res.setHeader(name, value);
  sendJson(res, error.status, restErrorBody(error));
}
