import { createAccessTokenVerifier } from '@parley/auth';
import { createSubgraphServer, sendJson, type SubgraphServer } from '@parley/runtime';
import type { SubgraphDefinition, SubgraphDependencies } from '@parley/service-host';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { createAccessTokenIssuer, type AccessTokenIssuer } from './access-tokens';
import type { UsersContext } from './context';
import { UserSchema } from './entities/user';
import { SigningKeySchema } from './entities/signing-key';
import { resolvers } from './resolvers';
import { typeDefs } from './schema';
import { createSigningKeyStore, type SigningKeyStore } from './signing-keys';
import { createUserDirectory, type UserDirectory } from './user-directory';
import { createUserLoader } from './user-loader';

import { migrations } from './migrations';

export interface UsersService {
  server: SubgraphServer;
  tokens: AccessTokenIssuer;
  keys: SigningKeyStore;
  /** Account operations outside a request (admin CLI, tests' fixtures). */
  directory(): UserDirectory;
}

/** The users subgraph: accounts, settings, and the keys that sign every access token. */
export async function createUsersService({ orm, logger, auth, readiness, clock }: SubgraphDependencies): Promise<UsersService> {
  const keys = createSigningKeyStore({ orm, clock });
  await keys.ensureActiveKey();
  const verifier = createAccessTokenVerifier({ keys: keys.keySet(), ...auth, now: () => clock.now() });
  const server = await createSubgraphServer<UsersContext>({
    name: 'users',
    typeDefs,
    resolvers: resolvers as GraphQLResolverMap<UsersContext>,
    logger,
    readiness,
    routes: {
      '/.well-known/jwks.json': async (_req, res) => {
        res.setHeader('cache-control', 'public, max-age=300');
        sendJson(res, 200, await keys.publicJwks());
      },
    },
    verifier,
    context: (viewer, { requestId, logger: requestLogger }) => {
      const users = createUserDirectory({ em: orm.em.fork(), clock });
      return { viewer, requestId, logger: requestLogger, users, loaders: { user: createUserLoader(users) } };
    },
  });
  return {
    server,
    keys,
    tokens: createAccessTokenIssuer({ keys, settings: auth, clock }),
    directory: () => createUserDirectory({ em: orm.em.fork(), clock }),
  };
}

export const usersSubgraph: SubgraphDefinition<UsersService> = {
  name: 'users',
  defaultPort: 4001,
  schemaName: 'users',
  entities: [UserSchema, SigningKeySchema],
  migrations,
  create: createUsersService,
};
