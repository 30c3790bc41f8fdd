import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { createAccessTokenVerifier, remoteKeySet } from '@parley/auth';
import { createSubgraphServer, type SubgraphServer } from '@parley/runtime';
import type { SubgraphDefinition, SubgraphDependencies } from '@parley/service-host';
import { z } from 'zod';
import { createChatLoaders } from './chat-loaders';
import type { ChatContext } from './context';
import { createConversationHistory, type ConversationHistory } from './conversation-history';
import { ConversationSchema } from './entities/conversation';
import { MessageSchema } from './entities/message';
import { migrations } from './migrations';
import { resolvers } from './resolvers';
import { typeDefs } from './schema';

export interface ChatService {
  server: SubgraphServer;
  /** Conversation operations outside a request (workers, tests' fixtures). */
  history(): ConversationHistory;
}

/** The chat subgraph: conversations and their messages. */
export async function createChatService({ orm, logger, auth, readiness, clock }: SubgraphDependencies): Promise<ChatService> {
  const verifier = createAccessTokenVerifier({ keys: remoteKeySet(auth.jwksUrl), ...auth, now: () => clock.now() });
  const server = await createSubgraphServer<ChatContext>({
    name: 'chat',
    typeDefs,
    resolvers: resolvers as GraphQLResolverMap<ChatContext>,
    logger,
    readiness,
    verifier,
    context: (viewer, { requestId, logger: requestLogger }) => {
      const history = createConversationHistory({ em: orm.em.fork(), clock });
      const loaders = viewer ? createChatLoaders(history, viewer.userId) : null;
      return { viewer, requestId, logger: requestLogger, history, loaders };
    },
  });
  return { server, history: () => createConversationHistory({ em: orm.em.fork(), clock }) };
}

export const chatSubgraph: SubgraphDefinition<ChatService> = {
  name: 'chat',
  defaultPort: 4002,
  schemaName: 'chat',
  entities: [ConversationSchema, MessageSchema],
  migrations,
  settings: z.object({}),
  create: createChatService,
};
