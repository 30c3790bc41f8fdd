import type { Metrics } from '@parley/telemetry';
import { RateLimitedError } from '@parley/errors';
import { createRedisFallback, type FallbackLogger } from '@parley/pubsub';
import type Redis from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

export interface AuthRateLimitSettings {
  loginAttemptsPerAccount: number;
  loginAttemptsPerIp: number;
  loginWindowSeconds: number;
  registrationsPerIp: number;
  registrationWindowSeconds: number;
}

export interface AuthRateLimits {
  /** Counts one login attempt (not one request: ten aliased logins are ten attempts). */
  loginAttempt(email: string, ip: string): Promise<void>;
  /** A successful login clears the account's counter, so its owner is never locked out by their own typos later. */
  loginSucceeded(email: string): Promise<void>;
  registrationAttempt(email: string, ip: string): Promise<void>;
}

/** One counter: consumes a point of `key` (rejecting with RateLimiterRes when none is left), or forgets `key`. */
interface Limiter {
  consume(key: string): Promise<unknown>;
  delete(key: string): Promise<unknown>;
}

/**
 * Login and registration limits per account and per client address. On Redis
 * they hold across every users replica (and so across every gateway); in
 * embedded mode they live in memory. While Redis is unreachable each users
 * process counts on its own, with the same limits: guessing passwords stays
 * limited, and nobody is refused a sign-in for an outage.
 */
export function createAuthRateLimits({
  redis,
  namespace,
  settings,
  logger,
  metrics,
}: {
  redis: Redis | null;
  namespace: string;
  settings: AuthRateLimitSettings;
  logger: FallbackLogger;
  /** Counts the refusals, as the gateway counts its own. */
  metrics: Metrics;
}): AuthRateLimits {
  const fallback = redis
    ? createRedisFallback({ redis, use: 'sign-in and registration limits', fallback: 'are counted in each users process', logger })
    : null;
  const limiter = (name: string, points: number, duration: number): Limiter => {
    const local = new RateLimiterMemory({ keyPrefix: name, points, duration });
    if (!redis || !fallback) return local;
    const shared = new RateLimiterRedis({ storeClient: redis, keyPrefix: `${namespace}rl:${name}`, points, duration });
    return {
      consume: (key) =>
        fallback.run(
          () => shared.consume(key),
          () => local.consume(key),
        ),
      delete: (key) =>
        fallback.run(
          () => shared.delete(key),
          () => local.delete(key),
        ),
    };
  };
  const loginByAccount = limiter('login-account', settings.loginAttemptsPerAccount, settings.loginWindowSeconds);
  const loginByIp = limiter('login-ip', settings.loginAttemptsPerIp, settings.loginWindowSeconds);
  const registerByIp = limiter('register-ip', settings.registrationsPerIp, settings.registrationWindowSeconds);
  const registerByAccount = limiter('register-account', 5, settings.registrationWindowSeconds);

  async function consume(limit: Limiter, key: string, what: string): Promise<void> {
    try {
      await limit.consume(key);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      const seconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      metrics.edge.refusals.inc({ service: 'users', reason: 'rate_limited' });
      throw new RateLimitedError(`Too many ${what}; try again in ${seconds} seconds.`, seconds);
    }
  }

  return {
    async loginAttempt(email, ip) {
      await consume(loginByIp, ip, 'sign-in attempts from your address');
      await consume(loginByAccount, email, 'sign-in attempts for this account');
    },
    async loginSucceeded(email) {
      await loginByAccount.delete(email);
    },
    async registrationAttempt(email, ip) {
      await consume(registerByIp, ip, 'registrations from your address');
      await consume(registerByAccount, email, 'registration attempts for this e-mail address');
    },
  };
}
