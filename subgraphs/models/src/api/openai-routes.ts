import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { AccessTokenVerifier } from '@parley/auth';
import { MethodNotAllowedError, OverloadedError, ParleyError, toOpenAIError, UpstreamUnavailableError } from '@parley/errors';
import { type Logger, OVERLOAD_RETRY_AFTER_SECONDS, type RouteHandler, sendOpenAIError } from '@parley/runtime';
import type { Completions } from '../completions';
import type { ChatMessage } from '../providers/chat-provider';
import type { Router } from '../routing/router';
import { createCallerAuth, type Caller } from './callers';
import { chatCompletionRequestSchema } from './chat-completion-request';
import { readJsonRequest } from './json-request';
import { sendRefusal } from './openai-errors';

export { INTERNAL_USER_HEADER } from './callers';
export const MESSAGE_ID_HEADER = 'x-parley-message-id';
export const CACHE_HEADER = 'x-parley-cache';

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
  internalToken: string;
  logger: Logger;
}): Record<string, RouteHandler> {
  const caller = createCallerAuth({ verifier, internalToken });

  const chatCompletions: RouteHandler = async (req, res, scope) => {
    if (req.method !== 'POST') return sendOpenAIError(res, toOpenAIError(new MethodNotAllowedError('Use POST for /v1/chat/completions.')));
    let who: Caller;
    try {
      who = await caller(req);
    } catch (error) {
      return refuse(res, error);
    }
    const body = await readJsonRequest(req, res, chatCompletionRequestSchema);
    if (body === undefined) return;
    // A reply started now would hold the drain for its whole length (or be cut by its end): refused before anything
    // ran, it is sent again to another replica, or to this one once restarted (the chat worker waits out an
    // OVERLOADED models service as it does a refused connection).
    if (scope.draining()) {
      res.setHeader('Retry-After', String(OVERLOAD_RETRY_AFTER_SECONDS));
      return refuse(
        res,
        new OverloadedError(
          'This models service is shutting down and starts no new replies; send the request again in a moment.',
          OVERLOAD_RETRY_AFTER_SECONDS,
        ),
      );
    }
    const controller = new AbortController();
    // A client that goes away stops the upstream request too.
    res.on('close', () => {
      if (!res.writableFinished) controller.abort(new Error('client disconnected'));
    });
    // Only Parley's own services name a message: a later attempt at one supersedes the earlier ones' charges, which
    // anyone else could use to be billed once for many replies.
    const messageId = who.internal ? req.headers[MESSAGE_ID_HEADER] : undefined;
    // From here the reply is mostly waiting on the provider (its time to first token, the router's retries, the
    // generation): bounded per deployment by the router's maxConcurrency, not by this service's request slots, which
    // a burst of slow first tokens would otherwise fill while the process sits idle.
    scope.leaveAdmission();
    let completion;
    try {
      completion = await completions.start({
        userId: who.userId,
        apiKeyId: who.apiKeyId,
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
      const mapped = toOpenAIError(
        error instanceof ParleyError
          ? error
          : new UpstreamUnavailableError('The model provider failed mid-reply.', { code: 'upstream_error' }),
      ).body;
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

  const refuse = (res: ServerResponse, error: unknown) => sendRefusal(res, error, logger, 'chat completion failed');

  return { '/v1/chat/completions': chatCompletions, '/v1/models': models };
}
