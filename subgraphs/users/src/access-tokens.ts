import { randomUUID } from 'node:crypto';
import { ACCESS_TOKEN_TYPE, type AccessTokenSettings } from '@parley/auth';
import type { Clock } from '@parley/runtime';
import { SignJWT } from 'jose';
import type { SigningKeyStore } from './signing-keys';

export interface IssuedAccessToken {
  token: string;
  expiresAt: Date;
}

export interface AccessTokenClaims {
  userId: string;
  roles: string[];
  /** The session (refresh-token family) it belongs to: lets a client tell which session is its own. */
  sessionId?: string;
  /** For API-key tokens: what the key may do, and which key it is. */
  scopes?: string[];
  apiKeyId?: string;
  ttlSeconds?: number;
}

export interface AccessTokenIssuer {
  issue(claims: AccessTokenClaims): Promise<IssuedAccessToken>;
}

/** Short-lived JWT access tokens (RFC 9068 profile: typ at+jwt, iss, aud, sub, jti, kid). */
export function createAccessTokenIssuer({
  keys,
  settings,
  clock,
  ttlSeconds,
}: {
  keys: SigningKeyStore;
  settings: AccessTokenSettings;
  clock: Clock;
  ttlSeconds: number;
}): AccessTokenIssuer {
  return {
    async issue({ userId, roles, sessionId, scopes, apiKeyId, ttlSeconds: ttl = ttlSeconds }) {
      const { kid, privateKey } = await keys.activeKey();
      const issuedAt = Math.floor(clock.now().getTime() / 1000);
      const expiresAt = issuedAt + ttl;
      const token = await new SignJWT({
        roles,
        ...(sessionId ? { sid: sessionId } : {}),
        ...(scopes ? { scope: scopes.join(' ') } : {}),
        ...(apiKeyId ? { akid: apiKeyId } : {}),
      })
        .setProtectedHeader({ alg: 'ES256', kid, typ: ACCESS_TOKEN_TYPE })
        .setIssuer(settings.issuer)
        .setAudience(settings.audience)
        .setSubject(userId)
        .setJti(randomUUID())
        .setIssuedAt(issuedAt)
        .setNotBefore(issuedAt)
        .setExpirationTime(expiresAt)
        .sign(privateKey);
      return { token, expiresAt: new Date(expiresAt * 1000) };
    },
  };
}
