import type { Metrics } from '@parley/telemetry';
import { RateLimitedError } from '@parley/errors';
import { createRedisFallback, type FallbackLogger } from '@parley/pubsub';
import type Redis from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

export interface AuthRateLimitSettings {
  /** Sign-in attempts for one account from one client address. */
  loginAttemptsPerAccount: number;
  /** Sign-in attempts for one account from all addresses together: the ceiling on guessing spread over many machines. */
  loginAttemptsPerAccountAllAddresses: number;
  loginAttemptsPerIp: number;
  loginWindowSeconds: number;
  /** Password changes with a wrong current password, per account. */
  passwordChangeAttemptsPerAccount: number;
  passwordChangeWindowSeconds: number;
  registrationsPerIp: number;
  registrationWindowSeconds: number;
}

export interface AuthRateLimits {
  /** Counts one login attempt (not one request: ten aliased logins are ten attempts). */
  loginAttempt(email: string, ip: string): Promise<void>;
  /**
   * A successful login clears the account's counter at that address, so its owner is never locked out by their own
   * typos later, and gives back its point of the ceiling across addresses (which only guesses should fill).
   */
  loginSucceeded(email: string, ip: string): Promise<void>;
  /** Counts one password change before its current password is checked. */
  passwordChangeAttempt(userId: string): Promise<void>;
  /** The current password was right: the attempt was no guess, and its point is given back. */
  passwordChangeVerified(userId: string): Promise<void>;
  registrationAttempt(email: string, ip: string): Promise<void>;
}

/** One counter: consumes a point of `key` (rejecting with RateLimiterRes when none is left), gives one back, or forgets `key`. */
interface Limiter {
  consume(key: string): Promise<unknown>;
  reward(key: string): Promise<unknown>;
  delete(key: string): Promise<unknown>;
}

/**
 * Login, password-change and registration limits per account and per client
 * address. On Redis they hold across every users replica (and so across every
 * gateway); in embedded mode they live in memory. While Redis is unreachable each users
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
      reward: (key) =>
        fallback.run(
          () => shared.reward(key),
          () => local.reward(key),
        ),
      delete: (key) =>
        fallback.run(
          () => shared.delete(key),
          () => local.delete(key),
        ),
    };
  };
  const loginByAccountAndIp = limiter('login-account-ip', settings.loginAttemptsPerAccount, settings.loginWindowSeconds);
  const loginByAccount = limiter('login-account', settings.loginAttemptsPerAccountAllAddresses, settings.loginWindowSeconds);
  const loginByIp = limiter('login-ip', settings.loginAttemptsPerIp, settings.loginWindowSeconds);
  const registerByIp = limiter('register-ip', settings.registrationsPerIp, settings.registrationWindowSeconds);
  const registerByAccount = limiter('register-account', 5, settings.registrationWindowSeconds);
  const passwordChangeByAccount = limiter(
    'password-change',
    settings.passwordChangeAttemptsPerAccount,
    settings.passwordChangeWindowSeconds,
  );
  // Addresses hold no space, so the first one ends the address whatever the (unchecked) e-mail holds.
  const accountAtAddress = (email: string, ip: string) => `${ip} ${email}`;

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
      // Per account and address: someone guessing from one machine locks only that machine out, not the owner
      // signing in from theirs. An address already refused here spends nothing of the account's ceiling.
      await consume(loginByAccountAndIp, accountAtAddress(email, ip), 'sign-in attempts for this account');
      await consume(loginByAccount, email, 'sign-in attempts for this account from many addresses');
    },
    async loginSucceeded(email, ip) {
      await loginByAccountAndIp.delete(accountAtAddress(email, ip));
      await loginByAccount.reward(email);
    },
    async passwordChangeAttempt(userId) {
      await consume(passwordChangeByAccount, userId, 'password change attempts for this account');
    },
    async passwordChangeVerified(userId) {
      await passwordChangeByAccount.reward(userId);
    },
    async registrationAttempt(email, ip) {
      await consume(registerByIp, ip, 'registrations from your address');
      await consume(registerByAccount, email, 'registration attempts for this e-mail address');
    },
  };
}
