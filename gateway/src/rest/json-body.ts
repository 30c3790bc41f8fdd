import type { IncomingMessage } from 'node:http';
import { BadUserInputError, PayloadTooLargeError, UnsupportedMediaTypeError } from '@parley/errors';
import { BodyTooLargeError, readBody } from '@parley/runtime';
import type { z } from 'zod';

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
    throw new UnsupportedMediaTypeError(`Send the body as application/json (not ${contentType}).`);
  }
  let raw: string;
  try {
    raw = await readBody(req, limitBytes);
  } catch (error) {
    if (error instanceof BodyTooLargeError) throw new PayloadTooLargeError(error.message, { limitBytes });
    throw error;
  }
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    throw new BadUserInputError(raw.trim() === '' ? 'The request needs a JSON body.' : 'The request body is not valid JSON.');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadUserInputError('The request body must be a JSON object.');
  }
  const parsed = schema.safeParse(body, { reportInput: true });
  if (!parsed.success) throw invalidField(parsed.error.issues[0]);
  return parsed.data;
}

function invalidField(issue: z.core.$ZodIssue | undefined): BadUserInputError {
  const field = issue?.path.join('.') ?? '';
  if (!issue || !field) return new BadUserInputError(issue?.message ?? 'The request body is not valid.');
  const message =
    issue.code === 'invalid_type'
      ? issue.input === undefined
        ? `"${field}" is required (${issue.expected}).`
        : `"${field}" must be ${issue.expected === 'array' || issue.expected === 'object' ? 'an' : 'a'} ${issue.expected}.`
      : `"${field}": ${issue.message}`;
  return new BadUserInputError(message, { field });
}
