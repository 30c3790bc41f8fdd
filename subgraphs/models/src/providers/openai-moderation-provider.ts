import OpenAI from 'openai';
import { ProviderError } from './chat-provider';
import type { ModerationProvider, ModerationVerdict } from './moderation-provider';
import { toProviderError, type OpenAIProviderOptions } from './openai-provider';

/**
 * The moderation endpoint (`POST /moderations`) of an OpenAI-compatible
 * deployment through the official SDK, asking for the deployment's
 * `upstreamModel` (e.g. omni-moderation-latest). No SDK retries, like chat.
 */
export function createOpenAIModerationProvider({
  baseUrl,
  apiKey,
  upstreamModel,
  timeoutMs,
  fetch,
}: OpenAIProviderOptions): ModerationProvider {
  const client = new OpenAI({ baseURL: baseUrl, apiKey, maxRetries: 0, timeout: timeoutMs, ...(fetch ? { fetch } : {}) });
  return {
    async moderate(inputs, signal) {
      let response;
      try {
        response = await client.moderations.create({ model: upstreamModel, input: inputs }, { signal });
      } catch (error) {
        throw toProviderError(error);
      }
      if (!Array.isArray(response.results) || response.results.length !== inputs.length)
        throw new ProviderError(`The provider answered ${response.results?.length ?? 'no'} results for ${inputs.length} inputs`, false);
      return response.results.map((result): ModerationVerdict => ({
        flagged: result.flagged === true,
        // OpenAI answers null for categories a model does not score; null is not flagged.
        categories: Object.fromEntries(Object.entries(result.categories ?? {}).map(([name, value]) => [name, value === true])),
        categoryScores: Object.fromEntries(
          Object.entries(result.category_scores ?? {}).map(([name, value]) => [name, typeof value === 'number' ? value : 0]),
        ),
      }));
    },
  };
}
