import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLargeError, readBody } from '@parley/runtime';
import type { z } from 'zod';
import { sendOpenAIError } from './openai-errors';

/** The largest request body any /v1 route reads. */
export const MAX_REQUEST_BYTES = 4_000_000;

/**
 * Reads a JSON request body and checks it against `schema`. When it is too
 * large, not JSON or not valid, answers in OpenAI's shape (413 or 400, naming
 * the offending field) and resolves to undefined.
 */
export async function readJsonRequest<S extends z.ZodType>(
  req: IncomingMessage,
  res: ServerResponse,
  schema: S,
): Promise<z.output<S> | undefined> {
  let raw: string;
  try {
    raw = await readBody(req, MAX_REQUEST_BYTES);
  } catch (error) {
    if (error instanceof BodyTooLargeError) return void sendOpenAIError(res, 413, error.message);
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return void sendOpenAIError(res, 400, 'We could not parse the JSON body of your request.');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const param = issue.path.join('.');
    return void sendOpenAIError(res, 400, `Invalid '${param}': ${issue.message}.`, 'invalid_request_error', param || null, 'invalid_value');
  }
  return parsed.data;
}
