import { env, httpServiceSettings, subgraphAdmissionSettings } from '@parley/runtime';
import { z } from 'zod';

const PROVIDERS = ['llm', 'libretranslate'] as const;

/** What the translation service reads from the environment besides the common variables. */
export const translationSettingsSchema = z
  .object({
    /** Providers in order of preference, comma-separated; the next is tried when one fails or its output is flagged. */
    TRANSLATION_PROVIDERS: z
      .string()
      .default('llm')
      .transform((value) =>
        value
          .split(',')
          .map((p) => p.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.enum(PROVIDERS, { message: `each provider must be one of: ${PROVIDERS.join(', ')}` })).min(1)),
    /** The model the "llm" provider asks, through the models service. */
    TRANSLATION_MODEL: z.string().min(1).default('dev/echo'),
    MODELS_URL: env.url(['http:', 'https:'], 'an http(s) URL of the models service').default('http://127.0.0.1:4003'),
    /** A LibreTranslate server (1.6 or later), e.g. http://libretranslate:5000. */
    LIBRETRANSLATE_URL: env.url(['http:', 'https:'], 'an http(s) URL of a LibreTranslate server').optional(),
    LIBRETRANSLATE_API_KEY: z.string().optional(),
    /** Longest text translate() and detectLanguage() accept, in characters. */
    TRANSLATION_MAX_CHARS: z.coerce.number().int().min(1).default(40_000),
    /** How long a translation stays in Redis; PostgreSQL keeps it for good. */
    TRANSLATION_CACHE_TTL_SECONDS: z.coerce
      .number()
      .int()
      .min(1)
      .default(7 * 24 * 3600),
    TRANSLATION_TIMEOUT_MS: env.milliseconds(30_000),
    /** MAX_CONCURRENT_REQUESTS, MAX_QUEUED_REQUESTS, MAX_QUEUE_WAIT_MS: the service's admission control (libs/runtime). */
    ...subgraphAdmissionSettings,
    /** BODY_TIMEOUT_MS: how long a request's body may take to arrive (libs/runtime's HTTP shell). */
    ...httpServiceSettings,
  })
  .superRefine((settings, context) => {
    if (settings.TRANSLATION_PROVIDERS.includes('libretranslate') && !settings.LIBRETRANSLATE_URL) {
      context.addIssue({
        code: 'custom',
        path: ['LIBRETRANSLATE_URL'],
        message: 'required when TRANSLATION_PROVIDERS includes libretranslate',
      });
    }
  });

export type TranslationSettings = z.infer<typeof translationSettingsSchema>;
