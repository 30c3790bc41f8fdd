import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerTokenFrom, type AccessTokenVerifier } from '@parley/auth';
import { ParleyError } from '@parley/errors';
import { BodyTooLargeError, readBody, type Logger, type RouteHandler } from '@parley/runtime';
import type { Completions } from '../completions';
import type { ChatMessage } from '../providers/chat-provider';
import type { Router } from '../routing/router';
import { chatCompletionRequestSchema } from './chat-completion-request';
import { sendOpenAIError, toOpenAIError } from './openai-errors';

export const INTERNAL_USER_HEADER = 'x-parley-user-id';
export const MESSAGE_ID_HEADER = 'x-parley-message-id';
export const CACHE_HEADER = 'x-parley-cache';

interface Caller {
  userId: string;
  apiKeyId: string | null;
}

/**
 * OpenAI's `/v1/chat/completions` and `/v1/models` on the models service, so
 * the official `openai` SDK works against Parley by changing only `baseURL`.
 * Callers: a person's or an API key's access token (billed to its user), or
 * another Parley service with the internal token, naming the user it acts for.
 */
export function openAIRoutes({
  completions,
  router,
  verifier,
  internalToken,
  logger,
}: {
  completions: Completions;
  router: Router;
  verifier: AccessTokenVerifier;
  internalToken: string | undefined;
  logger: Logger;
}): Record<string, RouteHandler> {
  async function caller(req: IncomingMessage): Promise<Caller> {
    const token = bearerTokenFrom(req.headers.authorization);
    if (token === undefined) throw new AuthError('Send an access token or API key as "Authorization: Bearer …".');
    if (internalToken && safeEqual(token, internalToken)) {
      const userId = req.headers[INTERNAL_USER_HEADER];
      if (typeof userId !== 'string' || !/^[0-9a-f-]{36}$/i.test(userId))
        throw new AuthError(`Internal callers must name the user in ${INTERNAL_USER_HEADER}.`);
      return { userId, apiKeyId: null };
    }
    const viewer = await verifier.verify(token);
    if (viewer.scopes !== null && !viewer.scopes.includes('models')) throw new AuthError('This API key lacks the "models" scope.', 403);
    return { userId: viewer.userId, apiKeyId: viewer.apiKeyId };
  }

  const chatCompletions: RouteHandler = async (req, res) => {
    if (req.method !== 'POST') return sendOpenAIError(res, 405, 'Use POST for /v1/chat/completions.');
    let who: Caller;
    try {
      who = await caller(req);
    } catch (error) {
      return refuse(res, error);
    }
    let raw: string;
    try {
      raw = await readBody(req, 4_000_000);
    } catch (error) {
      if (error instanceof BodyTooLargeError) return sendOpenAIError(res, 413, error.message);
      throw error;
    }
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      return sendOpenAIError(res, 400, 'We could not parse the JSON body of your request.');
    }
    const parsed = chatCompletionRequestSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const param = issue.path.join('.');
      return sendOpenAIError(res, 400, `Invalid '${param}': ${issue.message}.`, 'invalid_request_error', param || null, 'invalid_value');
    }
    const body = parsed.data;
    const controller = new AbortController();
    // A client that goes away stops the upstream request too.
    res.on('close', () => {
      if (!res.writableFinished) controller.abort(new Error('client disconnected'));
    });
    const messageId = req.headers[MESSAGE_ID_HEADER];
    let completion;
    try {
      completion = await completions.start({
        ...who,
        messageId: typeof messageId === 'string' && /^[0-9a-f-]{36}$/i.test(messageId) ? messageId : null,
        model: body.model,
        request: {
          messages: body.messages.map((m): ChatMessage => ({ role: m.role === 'developer' ? 'system' : m.role, content: m.content })),
          maxTokens: body.max_completion_tokens ?? body.max_tokens ?? undefined,
          temperature: body.temperature ?? undefined,
          topP: body.top_p ?? undefined,
          stop: body.stop === null || body.stop === undefined ? undefined : Array.isArray(body.stop) ? body.stop : [body.stop],
        },
        cacheable: req.headers[CACHE_HEADER] === 'true',
        signal: controller.signal,
      });
    } catch (error) {
      return refuse(res, error);
    }
    const id = `chatcmpl-${randomUUID().replaceAll('-', '')}`;
    const created = Math.floor(Date.now() / 1000);
    const base = { id, created, model: completion.model, system_fingerprint: null };
    res.setHeader('x-parley-deployment', completion.deployment);
    res.setHeader('x-parley-cache', completion.cached ? 'hit' : 'miss');

    if (!body.stream) {
      let content = '';
      let finishReason = 'stop';
      let result;
      try {
        result = await completion.run((chunk) => {
          content += chunk.delta;
          if (chunk.finishReason) finishReason = chunk.finishReason;
        });
      } catch (error) {
        if (controller.signal.aborted) return;
        return refuse(res, error);
      }
      if (controller.signal.aborted) return;
      // A caller that asked without streaming finds the usage record when it has the reply.
      await result.recorded;
      const { usage } = result;
      const text = JSON.stringify({
        ...base,
        object: 'chat.completion',
        choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: finishReason }],
        usage: {
          prompt_tokens: usage.promptTokens,
          completion_tokens: usage.completionTokens,
          total_tokens: usage.promptTokens + usage.completionTokens,
        },
      });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }

    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
    // Chunks that arrive together leave together: one write per event-loop turn, not one per token.
    let corked = false;
    const write = (text: string) => {
      if (!corked) {
        corked = true;
        res.cork();
        process.nextTick(() => {
          corked = false;
          res.uncork();
        });
      }
      res.write(text);
    };
    // Every chunk of one reply shares its id, time and model: serialize that part once.
    const prefix = `data: {"id":${JSON.stringify(id)},"object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(completion.model)},"system_fingerprint":null,"choices":[{"index":0,"delta":`;
    const chunkText = (delta: string, finishReason: string | null) =>
      `${prefix}${delta},"logprobs":null,"finish_reason":${JSON.stringify(finishReason)}}]}\n\n`;
    let finishReason = 'stop';
    let result;
    try {
      write(chunkText('{"role":"assistant","content":"","refusal":null}', null));
      result = await completion.run((chunk) => {
        if (chunk.delta && !controller.signal.aborted) write(chunkText(`{"content":${JSON.stringify(chunk.delta)}}`, null));
        if (chunk.finishReason) finishReason = chunk.finishReason;
      });
    } catch (error) {
      if (controller.signal.aborted) return;
      const mapped =
        error instanceof ParleyError
          ? toOpenAIError(error).body
          : { error: { message: 'The model provider failed mid-reply.', type: 'api_error', param: null, code: 'upstream_error' } };
      logger.warn({ err: error }, 'stream failed after it started');
      write(`data: ${JSON.stringify(mapped)}\n\n`);
      res.end('data: [DONE]\n\n');
      return;
    }
    if (controller.signal.aborted) return;
    write(chunkText('{}', finishReason));
    if (body.stream_options?.include_usage) {
      const { usage } = result;
      write(
        `data: ${JSON.stringify({
          ...base,
          object: 'chat.completion.chunk',
          choices: [],
          usage: {
            prompt_tokens: usage.promptTokens,
            completion_tokens: usage.completionTokens,
            total_tokens: usage.promptTokens + usage.completionTokens,
          },
        })}\n\n`,
      );
    }
    res.end('data: [DONE]\n\n');
  };

  const models: RouteHandler = async (req, res) => {
    try {
      await caller(req);
    } catch (error) {
      return refuse(res, error);
    }
    const created = Math.floor(Date.now() / 1000);
    const text = JSON.stringify({
      object: 'list',
      data: router.names().map((id) => ({
        id,
        object: 'model',
        created,
        owned_by: id.includes('/') ? id.split('/')[0] : 'parley',
        // Not in OpenAI's shape, but what a caller needs to fit a conversation to the model (chat's worker does).
        context_window: Math.max(...router.resolve(id).candidates.map((d) => d.contextWindow)),
      })),
    });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  function refuse(res: ServerResponse, error: unknown) {
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
    logger.error({ err: error }, 'chat completion failed');
    return sendOpenAIError(res, 500, 'The server had an error while processing your request.', 'api_error');
  }

  return { '/v1/chat/completions': chatCompletions, '/v1/models': models };
}

class AuthError extends Error {
  constructor(
    message: string,
    readonly status = 401,
  ) {
    super(message);
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
