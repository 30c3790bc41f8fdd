import { RateLimitedError } from '@parley/errors';
import type Redis from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

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

/**
 * Login and registration limits per account and per client address. On Redis
 * they hold across every users replica (and so across every gateway); in
 * embedded mode they live in memory.
 */
export function createAuthRateLimits({
  redis,
  namespace,
  settings,
}: {
  redis: Redis | null;
  namespace: string;
  settings: AuthRateLimitSettings;
}): AuthRateLimits {
  const limiter = (name: string, points: number, duration: number): RateLimiterAbstract =>
    redis
      ? new RateLimiterRedis({ storeClient: redis, keyPrefix: `${namespace}rl:${name}`, points, duration })
      : new RateLimiterMemory({ keyPrefix: name, points, duration });
  const loginByAccount = limiter('login-account', settings.loginAttemptsPerAccount, settings.loginWindowSeconds);
  const loginByIp = limiter('login-ip', settings.loginAttemptsPerIp, settings.loginWindowSeconds);
  const registerByIp = limiter('register-ip', settings.registrationsPerIp, settings.registrationWindowSeconds);
  const registerByAccount = limiter('register-account', 5, settings.registrationWindowSeconds);

  async function consume(limit: RateLimiterAbstract, key: string, what: string): Promise<void> {
    try {
      await limit.consume(key);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      const seconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
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
