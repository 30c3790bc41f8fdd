import { UpstreamUnavailableError } from '@parley/errors';
import OpenAI from 'openai';

export interface ProviderModerationOptions {
  /** The models service's OpenAI-compatible API, e.g. http://127.0.0.1:4003/v1. */
  modelsApiUrl: string;
  /** INTERNAL_SERVICE_TOKEN, shared with the models service. */
  internalToken: string;
  /** The model id or alias the models service moderates with (a deployment of it must offer /moderations). */
  model: string;
  /** The user the check is made for (x-parley-user-id); Parley itself when absent. */
  userId?: string;
  /** Bound on one check, in milliseconds. */
  timeoutMs: number;
}

export interface ProviderModerationVerdict {
  flagged: boolean;
  /** The names of the categories the text was flagged for, e.g. ["harassment"]. */
  categories: string[];
}

export interface ProviderModeration {
  check(text: string, signal?: AbortSignal): Promise<ProviderModerationVerdict>;
}

/** Who an internal call is for when no user is named: no particular user (the models service needs a UUID). */
export const PARLEY_ITSELF = '00000000-0000-0000-0000-000000000000';

/**
 * Asks a provider's moderation model through the models service
 * (`POST /v1/moderations`), with the official `openai` SDK as Parley's chat
 * worker calls it: the internal token as the API key, the user in
 * `x-parley-user-id`, no SDK retries. Any failure (unreachable, timed out,
 * refused) rejects with an UpstreamUnavailableError that says what went wrong;
 * a check the caller aborted rejects with the signal's reason.
 */
export function createProviderModeration({
  modelsApiUrl,
  internalToken,
  model,
  userId = PARLEY_ITSELF,
  timeoutMs,
}: ProviderModerationOptions): ProviderModeration {
  const client = new OpenAI({
    baseURL: modelsApiUrl,
    apiKey: internalToken,
    maxRetries: 0,
    timeout: timeoutMs,
    defaultHeaders: { 'x-parley-user-id': userId },
  });
  return {
    async check(text, signal) {
      let response;
      try {
        response = await client.moderations.create({ model, input: text }, signal ? { signal } : {});
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        throw unavailable(error, { modelsApiUrl, model, timeoutMs });
      }
      const results = response.results ?? [];
      const categories = new Set<string>();
      for (const result of results)
        for (const [name, value] of Object.entries(result.categories ?? {})) if (value === true) categories.add(name);
      return { flagged: results.some((r) => r.flagged === true), categories: [...categories] };
    },
  };
}

function unavailable(error: unknown, { modelsApiUrl, model, timeoutMs }: { modelsApiUrl: string; model: string; timeoutMs: number }) {
  const what = `Moderation with "${model}"`;
  let message: string;
  if (error instanceof OpenAI.APIConnectionTimeoutError)
    message = `${what} took longer than ${timeoutMs} ms; the models service or its provider is slow or down.`;
  else if (error instanceof OpenAI.APIConnectionError)
    message = `${what} failed: the models service could not be reached at ${modelsApiUrl}; check MODELS_URL and that it is running.`;
  else if (error instanceof OpenAI.APIError) {
    const detail = (error.error as { message?: string } | undefined)?.message ?? error.message;
    const hint =
      error.status === 401 || error.status === 403
        ? ' Check that INTERNAL_SERVICE_TOKEN is the same here and on the models service.'
        : error.status === 400 || error.status === 404
          ? ` Check that "${model}" is a model of the models service whose provider offers moderation.`
          : '';
    message = `${what} failed at the models service (${error.status ?? 'error'}): ${detail}${hint}`;
  } else message = `${what} failed: ${error instanceof Error ? error.message : String(error)}`;
  return new UpstreamUnavailableError(message, { model }, { cause: error });
}
