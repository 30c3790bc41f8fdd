import type { GraphQLResolverMap } from '@apollo/subgraph';
import { sqlOn } from '@parley/database';
import type { EventSubscription } from '@parley/events';
import { admissionLimitsFrom, createSubgraphServer, type SubgraphServer } from '@parley/runtime';
import type { SubgraphDefinition, SubgraphDependencies } from '@parley/service-host';
import { startAutoTranslate } from './auto-translate';
import type { TranslationContext } from './context';
import { createLanguageDetector } from './language-detector';
import { createLibreTranslateProvider } from './libretranslate-provider';
import { createLlmTranslationProvider } from './llm-translation-provider';
import { migrations } from './migrations';
import { resolvers } from './resolvers';
import { typeDefs } from './schema';
import { createTranslationCache } from './translation-cache';
import { createTranslationLoader } from './translation-loader';
import { createTranslationMetrics, type TranslationMetrics } from './translation-metrics';
import type { TranslationProvider } from './translation-provider';
import { createQualityLog } from './translation-quality-log';
import { translationSettingsSchema, type TranslationSettings } from './translation-settings';
import { createTranslator, type Translator } from './translator';

export interface TranslationService {
  server: SubgraphServer;
  translator: Translator;
  metrics: TranslationMetrics;
  stop(): Promise<void>;
}

function providersFrom(settings: TranslationSettings, internalToken: string): TranslationProvider[] {
  return settings.TRANSLATION_PROVIDERS.map((name) => {
    switch (name) {
      case 'llm':
        return createLlmTranslationProvider({
          modelsApiUrl: new URL('/v1', settings.MODELS_URL).toString(),
          internalToken,
          model: settings.TRANSLATION_MODEL,
          timeoutMs: settings.TRANSLATION_TIMEOUT_MS,
        });
      case 'libretranslate':
        return createLibreTranslateProvider({
          url: settings.LIBRETRANSLATE_URL ?? '',
          apiKey: settings.LIBRETRANSLATE_API_KEY,
          timeoutMs: settings.TRANSLATION_TIMEOUT_MS,
        });
    }
  });
}

/**
 * The translation subgraph: translate, detectLanguage, supportedLanguages and
 * `Message.translation`, over a two-tier cache; it also pre-translates
 * finished replies for users with auto-translate on.
 */
export async function createTranslationService(
  { orm, bus, redis, namespace, logger, verifier, readiness, clock, telemetry, internalToken }: SubgraphDependencies,
  settings: TranslationSettings,
): Promise<TranslationService> {
  const sql = sqlOn(orm.em.getConnection());
  const metrics = createTranslationMetrics(telemetry.metrics);
  const translator = createTranslator({
    providers: providersFrom(settings, internalToken),
    cache: createTranslationCache({
      sql,
      redis,
      namespace,
      ttlSeconds: settings.TRANSLATION_CACHE_TTL_SECONDS,
      now: () => clock.now().getTime(),
      logger,
    }),
    detector: createLanguageDetector(),
    metrics,
    quality: createQualityLog(sql),
    maxChars: settings.TRANSLATION_MAX_CHARS,
  });
  const autoTranslate: EventSubscription = await startAutoTranslate({ bus, translator, logger: logger.child({ part: 'auto-translate' }) });
  const server = await createSubgraphServer<TranslationContext>({
    name: 'translation',
    admission: admissionLimitsFrom(settings),
    bodyTimeoutMs: settings.BODY_TIMEOUT_MS,
    typeDefs,
    resolvers: resolvers as GraphQLResolverMap<TranslationContext>,
    logger,
    readiness,
    telemetry,
    verifier,
    internalToken,
    context: (viewer, { requestId, logger: requestLogger }) => ({
      viewer,
      requestId,
      logger: requestLogger,
      translator,
      translations: viewer ? createTranslationLoader(translator, viewer.userId) : null,
    }),
  });
  return { server, translator, metrics, stop: () => autoTranslate.stop() };
}

export const translationSubgraph: SubgraphDefinition<TranslationService, TranslationSettings> = {
  name: 'translation',
  defaultPort: 4004,
  schemaName: 'translation',
  entities: [],
  migrations,
  settings: translationSettingsSchema,
  create: createTranslationService,
};
