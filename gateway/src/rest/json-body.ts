import type { IncomingMessage } from 'node:http';
import { ErrorCode } from '@parley/errors';
import { BodyTooLargeError, readBody } from '@parley/runtime';
import type { z } from 'zod';
import { RestError, RestOnlyCode } from './rest-errors';

/**
 * The request's JSON body, checked against the route's body schema. Only the
 * shape is checked here (types, required fields): what the values may be
 * (lengths, languages, models) is the graph's to decide, so it is decided once.
 */
export async function readJsonBody<Schema extends z.ZodType>(
  req: IncomingMessage,
  schema: Schema,
  limitBytes: number,
): Promise<z.output<Schema>> {
  const contentType = req.headers['content-type'];
  if (contentType !== undefined && !/^application\/([\w.+-]+\+)?json\b/i.test(contentType)) {
    throw new RestError(415, RestOnlyCode.UNSUPPORTED_MEDIA_TYPE, `Send the body as application/json (not ${contentType}).`);
  }
  let raw: string;
  try {
    raw = await readBody(req, limitBytes);
  } catch (error) {
    if (error instanceof BodyTooLargeError) throw new RestError(413, RestOnlyCode.PAYLOAD_TOO_LARGE, error.message, { limitBytes });
    throw error;
  }
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    throw new RestError(
      400,
      ErrorCode.BAD_USER_INPUT,
      raw.trim() === '' ? 'The request needs a JSON body.' : 'The request body is not valid JSON.',
    );
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new RestError(400, ErrorCode.BAD_USER_INPUT, 'The request body must be a JSON object.');
  }
  const parsed = schema.safeParse(body, { reportInput: true });
  if (!parsed.success) throw invalidField(parsed.error.issues[0]);
  return parsed.data;
}

function invalidField(issue: z.core.$ZodIssue | undefined): RestError {
  const field = issue?.path.join('.') ?? '';
  if (!issue || !field) return new RestError(400, ErrorCode.BAD_USER_INPUT, issue?.message ?? 'The request body is not valid.');
  const message =
    issue.code === 'invalid_type'
      ? issue.input === undefined
        ? `"${field}" is required (${issue.expected}).`
        : `"${field}" must be ${issue.expected === 'array' || issue.expected === 'object' ? 'an' : 'a'} ${issue.expected}.`
      : `"${field}": ${issue.message}`;
  return new RestError(400, ErrorCode.BAD_USER_INPUT, message, { field });
}
