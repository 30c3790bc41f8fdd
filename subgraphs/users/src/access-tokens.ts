import { randomUUID } from 'node:crypto';
import { ACCESS_TOKEN_TYPE, type AccessTokenSettings } from '@parley/auth';
import type { Clock } from '@parley/runtime';
import { SignJWT } from 'jose';
import type { User } from './entities/user';
import type { SigningKeyStore } from './signing-keys';

export interface IssuedAccessToken {
  token: string;
  expiresAt: Date;
}

export interface AccessTokenIssuer {
  issue(user: Pick<User, 'id' | 'roles'>): Promise<IssuedAccessToken>;
}

/** Short-lived JWT access tokens (RFC 9068 profile: typ at+jwt, iss, aud, sub, jti). */
export function createAccessTokenIssuer({
  keys,
  settings,
  clock,
  ttlSeconds = 15 * 60,
}: {
  keys: SigningKeyStore;
  settings: AccessTokenSettings;
  clock: Clock;
  ttlSeconds?: number;
}): AccessTokenIssuer {
  return {
    async issue(user) {
      const { kid, privateKey } = await keys.activeKey();
      const issuedAt = Math.floor(clock.now().getTime() / 1000);
      const expiresAt = issuedAt + ttlSeconds;
      const token = await new SignJWT({ roles: user.roles })
        .setProtectedHeader({ alg: 'ES256', kid, typ: ACCESS_TOKEN_TYPE })
        .setIssuer(settings.issuer)
        .setAudience(settings.audience)
        .setSubject(user.id)
        .setJti(randomUUID())
        .setIssuedAt(issuedAt)
        .setNotBefore(issuedAt)
        .setExpirationTime(expiresAt)
        .sign(privateKey);
      return { token, expiresAt: new Date(expiresAt * 1000) };
    },
  };
}
