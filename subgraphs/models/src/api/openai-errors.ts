import type { ServerResponse } from 'node:http';
import { type OpenAIErrorBody, ParleyError, toOpenAIError } from '@parley/errors';
import type { Logger } from '@parley/runtime';
import { AuthError } from './callers';

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
