import { bearerTokenFrom, type AccessTokenVerifier, type Viewer } from '@parley/auth';
import { UnauthenticatedError, UpstreamUnavailableError } from '@parley/errors';

export interface Authentication {
  viewer: Viewer | null;
  /** What the subgraphs receive: the caller's own access token, or the one an API key was traded for. */
  authorization: string | undefined;
}

export type Authenticate = (header: string | undefined) => Promise<Authentication>;

/**
 * Turns a request's Authorization header into a viewer, once per request and
 * before any planning. Access tokens are verified here; API keys (`pk_…`) are
 * traded with the users service for a short-lived access token carrying the
 * key's scopes, so every subgraph verifies one kind of credential only.
 */
export function createAuthenticator({
  verifier,
  apiKeyTokenUrl,
  internalHeaders,
  fetcher = fetch,
}: {
  verifier: AccessTokenVerifier;
  apiKeyTokenUrl: string;
  /** The internal credential: the users service trades keys for Parley's gateway only. */
  internalHeaders: Readonly<Record<string, string>>;
  fetcher?: typeof fetch;
}): Authenticate {
  return async (header) => {
    const token = bearerTokenFrom(header);
    if (token === undefined) return { viewer: null, authorization: undefined };
    if (!token.startsWith('pk_')) return { viewer: await verifier.verify(token), authorization: header };
    let response: Response;
    try {
      response = await fetcher(apiKeyTokenUrl, {
        method: 'POST',
        headers: { ...internalHeaders, 'content-type': 'application/json' },
        body: JSON.stringify({ key: token }),
        signal: AbortSignal.timeout(3000),
      });
    } catch (error) {
      throw new UpstreamUnavailableError('API keys cannot be checked right now; try again shortly.', {}, { cause: error });
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      if (response.status === 401) throw new UnauthenticatedError('This API key is not valid or was revoked.');
      throw new UpstreamUnavailableError('API keys cannot be checked right now; try again shortly.');
    }
    let accessToken: unknown;
    try {
      ({ accessToken } = (await response.json()) as { accessToken?: unknown });
    } catch (error) {
      throw new UpstreamUnavailableError('API keys cannot be checked right now; try again shortly.', {}, { cause: error });
    }
    if (typeof accessToken !== 'string') throw new UpstreamUnavailableError('API keys cannot be checked right now; try again shortly.');
    return { viewer: await verifier.verify(accessToken), authorization: `Bearer ${accessToken}` };
  };
}
