import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { createAccessTokenVerifier, remoteKeySet } from '@parley/auth';
import { createSubgraphServer, type SubgraphServer } from '@parley/runtime';
import type { SubgraphDefinition, SubgraphDependencies } from '@parley/service-host';
import { z } from 'zod';
import { builtinModels } from './builtin-models';
import type { ModelsContext } from './context';
import { ModelSchema } from './entities/model';
import { migrations } from './migrations';
import { createModelCatalog } from './model-catalog';
import { resolvers } from './resolvers';
import { typeDefs } from './schema';

export interface ModelsService {
  server: SubgraphServer;
}

/** The models subgraph: the catalog of models a request can be routed to. */
export async function createModelsService({ orm, logger, auth, readiness, clock }: SubgraphDependencies): Promise<ModelsService> {
  await createModelCatalog({ em: orm.em.fork(), clock }).sync(builtinModels);
  const verifier = createAccessTokenVerifier({ keys: remoteKeySet(auth.jwksUrl), ...auth, now: () => clock.now() });
  const server = await createSubgraphServer<ModelsContext>({
    name: 'models',
    typeDefs,
    resolvers: resolvers as GraphQLResolverMap<ModelsContext>,
    logger,
    readiness,
    verifier,
    context: (viewer, { requestId, logger: requestLogger }) => ({
      viewer,
      requestId,
      logger: requestLogger,
      catalog: createModelCatalog({ em: orm.em.fork(), clock }),
    }),
  });
  return { server };
}

export const modelsSubgraph: SubgraphDefinition<ModelsService> = {
  name: 'models',
  defaultPort: 4003,
  schemaName: 'models',
  entities: [ModelSchema],
  migrations,
  settings: z.object({}),
  create: createModelsService,
};
