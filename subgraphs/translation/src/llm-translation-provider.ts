import { UpstreamUnavailableError } from '@parley/errors';
import { retryingFetch } from '@parley/runtime';
import OpenAI from 'openai';
import { findLanguage, SUPPORTED_LANGUAGES } from './supported-languages';
import type { TranslationProvider } from './translation-provider';

const nameOf = (tag: string) => findLanguage(tag)?.name ?? SUPPORTED_LANGUAGES.find((l) => l.code === tag)?.name ?? tag;

/** The instruction every LLM translation carries; markers are how protected-spans.ts shields code and URLs. */
export function translationPrompt(from: string, to: string): string {
  const source = from === 'und' ? 'the language it is written in' : nameOf(from);
  return [
    `You are a translation engine. Translate the user's text from ${source} into ${nameOf(to)}.`,
    'Keep the formatting exactly: line breaks, Markdown, lists, tables and spacing.',
    'Copy every marker such as ⟦0⟧ unchanged, in the place its content belongs.',
    'Reply with the translation only: no preamble, no notes, no quotation marks.',
  ].join('\n');
}

/**
 * Translation by a chat model, through the models service's OpenAI-compatible
 * API like every other model call: routing, budgets and usage records apply,
 * charged to the user the translation is for. A models service that refuses
 * connections while it restarts is asked again within `timeoutMs`; a request
 * that may have reached it never is (it may be billed).
 */
export function createLlmTranslationProvider({
  modelsApiUrl,
  internalToken,
  model,
  timeoutMs,
  fetch = globalThis.fetch,
}: {
  modelsApiUrl: string;
  internalToken: string;
  model: string;
  timeoutMs: number;
  /** The HTTP client under the retries (a test's, to watch the attempts). */
  fetch?: typeof globalThis.fetch;
}): TranslationProvider {
  const openai = new OpenAI({
    baseURL: modelsApiUrl,
    apiKey: internalToken,
    maxRetries: 0,
    timeout: timeoutMs,
    fetch: retryingFetch({ budgetMs: timeoutMs, fetch }),
  });
  return {
    name: 'llm',
    model,
    translate({ texts, from, to, userId, signal }) {
      return Promise.all(
        texts.map(async (text) => {
          try {
            const completion = await openai.chat.completions.create(
              {
                model,
                temperature: 0,
                messages: [
                  { role: 'system', content: translationPrompt(from, to) },
                  { role: 'user', content: text },
                ],
              },
              { headers: { 'x-parley-user-id': userId }, ...(signal ? { signal } : {}) },
            );
            const content = completion.choices[0]?.message.content;
            if (typeof content !== 'string') throw new Error('the model answered without text');
            return content.trim();
          } catch (error) {
            throw new UpstreamUnavailableError(`The translation model ${model} did not answer: ${describe(error)}`, {}, { cause: error });
          }
        }),
      );
    },
  };
}

function describe(error: unknown): string {
  if (error instanceof OpenAI.APIError) return `${error.status ?? 'no status'} ${error.message}`.slice(0, 200);
  return error instanceof Error ? error.message.slice(0, 200) : 'unknown error';
}
