import { UpstreamUnavailableError } from '@parley/errors';
import { findLanguage } from './supported-languages';
import type { TranslationProvider } from './translation-provider';

/**
 * LibreTranslate's HTTP API (self-hostable). One request carries every text of
 * a batch (`q` as an array), so a page of messages costs one upstream call.
 */
export function createLibreTranslateProvider({
  url,
  apiKey,
  timeoutMs,
}: {
  url: string;
  apiKey?: string | undefined;
  timeoutMs: number;
}): TranslationProvider {
  const endpoint = new URL('translate', url.endsWith('/') ? url : `${url}/`);
  const codeOf = (tag: string) => (tag === 'und' ? 'auto' : (findLanguage(tag)?.libreTranslateCode ?? tag));
  return {
    name: 'libretranslate',
    model: 'libretranslate',
    async translate({ texts, from, to, signal }) {
      let response: Response;
      try {
        response = await fetch(endpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            q: texts,
            source: codeOf(from),
            target: codeOf(to),
            format: 'text',
            ...(apiKey ? { api_key: apiKey } : {}),
          }),
          signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        throw new UpstreamUnavailableError(
          `LibreTranslate at ${endpoint.host} did not answer: ${(error as Error).message}`,
          {},
          { cause: error },
        );
      }
      const body = (await response.json().catch(() => null)) as { translatedText?: unknown; error?: unknown } | null;
      if (!response.ok) {
        const reason = typeof body?.error === 'string' ? body.error.slice(0, 200) : `status ${response.status}`;
        throw new UpstreamUnavailableError(`LibreTranslate refused the translation: ${reason}`);
      }
      const translated = body?.translatedText;
      if (!Array.isArray(translated) || translated.length !== texts.length || !translated.every((t) => typeof t === 'string')) {
        throw new UpstreamUnavailableError('LibreTranslate answered in an unexpected shape (expected one translatedText per text)');
      }
      return translated as string[];
    },
  };
}
