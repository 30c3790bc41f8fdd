import type { ServerResponse } from 'node:http';
import { graphQLErrorBody, httpStatusFor, type OpenAIError, type ParleyError } from '@parley/errors';
import { sendJson } from './http-server';

/**
 * Senders of the dialects in @parley/errors: which body a refusal has is
 * decided there, from its code; these only write it.
 */

/** A GraphQL request refused before Apollo Server sees it: `{ errors: [{ message, extensions: { code } }] }` with the code's status. */
export function sendGraphQLError(res: ServerResponse, error: ParleyError, status: number = httpStatusFor(error.code)): void {
  sendJson(res, status, graphQLErrorBody(error));
}

/** An error in OpenAI's shape (`toOpenAIError`), for /v1 routes. Once an answer has started it can only be ended. */
export function sendOpenAIError(res: ServerResponse, { status, body }: OpenAIError, headers: Record<string, string> = {}): void {
  if (res.headersSent) return void res.end();
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
