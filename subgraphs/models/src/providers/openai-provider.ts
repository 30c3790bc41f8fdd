import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { ProviderError, type ChatProvider, type ChatRequest, type ChunkSink } from './chat-provider';
import { readServerSentEvents } from './server-sent-events';

export interface OpenAIProviderOptions {
  baseUrl: string;
  apiKey: string;
  upstreamModel: string;
  timeoutMs: number;
  /** The HTTP client the SDK sends with (shared by every deployment's pool). */
  fetch?: typeof globalThis.fetch;
}

/**
 * Any OpenAI-compatible endpoint through the official SDK. The SDK's own
 * retries are off: the router decides about retries (only before the first
 * token, across deployments).
 */
export function createOpenAIProvider({ baseUrl, apiKey, upstreamModel, timeoutMs, fetch }: OpenAIProviderOptions): ChatProvider {
  const client = new OpenAI({ baseURL: baseUrl, apiKey, maxRetries: 0, timeout: timeoutMs, ...(fetch ? { fetch } : {}) });
  return {
    async stream(request: ChatRequest, signal: AbortSignal, sink: ChunkSink): Promise<void> {
      let response: Response;
      try {
        // The SDK builds, authenticates and sends the request and maps error statuses; the reply's
        // event stream is read here, in one pass, instead of through the SDK's layered async parsers
        // (they cost more CPU per token than everything else on the path: bench/models-router).
        response = await client.chat.completions
          .create(
            {
              model: upstreamModel,
              messages: request.messages,
              stream: true,
              stream_options: { include_usage: true },
              ...(request.maxTokens !== undefined ? { max_tokens: request.maxTokens } : {}),
              ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
              ...(request.topP !== undefined ? { top_p: request.topP } : {}),
              ...(request.stop !== undefined ? { stop: request.stop } : {}),
            },
            { signal },
          )
          .asResponse();
      } catch (error) {
        throw toProviderError(error);
      }
      if (!response.body) throw new ProviderError('The provider sent no body', true);
      let ended = false;
      try {
        await readServerSentEvents(response.body, signal, (event) => {
          if (ended) return;
          if (event === '[DONE]') {
            ended = true;
            return;
          }
          const chunk = JSON.parse(event) as {
            choices?: { delta?: { content?: string | null }; finish_reason?: string | null }[];
            usage?: { prompt_tokens: number; completion_tokens: number } | null;
            error?: { message?: string };
          };
          if (chunk.error) throw new ProviderError(`The provider failed mid-reply: ${chunk.error.message ?? 'unknown error'}`, false);
          const choice = chunk.choices?.[0];
          const usage = chunk.usage
            ? { promptTokens: chunk.usage.prompt_tokens, completionTokens: chunk.usage.completion_tokens }
            : undefined;
          sink({ delta: choice?.delta?.content ?? '', finishReason: choice?.finish_reason ?? null, ...(usage ? { usage } : {}) });
        });
      } catch (error) {
        throw toProviderError(error);
      }
    },
    async probe(signal) {
      try {
        await client.models.list({ signal });
      } catch (error) {
        throw toProviderError(error);
      }
    },
  };
}

/** The SDK's failures as ProviderErrors (aborts pass through as they are). */
export function toProviderError(error: unknown): Error {
  if (error instanceof ProviderError) return error;
  if (error instanceof APIUserAbortError) return error;
  if (error instanceof APIConnectionTimeoutError)
    return new ProviderError('The provider timed out', true, undefined, undefined, { cause: error });
  if (error instanceof APIConnectionError)
    return new ProviderError('The provider could not be reached', true, undefined, undefined, { cause: error });
  if (error instanceof APIError && error.status !== undefined) {
    const retriable = error.status === 408 || error.status === 409 || error.status === 429 || error.status >= 500;
    return new ProviderError(`The provider answered ${error.status}`, retriable, error.status, retryAfterMs(error.headers), {
      cause: error,
    });
  }
  if (error instanceof Error && error.name === 'AbortError') return error;
  return new ProviderError('The provider failed', true, undefined, undefined, { cause: error });
}

/** Retry-After in seconds or as a date; OpenAI also sends retry-after-ms. */
function retryAfterMs(headers: Headers | undefined): number | undefined {
  const ms = Number(headers?.get('retry-after-ms'));
  if (Number.isFinite(ms) && ms > 0) return ms;
  const value = headers?.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
