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

export type SignAccessToken = (claims: AccessTokenClaims) => Promise<IssuedAccessToken>;

export interface AccessTokenIssuer {
  issue(claims: AccessTokenClaims): Promise<IssuedAccessToken>;
  /**
   * A signer bound to the current key, fetched now: inside a database transaction signing must not need the
   * database (embedded mode has a single connection, held by the transaction).
   */
  prepare(): Promise<SignAccessToken>;
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
  async function prepare(): Promise<SignAccessToken> {
    const { kid, privateKey } = await keys.activeKey();
    return async ({ userId, roles, sessionId, scopes, apiKeyId, ttlSeconds: ttl = ttlSeconds }) => {
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
    };
  }
  return {
    prepare,
    issue: async (claims) => (await prepare())(claims),
  };
}
