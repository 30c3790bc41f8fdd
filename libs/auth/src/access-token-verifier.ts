import { UnauthenticatedError, UpstreamUnavailableError } from '@parley/errors';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  errors,
  jwksCache,
  jwtVerify,
  type ExportedJWKSCache,
  type JWTVerifyGetKey,
} from 'jose';
import { SESSION_ENDED, type RevokedSessionCheck } from './revoked-sessions';
import { ACCESS_TOKEN_ALGORITHMS, ACCESS_TOKEN_TYPE, type AccessTokenSettings } from './token-claims';
import type { Viewer } from './viewer';

export interface AccessTokenVerifier {
  /**
   * Resolves with the viewer, or rejects with UnauthenticatedError saying what
   * is wrong with the token, or with UpstreamUnavailableError (retriable) when
   * the keys to check it with cannot be had right now.
   */
  verify(token: string): Promise<Viewer>;
}

export interface VerifierOptions extends AccessTokenSettings {
  /** Where public keys come from: a remote JWKS, or the users service's own key set. */
  keys: JWTVerifyGetKey;
  /** Seconds of clock skew tolerated on exp/nbf. */
  clockToleranceSeconds?: number;
  now?: () => Date;
  /**
   * How many verified tokens to remember until they expire. A person sends
   * many requests with one token; an ES256 verification costs ~140 µs of CPU
   * (bench/token-verification), a lookup almost nothing. 0 turns it off.
   */
  cacheSize?: number;
  /**
   * Sessions that ended (logout, a password change, a replayed refresh token): a token of one is refused although
   * its signature and expiry are good. Checked after the signature and on every remembered answer too, so an answer
   * remembered before the session ended does not outlive it. A token without a session (an API key's) is not
   * checked. Every host passes its process's set (`createRevokedSessions`); without one, tokens live until `exp`.
   */
  revokedSessions?: RevokedSessionCheck;
}

export function createAccessTokenVerifier({
  keys,
  issuer,
  audience,
  clockToleranceSeconds = 5,
  now,
  cacheSize = 10_000,
  revokedSessions,
}: VerifierOptions): AccessTokenVerifier {
  // Insertion-ordered: the oldest entry is evicted first, and a hit moves to the end.
  const verified = new Map<string, { viewer: Viewer; expiresAt: number; notBefore: number }>();
  const currentSeconds = () => (now ? now() : new Date()).getTime() / 1000;
  /** One Map lookup: the price of every request, remembered or not. */
  const ended = (viewer: Viewer) => viewer.sessionId !== null && revokedSessions?.has(viewer.sessionId) === true;
  return {
    async verify(token) {
      const cached = verified.get(token);
      if (cached) {
        const at = currentSeconds();
        if (at < cached.expiresAt + clockToleranceSeconds && at >= cached.notBefore - clockToleranceSeconds) {
          verified.delete(token);
          if (ended(cached.viewer)) throw new UnauthenticatedError(SESSION_ENDED);
          verified.set(token, cached);
          return { ...cached.viewer, roles: [...cached.viewer.roles], scopes: cached.viewer.scopes && [...cached.viewer.scopes] };
        }
        verified.delete(token);
      }
      let viewer: Viewer;
      let expiresAt: number;
      let notBefore: number;
      try {
        const { payload } = await jwtVerify(token, keys, {
          algorithms: [...ACCESS_TOKEN_ALGORITHMS],
          issuer,
          audience,
          typ: ACCESS_TOKEN_TYPE,
          clockTolerance: clockToleranceSeconds,
          requiredClaims: ['sub', 'jti', 'exp', 'iat'],
          ...(now ? { currentDate: now() } : {}),
        });
        const strings = (value: unknown) => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);
        const scope = payload['scope'];
        viewer = {
          userId: payload.sub!,
          roles: strings(payload['roles']),
          tokenId: payload.jti!,
          sessionId: typeof payload['sid'] === 'string' ? payload['sid'] : null,
          scopes: typeof scope === 'string' ? scope.split(' ').filter(Boolean) : null,
          apiKeyId: typeof payload['akid'] === 'string' ? payload['akid'] : null,
        };
        expiresAt = payload.exp!;
        notBefore = payload.nbf ?? 0;
      } catch (error) {
        if (error instanceof UpstreamUnavailableError) throw error;
        if (error instanceof errors.JWKSTimeout) throw keysUnavailable(error);
        throw new UnauthenticatedError(explain(error));
      }
      if (ended(viewer)) throw new UnauthenticatedError(SESSION_ENDED);
      if (cacheSize > 0) {
        if (verified.size >= cacheSize) verified.delete(verified.keys().next().value!);
        verified.set(token, { viewer, expiresAt, notBefore });
      }
      return { ...viewer, roles: [...viewer.roles], scopes: viewer.scopes && [...viewer.scopes] };
    },
  };
}

/** jose gives every failure a stable class; each becomes a sentence a person can act on. */
function explain(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'The access token has expired; refresh it and try again.';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return 'The access token is not valid yet.';
    return `The access token's "${error.claim}" claim is not accepted here (${error.reason}).`;
  }
  if (error instanceof errors.JOSEAlgNotAllowed)
    return `The access token is signed with an algorithm that is not accepted; use ${ACCESS_TOKEN_ALGORITHMS.join(', ')}.`;
  if (error instanceof errors.JWKSNoMatchingKey) return 'The access token was signed with an unknown key.';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'The access token signature is invalid.';
  if (error instanceof errors.JOSENotSupported) return 'The access token could not be verified right now.';
  if (error instanceof errors.JWTInvalid || error instanceof errors.JWSInvalid) return 'The access token is malformed.';
  if (error instanceof errors.JOSEError) return `The access token was refused (${error.code}).`;
  return 'The access token could not be verified.';
}

/** Not the token's fault: the caller may send the same token again shortly (503, not 401). */
function keysUnavailable(cause: unknown): UpstreamUnavailableError {
  return new UpstreamUnavailableError(
    'Access tokens cannot be checked right now: the signing keys could not be fetched. Try again shortly.',
    {},
    { cause },
  );
}

/**
 * Whether a key lookup failed because the key set could not be fetched: no
 * answer in time (JWKSTimeout), no connection (fetch's own TypeError), an
 * answer other than 200 or not JSON (jose's plain JOSEError), or a set that is
 * not a JWKS. What a token can cause (no key matches its kid, several do, an
 * algorithm the key does not support) is refused as the token's.
 */
function isFetchFailure(error: unknown): boolean {
  if (!(error instanceof errors.JOSEError)) return true;
  return error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || error.code === 'ERR_JOSE_GENERIC';
}

/**
 * Public keys fetched from the users service and cached. A token naming a kid
 * the cache lacks triggers a refetch at once (a key was rotated), even inside
 * jose's cooldown, but at most once per unknown kid every few seconds, so
 * tokens with made-up kids cannot turn the gateway into a JWKS flood. When the
 * set cannot be fetched, the lookup rejects with UpstreamUnavailableError.
 *
 * Keys already fetched outlive a failed refresh: every `maxAgeMs` jose fetches
 * the set again before the next verification, and a users service restarting
 * at that moment would otherwise make every service refuse every token it
 * could verify a moment before. The last set fetched is used for up to
 * `staleIfErrorMs` more while the refresh fails (a key retired in that time
 * stays accepted until users can be reached again: rotation adds keys before
 * it retires any, and tokens live minutes). A kid that set lacks is still
 * UPSTREAM_UNAVAILABLE, not the token's fault: the key may be newer.
 */
export function remoteKeySet(
  jwksUrl: string,
  {
    unknownKidRetrySeconds = 5,
    timeoutMs = 3000,
    maxAgeMs = 10 * 60_000,
    staleIfErrorMs = 60 * 60_000,
    fetch,
  }: {
    unknownKidRetrySeconds?: number;
    timeoutMs?: number;
    maxAgeMs?: number;
    staleIfErrorMs?: number;
    /** How the set is fetched (a fetch that waits out a users restart, say); `timeoutMs` bounds it. */
    fetch?: typeof globalThis.fetch;
  } = {},
): JWTVerifyGetKey {
  // jose writes every set it fetched here, with when (`uat`).
  const fetched: Partial<ExportedJWKSCache> = {};
  const remote = createRemoteJWKSet(new URL(jwksUrl), {
    cooldownDuration: 30_000,
    cacheMaxAge: maxAgeMs,
    timeoutDuration: timeoutMs,
    [jwksCache]: fetched as Record<string, never>,
    ...(fetch && { [customFetch]: fetch }),
  });
  const lastRetry = new Map<string, number>();
  const lookup: JWTVerifyGetKey = async (header, token) => {
    try {
      return await remote(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey) || !header.kid) throw error;
      const now = Date.now();
      if (now - (lastRetry.get(header.kid) ?? 0) < unknownKidRetrySeconds * 1000) throw error;
      if (lastRetry.size > 1000) lastRetry.clear();
      lastRetry.set(header.kid, now);
      await remote.reload();
      return await remote(header, token);
    }
  };
  let stale: { uat: number; keys: JWTVerifyGetKey } | undefined;
  const lastFetched = (): JWTVerifyGetKey | null => {
    if (fetched.jwks === undefined || fetched.uat === undefined || Date.now() - fetched.uat > maxAgeMs + staleIfErrorMs) return null;
    if (stale?.uat !== fetched.uat) stale = { uat: fetched.uat, keys: createLocalJWKSet(fetched.jwks) };
    return stale.keys;
  };
  return async (header, token) => {
    try {
      return await lookup(header, token);
    } catch (error) {
      if (!isFetchFailure(error)) throw error;
      const known = lastFetched();
      if (known) {
        try {
          return await known(header, token);
        } catch {
          // Not among the keys known: it may be a newer one, which only users can tell.
        }
      }
      throw keysUnavailable(error);
    }
  };
}

export interface RemoteVerifierOptions extends AccessTokenSettings {
  /** The users service's published keys; a function when its address is known only after the verifier is built. */
  jwksUrl: string | (() => string);
  now?: () => Date;
  /** Bound on one fetch of the key set. */
  jwksTimeoutMs?: number;
  /** How long a fetched key set is used before it is fetched again (10 minutes). */
  jwksMaxAgeMs?: number;
  /** How the key set is fetched: a fetch that waits out a users restart (`retryingFetch` of @parley/runtime) in every service. */
  jwksFetch?: typeof globalThis.fetch;
  /** The process's ended sessions (`VerifierOptions.revokedSessions`). */
  revokedSessions?: RevokedSessionCheck;
}

/**
 * The verifier of a service that checks tokens against the users service's
 * JWKS: what a service host builds once per process and hands to the
 * service in its dependencies (the gateway's assembly builds its own).
 */
export function remoteAccessTokenVerifier({
  jwksUrl,
  issuer,
  audience,
  now,
  jwksTimeoutMs,
  jwksMaxAgeMs,
  jwksFetch,
  revokedSessions,
}: RemoteVerifierOptions): AccessTokenVerifier {
  const keySet = () =>
    remoteKeySet(typeof jwksUrl === 'string' ? jwksUrl : jwksUrl(), {
      ...(jwksTimeoutMs !== undefined && { timeoutMs: jwksTimeoutMs }),
      ...(jwksMaxAgeMs !== undefined && { maxAgeMs: jwksMaxAgeMs }),
      ...(jwksFetch && { fetch: jwksFetch }),
    });
  let keys = typeof jwksUrl === 'string' ? keySet() : undefined;
  return createAccessTokenVerifier({
    keys: (header, token) => (keys ??= keySet())(header, token),
    issuer,
    audience,
    ...(now && { now }),
    ...(revokedSessions && { revokedSessions }),
  });
}
