import type { ServerResponse } from 'node:http';
import { ErrorCode, httpStatusFor, ParleyError } from '@parley/errors';
import { sendJson } from '@parley/runtime';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';

/** Codes of refusals that only HTTP has (the graph never sees such a request). */
export const RestOnlyCode = {
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
} as const;

/**
 * A refusal as the REST API answers it: `{ error: { code, message, ...details } }`
 * with an HTTP status. The code is the graph's own `extensions.code`, so a
 * client branches on the same codes over REST as over GraphQL.
 */
export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'RestError';
  }
}

const publicCodes = new Set<string>(Object.values(ErrorCode));

/** The one code→status mapping (libs/errors); a code it does not know is a failure of ours. */
function statusFor(code: string): number {
  return publicCodes.has(code) ? httpStatusFor(code as ErrorCode) : 500;
}

/** Extensions that are transport, not meaning: Apollo's status hint, and which subgraph answered (the graph is one API). */
const HIDDEN_EXTENSIONS = new Set(['code', 'message', 'http', 'stacktrace', 'serviceName']);

function fromCodeAndExtensions(code: string, message: string, extensions: Record<string, unknown>): RestError {
  const details = Object.fromEntries(Object.entries(extensions).filter(([key]) => !HIDDEN_EXTENSIONS.has(key)));
  const headers: Record<string, string> = {};
  const retryAfter = details['retryAfterSeconds'];
  if (code === ErrorCode.RATE_LIMITED && typeof retryAfter === 'number')
    headers['retry-after'] = String(Math.max(1, Math.ceil(retryAfter)));
  // RFC 6750: a bearer-protected resource names the scheme it wants.
  if (code === ErrorCode.UNAUTHENTICATED) headers['www-authenticate'] = 'Bearer';
  return new RestError(statusFor(code), code, message, details, headers);
}

/** A GraphQL error of an operation run for a route, with the status its code has. */
export function restErrorFromGraphQL(error: GraphQLFormattedError): RestError {
  const code = error.extensions?.['code'];
  return fromCodeAndExtensions(typeof code === 'string' ? code : ErrorCode.INTERNAL_SERVER_ERROR, error.message, error.extensions ?? {});
}

/**
 * Anything a route threw, as the refusal to answer with; null for an
 * unexpected failure, whose message may carry internals and must not be shown.
 */
export function asRestError(error: unknown): RestError | null {
  if (error instanceof RestError) return error;
  // E.g. a bad or expired token, refused while the caller's context is built.
  if (error instanceof ParleyError) return fromCodeAndExtensions(error.code, error.message, error.details);
  // What the reply's stream reports (errors of the operations it ran, already in their public shape).
  if (error instanceof GraphQLError && typeof error.extensions['code'] === 'string') {
    if (error.extensions['code'] === ErrorCode.INTERNAL_SERVER_ERROR) return null;
    return fromCodeAndExtensions(error.extensions['code'], error.message, error.extensions);
  }
  return null;
}

export function internalError(requestId: string): RestError {
  return new RestError(
    500,
    ErrorCode.INTERNAL_SERVER_ERROR,
    'Internal server error: the request could not be completed. Try again; if it persists, report the request id.',
    { requestId },
  );
}

/** The error's JSON body, also what a Server-Sent Events stream sends in its `error` event. */
export function restErrorBody(error: RestError): { error: Record<string, unknown> } {
  return { error: { code: error.code, message: error.message, ...error.details } };
}

export function sendRestError(res: ServerResponse, error: RestError): void {
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  sendJson(res, error.status, restErrorBody(error));
}
