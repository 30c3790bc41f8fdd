import type { IncomingMessage, ServerResponse } from 'node:http';
import { MethodNotAllowedError } from '@parley/errors';
import { sendHttpError } from '@parley/runtime';

/**
 * The pages and files the gateway serves (the explorers', the web client's)
 * only read: anything but GET and HEAD is answered 405 here (false), so a
 * handler never has to think about bodies.
 */
export function allowOnlyReads(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method === 'GET' || req.method === 'HEAD') return true;
  res.setHeader('allow', 'GET, HEAD');
  sendHttpError(res, new MethodNotAllowedError(`${req.method} is not allowed here; use GET`));
  return false;
}
