import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { pipeline } from 'node:stream/promises';
import {
  ErrorCode,
  openAIErrorForStatus,
  type OpenAIErrorBody,
  type ParleyError,
  toOpenAIError,
  UpstreamUnavailableError,
} from '@parley/errors';
import { mayRetryConnectionFailure, REQUEST_ID_HEADER, sendOpenAIError, startBackoff, type Logger } from '@parley/runtime';
import { defaultGatewayProtection } from '../config/protection-settings';

/** One /v1 call to the models service, made with the caller's own credential. */
export interface ModelsCall {
  method: 'GET' | 'POST';
  path: string;
  /** The caller's access token, or the one their API key was traded for: models bills its user. */
  authorization: string;
  body?: Buffer;
  requestId: string;
  userAgent?: string | undefined;
  clientAddress?: string | undefined;
  /** The caller's opt-in to the models service's response cache (`x-parley-cache: true`). */
  cache?: boolean;
}

export type ModelsProxy = (call: ModelsCall, res: ServerResponse) => Promise<void>;

// Only what describes the answer: hop-by-hop headers belong to each connection, and the request id is the gateway's own.
const ANSWER_HEADERS = ['content-type', 'content-length', 'cache-control', 'retry-after', 'x-parley-deployment', 'x-parley-cache'];
// Error answers are a few hundred bytes; anything larger is not an error body worth reading whole.
const MAX_ERROR_BODY_BYTES = 64_000;

/**
 * Relays a /v1 call to the models service and its answer back, byte for byte:
 * Server-Sent Events reach the caller as models writes them, statuses and
 * OpenAI-shaped error bodies pass through, and a caller who goes away takes
 * the upstream request (and so the provider's) down with them. The only
 * answers of its own are 503 when models cannot be reached and an OpenAI
 * shape for the rare error models answers without one.
 *
 * A models service that refuses connections while it restarts is tried again
 * for `retryBudgetMs` (the subgraphs' budget) before that 503; a call whose
 * connection broke after it went out is tried again only when it is a GET: a
 * completion may already be running, and billed.
 */
export function createModelsProxy({
  modelsUrl,
  internalHeaders,
  logger,
  retryBudgetMs = defaultGatewayProtection.subgraphRetryBudgetMs,
}: {
  modelsUrl: string;
  /** The internal credential: models' /v1 takes a caller's token only when the gateway relays it. */
  internalHeaders: Readonly<Record<string, string>>;
  logger: Logger;
  retryBudgetMs?: number;
}): ModelsProxy {
  const base = modelsUrl.replace(/\/+$/, '');
  const secure = base.startsWith('https:');
  const send = secure ? httpsRequest : httpRequest;
  // Idle sockets are let go well before models' own keep-alive timeout (65 s), so a reused one is never being closed under us.
  const agent = secure ? new HttpsAgent({ keepAlive: true, timeout: 5_000 }) : new HttpAgent({ keepAlive: true, timeout: 5_000 });

  return (call, res) =>
    new Promise<void>((resolve) => {
      let clientGone = false;
      const headers: Record<string, string> = {
        ...internalHeaders,
        authorization: call.authorization,
        accept: call.method === 'POST' ? 'application/json, text/event-stream' : 'application/json',
        [REQUEST_ID_HEADER]: call.requestId,
        ...(call.userAgent ? { 'user-agent': call.userAgent } : {}),
        ...(call.clientAddress ? { 'x-forwarded-for': call.clientAddress } : {}),
        ...(call.cache ? { 'x-parley-cache': 'true' } : {}),
        ...(call.body ? { 'content-type': 'application/json', 'content-length': String(call.body.length) } : {}),
      };
      const backoff = startBackoff({ budgetMs: retryBudgetMs });
      let upstream: ReturnType<typeof send>;
      let retryTimer: NodeJS.Timeout | undefined;
      const onClientClose = () => {
        if (res.writableFinished) return;
        clientGone = true;
        clearTimeout(retryTimer);
        upstream.destroy(new Error('the client closed the connection'));
        if (retryTimer !== undefined) resolve();
      };
      res.once('close', onClientClose);

      const attempt = () => {
        retryTimer = undefined;
        upstream = send(`${base}${call.path}`, { method: call.method, headers, agent });
        upstream.once('response', (answer) => {
          const status = answer.statusCode ?? 502;
          if (status >= 400 && !isEventStream(answer.headers)) {
            void relayError(status, answer, res, logger).then(resolve);
            return;
          }
          res.writeHead(status, answerHeaders(answer.headers));
          // Without this the caller sees nothing until models writes its first token.
          res.flushHeaders();
          pipeline(answer, res).then(resolve, (error: unknown) => {
            if (!clientGone) logger.warn({ err: error, path: call.path }, 'the models service stopped mid-answer');
            resolve();
          });
        });
        // `on`, not `once`: a socket can fail again after the first error, and an unheard error would end the process.
        let failed = false;
        let answered = false;
        upstream.once('response', () => (answered = true));
        upstream.on('error', (error) => {
          if (failed) return;
          failed = true;
          if (clientGone) return resolve();
          if (res.headersSent) {
            res.destroy();
            return resolve();
          }
          const delay = !answered && mayRetryConnectionFailure(error, { idempotent: call.method === 'GET' }) ? backoff.next() : null;
          if (delay !== null) {
            // One line per call, not per attempt.
            if (backoff.attempts() === 2)
              logger.warn({ err: error, path: call.path, delayMs: delay }, 'the models service could not be reached; retrying');
            retryTimer = setTimeout(attempt, delay);
            return;
          }
          logger.warn({ err: error, url: `${base}${call.path}` }, 'the models service cannot be reached');
          sendParleyErrorAsOpenAI(res, new UpstreamUnavailableError('The models service cannot be reached right now; try again shortly.'));
          resolve();
        });
        upstream.end(call.body);
      };
      attempt();
    });
}

/**
 * A refusal the gateway raises itself (a bad credential, users unreachable),
 * in OpenAI's shape (`toOpenAIError`); a 401 names the scheme to use.
 */
export function sendParleyErrorAsOpenAI(res: ServerResponse, error: ParleyError, headers: Record<string, string> = {}): void {
  sendOpenAIError(res, toOpenAIError(error), error.code === ErrorCode.UNAUTHENTICATED ? { ...BEARER_CHALLENGE, ...headers } : headers);
}

/** RFC 6750: a 401 names the scheme the client should use. */
const BEARER_CHALLENGE = { 'www-authenticate': 'Bearer realm="parley"' };

function isEventStream(headers: IncomingHttpHeaders): boolean {
  return (headers['content-type'] ?? '').startsWith('text/event-stream');
}

function answerHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of ANSWER_HEADERS) {
    const value = headers[name];
    if (typeof value === 'string') picked[name] = value;
  }
  // Reverse proxies in front of the gateway (nginx) would otherwise hold tokens back in their buffers.
  if (isEventStream(headers)) picked['x-accel-buffering'] = 'no';
  return picked;
}

/**
 * Passes an error answer on as it came when it is in OpenAI's shape (every
 * /v1 refusal of models is); wraps anything else (e.g. the HTTP shell's own
 * 500) so that clients always find `error.message`.
 */
async function relayError(status: number, answer: IncomingMessage, res: ServerResponse, logger: Logger): Promise<void> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of answer as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_ERROR_BODY_BYTES) break;
      chunks.push(chunk);
    }
  } catch (error) {
    if (res.destroyed) return;
    logger.warn({ err: error }, 'the models service stopped mid-answer');
  }
  // The caller left, or the failed connection was already answered with a 503.
  if (res.destroyed || res.headersSent) return;
  const text = Buffer.concat(chunks).toString('utf8');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const headers = answerHeaders(answer.headers);
  if (isOpenAIError(body)) {
    res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    return void res.end(text);
  }
  const message =
    typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string'
      ? (body as { message: string }).message
      : `The models service answered ${status}.`;
  const retryAfter = headers['retry-after'];
  sendOpenAIError(res, openAIErrorForStatus(status, message), retryAfter ? { 'retry-after': retryAfter } : {});
}

function isOpenAIError(body: unknown): body is OpenAIErrorBody {
  if (typeof body !== 'object' || body === null) return false;
  const error = (body as { error?: unknown }).error;
  return typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string';
}
