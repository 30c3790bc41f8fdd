import type { ServerResponse } from 'node:http';
import { ErrorCode, ParleyError, UnreachableCaseError } from '@parley/errors';
import type { Logger } from '@parley/runtime';
import { AuthError } from './callers';

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** Parley's error codes as OpenAI's API spells them, so OpenAI clients and SDKs understand them. */
export function toOpenAIError(error: ParleyError): { status: number; body: OpenAIErrorBody } {
  const field = typeof error.details['field'] === 'string' ? (error.details['field'] as string) : null;
  const detailCode = typeof error.details['code'] === 'string' ? (error.details['code'] as string) : null;
  const body = (status: number, type: string, code: string | null) => ({
    status,
    body: { error: { message: error.message, type, param: field, code } },
  });
  switch (error.code) {
    case ErrorCode.BAD_USER_INPUT:
      return body(400, 'invalid_request_error', detailCode ?? (field === 'model' ? 'model_not_found' : 'invalid_value'));
    case ErrorCode.UNAUTHENTICATED:
      return body(401, 'authentication_error', 'invalid_api_key');
    case ErrorCode.FORBIDDEN:
      return body(403, 'permission_error', null);
    case ErrorCode.NOT_FOUND:
      return body(404, 'invalid_request_error', 'not_found');
    case ErrorCode.CONFLICT:
      return body(409, 'invalid_request_error', 'conflict');
    case ErrorCode.RATE_LIMITED:
      return body(429, 'rate_limit_error', 'rate_limit_exceeded');
    case ErrorCode.BUDGET_EXCEEDED:
      return body(429, 'insufficient_quota', 'budget_exceeded');
    case ErrorCode.CONTENT_BLOCKED:
      return body(400, 'invalid_request_error', 'content_blocked');
    case ErrorCode.UPSTREAM_UNAVAILABLE:
      return body(503, 'api_error', 'upstream_unavailable');
    case ErrorCode.INTERNAL_SERVER_ERROR:
      return body(500, 'api_error', null);
    default:
      throw new UnreachableCaseError(error.code);
  }
}

export function sendOpenAIError(
  res: ServerResponse,
  status: number,
  message: string,
  type = 'invalid_request_error',
  param: string | null = null,
  code: string | null = null,
) {
  const text = JSON.stringify({ error: { message, type, param, code } } satisfies OpenAIErrorBody);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Answers a failed /v1 request in OpenAI's shape: a refused caller 401/403,
 * Parley's errors by `toOpenAIError`, anything else 500 (logged as `failure`).
 * When the answer has started already it can only be ended.
 */
export function sendRefusal(res: ServerResponse, error: unknown, logger: Logger, failure: string) {
  if (res.headersSent) return void res.end();
  if (error instanceof AuthError)
    return sendOpenAIError(
      res,
      error.status,
      error.message,
      error.status === 403 ? 'permission_error' : 'authentication_error',
      null,
      'invalid_api_key',
    );
  if (error instanceof ParleyError) {
    const { status, body } = toOpenAIError(error);
    return sendOpenAIError(res, status, body.error.message, body.error.type, body.error.param, body.error.code);
  }
  logger.error({ err: error }, failure);
  return sendOpenAIError(res, 500, 'The server had an error while processing your request.', 'api_error');
}
