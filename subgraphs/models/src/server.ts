import type { GraphQLResolverMap } from '@apollo/subgraph';
import { createSubgraphServer, type SubgraphServer } from '@parley/runtime';
import type { SubgraphDefinition, SubgraphDependencies } from '@parley/service-host';
import DataLoader from 'dataloader';
import { moderationRoute } from './api/moderation-route';
import { openAIRoutes } from './api/openai-routes';
import { createCompletions, type Completions } from './completions';
import type { ModelsContext } from './context';
import { ModelSchema } from './entities/model';
import { UsageRecordSchema } from './entities/usage-record';
import { migrations } from './migrations';
import { createModelCatalog } from './model-catalog';
import { createModerations } from './moderations';
import { modelsSettingsSchema, type ModelsSettings } from './models-settings';
import type { ChatProvider } from './providers/chat-provider';
import { createDevModerationProvider } from './providers/dev-moderation-provider';
import { createDevProvider } from './providers/dev-provider';
import type { ModerationProvider } from './providers/moderation-provider';
import { createNodeHttpFetch } from './providers/node-http-fetch';
import { createOpenAIModerationProvider } from './providers/openai-moderation-provider';
import { createOpenAIProvider } from './providers/openai-provider';
import { resolvers } from './resolvers';
import { createDeploymentStates, type DeploymentStates } from './routing/deployment-state';
import { startHealthChecks } from './routing/health-checks';
import { createRouter, defaultRetryPolicy } from './routing/router';
import { createStrategies } from './routing/strategies';
import { typeDefs } from './schema';
import { createMemoryBudgets, createRedisBudgets, type Budgets } from './usage/budgets';
import { recordedSpendingIn, withRecordedSpendingFallback } from './usage/budgets-without-redis';
import { createMemoryResponseCache, createRedisResponseCache } from './usage/response-cache';
import { createUsageRecorder } from './usage/usage-recorder';
import { createUsageReports } from './usage/usage-report';

export interface ModelsService {
  server: SubgraphServer;
  completions: Completions;
  /** What each user has spent against their limits (what myBudget reads). */
  budgets: Budgets;
  states: DeploymentStates;
  checkHealthNow(): Promise<void>;
  stop(): Promise<void>;
  flush(): Promise<void>;
}

/**
 * The models service: the catalog (subgraph), the router over every
 * configured deployment, budgets and usage records, and the OpenAI-compatible
 * HTTP API every model call in Parley goes through.
 */
export async function createModelsService(
  { orm, bus, redis, namespace, logger, verifier, readiness, clock, telemetry, internalToken }: SubgraphDependencies,
  settings: ModelsSettings,
): Promise<ModelsService> {
  const { config } = settings;
  const catalog = createModelCatalog({ orm, clock });
  await catalog.sync(config);

  const http = createNodeHttpFetch();
  const providers = new Map<string, ChatProvider>(
    config.deployments.map((d) => [
      d.id,
      d.provider === 'dev'
        ? createDevProvider(d)
        : createOpenAIProvider({
            baseUrl: d.baseUrl!,
            apiKey: settings.apiKeys.get(d.id) || 'none',
            upstreamModel: d.upstreamModel!,
            timeoutMs: d.timeoutMs,
            fetch: http.fetch,
          }),
    ]),
  );
  const moderationProviders = new Map<string, ModerationProvider>(
    config.deployments.map((d) => [
      d.id,
      d.provider === 'dev'
        ? createDevModerationProvider({ flagWord: settings.moderation.devFlagWord })
        : createOpenAIModerationProvider({
            baseUrl: d.baseUrl!,
            apiKey: settings.apiKeys.get(d.id) || 'none',
            upstreamModel: d.upstreamModel!,
            timeoutMs: d.timeoutMs,
            fetch: http.fetch,
          }),
    ]),
  );
  // One clock for every window the service keeps: circuits, Retry-After pauses, budgets, cache entries.
  const millis = () => clock.now().getTime();
  const states = createDeploymentStates(
    config.deployments.map((d) => d.id),
    settings.circuit,
    millis,
  );
  telemetry.metrics.onScrape(() => {
    for (const { id } of config.deployments) {
      const state = states.get(id);
      telemetry.metrics.genAi.breakerOpen.set({ deployment: id }, state.breaker.state() === 'open' ? 1 : 0);
      telemetry.metrics.genAi.deploymentHealthy.set({ deployment: id }, state.healthy ? 1 : 0);
    }
  });
  const router = createRouter({
    config,
    providers,
    states,
    strategies: createStrategies(states),
    retry: { ...defaultRetryPolicy, ...settings.retry },
    logger,
    now: millis,
  });
  const health = startHealthChecks({
    deployments: config.deployments,
    providers,
    states,
    intervalMs: settings.healthCheckIntervalMs,
    logger,
  });
  const now = () => clock.now();
  telemetry.metrics.genAi.budgetLimitUsd.set({ period: 'day' }, settings.budgets.dailyUsd);
  telemetry.metrics.genAi.budgetLimitUsd.set({ period: 'month' }, settings.budgets.monthlyUsd);
  const budgets = redis
    ? withRecordedSpendingFallback({
        budgets: createRedisBudgets({ redis, namespace, limits: settings.budgets, now }),
        redis,
        recorded: recordedSpendingIn(orm),
        limits: settings.budgets,
        now,
        logger,
      })
    : createMemoryBudgets({ limits: settings.budgets, now });
  const usage = createUsageRecorder({ orm, bus, budgets, logger, now });
  const completions = createCompletions({
    router,
    budgets,
    cache: redis
      ? createRedisResponseCache({ redis, namespace, ttlSeconds: settings.responseCacheTtlSeconds, logger })
      : createMemoryResponseCache({ ttlSeconds: settings.responseCacheTtlSeconds, now: millis }),
    usage,
    logger,
    metrics: telemetry.metrics,
    now: millis,
  });
  const moderations = createModerations({
    router,
    providers: moderationProviders,
    states,
    defaultModel: settings.moderation.defaultModel,
    logger,
    now: millis,
  });
  const healthy = (modelId: string) => config.deployments.some((d) => d.model === modelId && states.available(d.id, millis()));

  const server = await createSubgraphServer<ModelsContext>({
    name: 'models',
    admission: settings.admission,
    bodyTimeoutMs: settings.bodyTimeoutMs,
    typeDefs,
    resolvers: resolvers as GraphQLResolverMap<ModelsContext>,
    logger,
    readiness,
    telemetry,
    verifier,
    internalToken,
    routes: {
      ...openAIRoutes({ completions, router, verifier, internalToken, logger }),
      ...moderationRoute({ moderations, verifier, internalToken, logger }),
    },
    context: (viewer, { requestId, logger: requestLogger }) => {
      const em = orm.em.fork();
      const reports = createUsageReports({ em });
      return {
        viewer,
        requestId,
        logger: requestLogger,
        catalog,
        reports,
        budgets,
        budgetLimits: settings.budgets,
        healthy,
        loaders: {
          model: new DataLoader(async (ids) => {
            const byId = new Map((await catalog.findByIds(ids)).map((m) => [m.id, m]));
            return ids.map((id) => byId.get(id) ?? null);
          }),
          messageUsage: viewer
            ? new DataLoader(async (ids) => {
                const usage = await reports.forMessages(ids, viewer.userId);
                return ids.map((id) => usage.get(id) ?? null);
              })
            : null,
        },
      };
    },
  });
  return {
    server,
    completions,
    budgets,
    states,
    checkHealthNow: health.checkNow,
    stop: async () => health.stop(),
    // After HTTP has drained: a reply streaming at SIGTERM settles and records its usage once it has ended.
    flush: async () => {
      await completions.settled();
      await usage.stop();
      http.close();
    },
  };
}

export const modelsSubgraph: SubgraphDefinition<ModelsService, ModelsSettings> = {
  name: 'models',
  defaultPort: 4003,
  schemaName: 'models',
  entities: [ModelSchema, UsageRecordSchema],
  migrations,
  settings: modelsSettingsSchema,
  create: createModelsService,
};
