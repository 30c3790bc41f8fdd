import type { EntityManager } from '@mikro-orm/postgresql';
import type { GraphQLResolverMap } from '@apollo/subgraph';
import { API_KEY_TOKEN_PATH, createAccessTokenVerifier } from '@parley/auth';
import { BadRequestError, MethodNotAllowedError, ParleyError } from '@parley/errors';
import {
  admissionLimitsFrom,
  createSubgraphServer,
  internalCredential,
  readBody,
  sendHttpError,
  sendJson,
  type SubgraphServer,
} from '@parley/runtime';
import type { SubgraphDefinition, SubgraphDependencies } from '@parley/service-host';
import { createAccessTokenIssuer, type AccessTokenIssuer } from './access-tokens';
import { createAccounts, type Accounts } from './accounts';
import { createApiKeys, type ApiKeys } from './api-keys';
import type { UsersContext } from './context';
import { ApiKeySchema } from './entities/api-key';
import { LinkedIdentitySchema, OidcLoginAttemptSchema } from './entities/linked-identity';
import { RefreshTokenSchema, SessionSchema } from './entities/session';
import { SigningKeySchema } from './entities/signing-key';
import { UserSchema } from './entities/user';
import { createKeyEncryption } from './key-encryption';
import { migrations } from './migrations';
import { createOidcLogin } from './oidc-login';
import { createPasswordHasher } from './password-hasher';
import { createAuthRateLimits } from './rate-limits';
import { resolvers } from './resolvers';
import { typeDefs } from './schema';
import { activeUserCounts, createSessions, type SessionRevocations, type Sessions } from './sessions';
import { createSigningKeyStore, type SigningKeyStore } from './signing-keys';
import { createUserDirectory, type UserDirectory } from './user-directory';
import { createUserLoader } from './user-loader';
import { usersSettingsSchema, type UsersSettings } from './users-settings';

/** How far apart the clocks of the users service and of the processes checking its tokens may be. */
const REVOCATION_CLOCK_SKEW_SECONDS = 60;

export interface UsersService {
  server: SubgraphServer;
  tokens: AccessTokenIssuer;
  keys: SigningKeyStore;
  /** Account operations outside a request (admin tooling, tests' fixtures). */
  directory(): UserDirectory;
}

/** The users subgraph: accounts, sessions, API keys, identity providers, and the keys that sign every access token. */
export async function createUsersService(
  { orm, logger, auth, readiness, clock, redis, namespace, telemetry, revokedSessions, internalToken }: SubgraphDependencies,
  settings: UsersSettings,
): Promise<UsersService> {
  const keys = createSigningKeyStore({
    orm,
    clock,
    encryption: createKeyEncryption(settings.USERS_KEY_ENCRYPTION_KEY),
    tokenTtlSeconds: Math.max(settings.ACCESS_TOKEN_TTL_SECONDS, settings.API_KEY_TOKEN_TTL_SECONDS),
    rotationDays: settings.SIGNING_KEY_ROTATION_DAYS,
  });
  await keys.ensureActiveKey();
  telemetry.metrics.onScrape(async () => {
    const active = await activeUserCounts(orm.em.fork(), clock.now());
    telemetry.metrics.business.activeUsers.set({ window: '1h' }, active.hour);
    telemetry.metrics.business.activeUsers.set({ window: '24h' }, active.day);
  });
  // The one service that holds the keys verifies with them, not over HTTP with the host's `verifier`.
  const verifier = createAccessTokenVerifier({ keys: keys.keySet(), ...auth, now: () => clock.now(), revokedSessions });
  // An ended session's tokens are refused for as long as one of them can still be valid, with a minute to spare for
  // the clocks of the processes that check them.
  const revocations: SessionRevocations = {
    revoke: (sessionIds) => revokedSessions.revoke(sessionIds, settings.ACCESS_TOKEN_TTL_SECONDS + REVOCATION_CLOCK_SKEW_SECONDS),
  };
  const tokens = createAccessTokenIssuer({ keys, settings: auth, clock, ttlSeconds: settings.ACCESS_TOKEN_TTL_SECONDS });
  const gatewayCredential = internalCredential(internalToken);
  const hasher = await createPasswordHasher();
  const limits = createAuthRateLimits({
    redis,
    namespace,
    logger,
    metrics: telemetry.metrics,
    settings: {
      loginAttemptsPerAccount: settings.LOGIN_ATTEMPTS_PER_ACCOUNT,
      loginAttemptsPerAccountAllAddresses: settings.LOGIN_ATTEMPTS_PER_ACCOUNT_ALL_ADDRESSES,
      loginAttemptsPerIp: settings.LOGIN_ATTEMPTS_PER_IP,
      loginWindowSeconds: settings.LOGIN_WINDOW_SECONDS,
      passwordChangeAttemptsPerAccount: settings.PASSWORD_CHANGE_ATTEMPTS_PER_ACCOUNT,
      passwordChangeWindowSeconds: settings.PASSWORD_CHANGE_WINDOW_SECONDS,
      registrationsPerIp: settings.REGISTRATIONS_PER_IP,
      registrationWindowSeconds: settings.REGISTRATION_WINDOW_SECONDS,
    },
  });
  const sessionPolicy = { idleDays: settings.REFRESH_IDLE_DAYS, maxDays: settings.REFRESH_MAX_DAYS };
  const oidc = createOidcLogin({ providers: settings.OIDC_PROVIDERS, clock });

  const server = await createSubgraphServer<UsersContext>({
    name: 'users',
    admission: admissionLimitsFrom(settings),
    bodyTimeoutMs: settings.BODY_TIMEOUT_MS,
    typeDefs,
    resolvers: resolvers as GraphQLResolverMap<UsersContext>,
    logger,
    readiness,
    telemetry,
    verifier,
    internalToken,
    routes: {
      '/.well-known/jwks.json': async (_req, res) => {
        res.setHeader('cache-control', 'public, max-age=60');
        sendJson(res, 200, await keys.publicJwks());
      },
      // The gateway trades a partner's API key for a short-lived access token,
      // so that subgraphs verify one kind of credential only.
      // Only the gateway trades keys (its rate limits and admission in front): a caller on the port itself is refused.
      [API_KEY_TOKEN_PATH]: async (req, res) => {
        const notInternal = gatewayCredential.refusal(req.headers);
        if (notInternal) return sendHttpError(res, notInternal);
        if (req.method !== 'POST') return sendHttpError(res, new MethodNotAllowedError(`Use POST for ${API_KEY_TOKEN_PATH}.`));
        try {
          const { key } = JSON.parse(await readBody(req, 4096)) as { key?: unknown };
          if (typeof key !== 'string') return sendHttpError(res, new BadRequestError('Send {"key": "<api key>"}.'));
          const { apiKey, user } = await createApiKeys({ em: orm.em.fork(), clock }).authenticate(key);
          const issued = await tokens.issue({
            userId: user.id,
            roles: ['user'],
            scopes: apiKey.scopes,
            apiKeyId: apiKey.id,
            ttlSeconds: settings.API_KEY_TOKEN_TTL_SECONDS,
          });
          sendJson(res, 200, { accessToken: issued.token, expiresAt: issued.expiresAt.toISOString() });
        } catch (error) {
          // A key that is not valid or was revoked (UnauthenticatedError, 401).
          if (error instanceof ParleyError) return sendHttpError(res, error);
          throw error;
        }
      },
    },
    context: (viewer, { requestId, logger: requestLogger }, req) => {
      const userAgent = typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'] : null;
      // Built when a resolver first asks: a `me` or an owner's lookup needs only the loader, and forking the
      // EntityManager and building every account service for each request was a tenth of such a request's CPU.
      let em: EntityManager | undefined;
      let accounts: Accounts | undefined;
      let sessions: Sessions | undefined;
      let apiKeys: ApiKeys | undefined;
      const emOf = () => (em ??= orm.em.fork());
      const context: UsersContext = {
        viewer,
        signedInUserId: null,
        requestId,
        logger: requestLogger,
        origin: { ip: req.clientAddress, userAgent },
        get em() {
          return emOf();
        },
        get accounts() {
          return (accounts ??= createAccounts({
            em: emOf(),
            clock,
            hasher,
            sessionPolicy,
            tokens,
            revocations,
            limits,
            adminEmails: settings.ADMIN_EMAILS,
            metrics: telemetry.metrics,
          }));
        },
        get sessions() {
          return (sessions ??= createSessions({ em: emOf(), clock, policy: sessionPolicy, revocations }));
        },
        get apiKeys() {
          return (apiKeys ??= createApiKeys({ em: emOf(), clock }));
        },
        oidc,
        keys,
        loaders: { user: createUserLoader(createUserDirectory({ em: orm.em, clock })) },
      };
      return context;
    },
  });
  return { server, keys, tokens, directory: () => createUserDirectory({ em: orm.em.fork(), clock }) };
}

export const usersSubgraph: SubgraphDefinition<UsersService, UsersSettings> = {
  name: 'users',
  defaultPort: 4001,
  schemaName: 'users',
  entities: [UserSchema, SigningKeySchema, SessionSchema, RefreshTokenSchema, ApiKeySchema, LinkedIdentitySchema, OidcLoginAttemptSchema],
  migrations,
  settings: usersSettingsSchema,
  create: createUsersService,
};
