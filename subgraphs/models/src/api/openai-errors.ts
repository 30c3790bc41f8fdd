import type { ServerResponse } from 'node:http';
import { InternalServerError, ParleyError, toOpenAIError, unavailableDependency } from '@parley/errors';
import { type Logger, sendOpenAIError } from '@parley/runtime';

/**
 * Answers a failed /v1 request in OpenAI's shape: Parley's errors (a refused
 * caller among them) by `toOpenAIError`, a dependency that is down as 503
 * (`unavailableDependency`), anything else 500 (logged as
 * `failure`). When the answer has started already it can only be ended.
 */
export function sendRefusal(res: ServerResponse, error: unknown, logger: Logger, failure: string) {
  if (res.headersSent) return void res.end();
  if (error instanceof ParleyError) return sendOpenAIError(res, toOpenAIError(error));
  const unavailable = unavailableDependency(error);
  if (unavailable) return sendOpenAIError(res, toOpenAIError(unavailable));
  logger.error({ err: error }, failure);
  return sendOpenAIError(res, toOpenAIError(new InternalServerError('The server had an error while processing your request.')));
}
