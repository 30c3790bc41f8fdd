import type { IncomingMessage, ServerResponse } from 'node:http';
import { BadRequestError, BadUserInputError, PayloadTooLargeError, toOpenAIError } from '@parley/errors';
import { BodyTooLargeError, nulCharacterPath, nulCharacterRefusal, readBody, sendOpenAIError } from '@parley/runtime';
import type { z } from 'zod';

/** The largest request body any /v1 route reads. */
export const MAX_REQUEST_BYTES = 4_000_000;

/**
 * Reads a JSON request body and checks it against `schema`. When it is too
 * large, not JSON or not valid (a NUL character in any string included:
 * libs/runtime/src/nul-characters.ts), answers in OpenAI's shape (413 or 400,
 * naming the offending field) and resolves to undefined.
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
    // No OpenAI code here, as models has always answered (the gateway's own 413 says request_too_large).
    if (error instanceof BodyTooLargeError)
      return void sendOpenAIError(res, toOpenAIError(new PayloadTooLargeError(error.message, { code: null })));
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return void sendOpenAIError(res, toOpenAIError(new BadRequestError('We could not parse the JSON body of your request.')));
  }
  // Before the schema, so the refusal names the field whatever else is wrong with it.
  const nul = nulCharacterPath(json);
  if (nul !== null) {
    const { message, details } = nulCharacterRefusal(nul);
    return void sendOpenAIError(res, toOpenAIError(new BadUserInputError(message, { ...details, code: 'invalid_value' })));
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const param = issue.path.join('.');
    // invalid_value even for "model": an unknown model (model_not_found) is told apart later, by the catalogue.
    const refusal = new BadUserInputError(`Invalid '${param}': ${issue.message}.`, {
      ...(param ? { field: param } : {}),
      code: 'invalid_value',
    });
    return void sendOpenAIError(res, toOpenAIError(refusal));
  }
  return parsed.data;
}
