import { BadUserInputError, UpstreamUnavailableError } from '@parley/errors';
import { retryingFetch } from '@parley/runtime';

/** Bound on one listing, its retries included. */
const LIST_TIMEOUT_MS = 5_000;

export interface ModelInfo {
  id: string;
  contextWindow: number;
}

export interface ModelDirectory {
  /** The model, or BAD_USER_INPUT naming the ones there are. */
  require(modelId: string, onBehalfOf: string): Promise<ModelInfo>;
}

/**
 * What the models service serves, read from its /v1/models and kept for a few
 * seconds: sendMessage refuses an unknown model before storing anything, and
 * the worker fits the history into the model's context window. After the first
 * answer the list is refreshed in the background: a slow models service (under
 * load a refresh took longer than its 5 s timeout, and every send waiting on it
 * failed at once) never stalls or fails a request. A models service that
 * refuses connections while it restarts is asked again within the same 5 s
 * bound: the first list is what a sendMessage waits for.
 */
export function createModelDirectory({
  modelsUrl,
  internalToken,
  ttlMs = 10_000,
  now = Date.now,
  fetch: baseFetch = globalThis.fetch,
}: {
  modelsUrl: string;
  internalToken: string;
  ttlMs?: number;
  now?: () => number;
  /** The HTTP client under the retries (a test's, to watch the attempts). */
  fetch?: typeof globalThis.fetch;
}): ModelDirectory {
  const fetch = retryingFetch({ budgetMs: LIST_TIMEOUT_MS, fetch: baseFetch });
  let cached: { at: number; models: Map<string, ModelInfo> } | null = null;
  let loading: Promise<Map<string, ModelInfo>> | null = null;

  async function load(userId: string): Promise<Map<string, ModelInfo>> {
    let response: Response;
    try {
      response = await fetch(new URL('/v1/models', modelsUrl), {
        headers: { authorization: `Bearer ${internalToken}`, 'x-parley-user-id': userId },
        signal: AbortSignal.timeout(LIST_TIMEOUT_MS),
      });
    } catch (error) {
      throw new UpstreamUnavailableError(`The models service at ${modelsUrl} cannot be reached: ${(error as Error).message}.`);
    }
    if (!response.ok) throw new UpstreamUnavailableError(`The models service answered ${response.status} when listing models.`);
    const body = (await response.json()) as { data: { id: string; context_window?: number }[] };
    return new Map(body.data.map((m) => [m.id, { id: m.id, contextWindow: m.context_window ?? 8_192 }]));
  }

  const refresh = (onBehalfOf: string) =>
    (loading ??= load(onBehalfOf)
      .then((models) => {
        cached = { at: now(), models };
        return models;
      })
      .finally(() => (loading = null)));

  return {
    async require(modelId, onBehalfOf) {
      if (!cached) {
        await refresh(onBehalfOf);
      } else if (now() - cached.at > ttlMs) {
        // Stale is fine for a moment: requests never wait on (or fail with) a refresh when a list is known.
        refresh(onBehalfOf).catch(() => undefined);
      }
      if (!cached) throw new UpstreamUnavailableError('The models service has not listed its models yet.');
      const model = cached.models.get(modelId);
      if (!model) {
        throw new BadUserInputError(`There is no model "${modelId}". Available: ${[...cached.models.keys()].join(', ')}.`, {
          field: 'model',
        });
      }
      return model;
    },
  };
}
