import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { createAccessTokenVerifier, remoteKeySet } from '@parley/auth';
import { createSubgraphServer, type SubgraphServer } from '@parley/runtime';
import type { SubgraphDefinition, SubgraphDependencies } from '@parley/service-host';
import { z } from 'zod';
import type { TranslationContext } from './context';
import { LanguageSchema } from './entities/language';
import { migrations } from './migrations';
import { resolvers } from './resolvers';
import { typeDefs } from './schema';

export interface TranslationService {
  server: SubgraphServer;
}

/** The translation subgraph: the languages Parley translates between. */
export async function createTranslationService({ orm, logger, auth, readiness, clock }: SubgraphDependencies): Promise<TranslationService> {
  const verifier = createAccessTokenVerifier({ keys: remoteKeySet(auth.jwksUrl), ...auth, now: () => clock.now() });
  const server = await createSubgraphServer<TranslationContext>({
    name: 'translation',
    typeDefs,
    resolvers: resolvers as GraphQLResolverMap<TranslationContext>,
    logger,
    readiness,
    verifier,
    context: (viewer, { requestId, logger: requestLogger }) => ({
      viewer,
      requestId,
      logger: requestLogger,
      em: orm.em.fork(),
    }),
  });
  return { server };
}

export const translationSubgraph: SubgraphDefinition<TranslationService> = {
  name: 'translation',
  defaultPort: 4004,
  schemaName: 'translation',
  entities: [LanguageSchema],
  migrations,
  settings: z.object({}),
  create: createTranslationService,
};
