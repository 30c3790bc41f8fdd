import { API_KEY_TOKEN_PATH, remoteAccessTokenVerifier, type RevokedSessions } from '@parley/auth';
import { internalCredential, retryingFetch, type Clock } from '@parley/runtime';
import { createAuthenticator } from './auth/request-authentication';
import { createGateway, type Gateway, type GatewayOptions } from './gateway-server';

export { createGateway, type Gateway, type GatewayOptions } from './gateway-server';
export {
  defaultGatewayProtection,
  gatewayProtectionFrom,
  gatewayProtectionSettingsSchema,
  type GatewayProtection,
} from './config/protection-settings';
export { createMemoryRateLimiter, createRedisRateLimiter, type RateLimiter } from './http/rate-limiter';
export { createRedisKeyValueCache } from './operations/redis-key-value-cache';
export { attachWebSocketServer, defaultWebSocketLimits } from './subscriptions/websocket-server';

export interface GatewayAssembly extends Omit<GatewayOptions, 'authenticate' | 'revokedSessions'> {
  /** The users service's base URL: its JWKS verifies access tokens, and API keys are traded there. */
  usersUrl: string;
  /** What every access token must carry. */
  auth: { issuer: string; audience: string };
  /** Token expiry is judged on this clock (the embedded platform's, a test's); the system's otherwise. */
  clock?: Clock;
  /**
   * The process's ended sessions (`createRevokedSessions` of @parley/auth, started): their tokens are refused and
   * their WebSockets closed with 4403 at once, on every replica.
   */
  revokedSessions: RevokedSessions;
}

/**
 * A Parley gateway wired to its users service, as the services-mode entry point,
 * the embedded platform, the suites and the benchmarks all build it: one place
 * decides how a request's credentials are checked.
 */
export function assembleGateway({ usersUrl, auth, clock, revokedSessions, ...options }: GatewayAssembly): Promise<Gateway> {
  // A users service restarting is waited for within each call's own bound (3 s for the keys and for an API
  // key's trade), not reported at once; a trade, a POST, is sent again only when it never left.
  const usersFetch = retryingFetch({ budgetMs: 3_000 });
  return createGateway({
    ...options,
    revokedSessions,
    authenticate: createAuthenticator({
      verifier: remoteAccessTokenVerifier({
        jwksUrl: new URL('/.well-known/jwks.json', usersUrl).toString(),
        issuer: auth.issuer,
        audience: auth.audience,
        ...(clock && { now: () => clock.now() }),
        jwksFetch: usersFetch,
        revokedSessions,
      }),
      apiKeyTokenUrl: new URL(API_KEY_TOKEN_PATH, usersUrl).toString(),
      internalHeaders: internalCredential(options.internalToken).headers,
      fetcher: usersFetch,
    }),
  });
}
