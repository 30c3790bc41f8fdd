import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeLibreTranslate, startFakeUpstream } from '@parley/testing';
import { stringify } from 'yaml';

/** Chinese for the few sentences the translation suites use, so the quality check (is the output in the target language?) passes. */
export const CHINESE: Record<string, string> = {
  'Hello, how are you today?': '你好，你今天怎么样？',
  'The weather is lovely this morning.': '今天早上天气很好。',
};

/** A fake translation of any text into Chinese: known sentences properly, others marked so that they still read as Chinese. */
export const toChinese = (text: string) => CHINESE[text] ?? `这是翻译：${text.replace(/[A-Za-z]/g, '')}中文的句子，我们都很喜欢`;

/**
 * The outside world translation talks to, over real HTTP: a LibreTranslate
 * server and an OpenAI-compatible provider (reached through the models
 * service as deployment "translator/llm"). Returns the services' settings
 * with LibreTranslate first and the LLM as fallback.
 */
export interface TranslationFakes {
  libre: Awaited<ReturnType<typeof startFakeLibreTranslate>>;
  llm: Awaited<ReturnType<typeof startFakeUpstream>>;
  settings: Record<string, string>;
  close(): Promise<void>;
}

export async function startTranslationFakes(): Promise<TranslationFakes> {
  const libre = await startFakeLibreTranslate({ translate: (text, _source, target) => (target.startsWith('zh') ? toChinese(text) : text) });
  const llm = await startFakeUpstream({ tokens: ['你好，', '你今天怎么样？'], reportUsage: true });
  const dir = mkdtempSync(join(tmpdir(), 'parley-translation-'));
  const modelsConfig = join(dir, 'models.yaml');
  const dev = { provider: 'dev', contextWindow: 32_768, inputPricePerMTok: 0, outputPricePerMTok: 0 };
  writeFileSync(
    modelsConfig,
    stringify({
      deployments: [
        { id: 'dev-echo', model: 'dev/echo', displayName: 'Echo (development model)', ...dev },
        {
          id: 'translator',
          model: 'translator/llm',
          displayName: 'Translator',
          provider: 'openai',
          baseUrl: llm.baseUrl,
          apiKeyEnv: 'TRANSLATOR_KEY',
          upstreamModel: 'upstream-model',
          contextWindow: 32_768,
          inputPricePerMTok: 0,
          outputPricePerMTok: 0,
        },
      ],
    }),
  );
  const settings: Record<string, string> = {
    MODELS_CONFIG: modelsConfig,
    TRANSLATOR_KEY: 'sk-fake-translator',
    ROUTER_MAX_ATTEMPTS: '1',
    TRANSLATION_PROVIDERS: 'libretranslate,llm',
    TRANSLATION_MODEL: 'translator/llm',
    LIBRETRANSLATE_URL: libre.url,
    TRANSLATION_MAX_CHARS: '2000',
  };
  return {
    libre,
    llm,
    settings,
    async close() {
      await Promise.all([libre.close(), llm.close()]);
    },
  };
}
