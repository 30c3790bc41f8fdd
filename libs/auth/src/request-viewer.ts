import type { AccessTokenVerifier } from './access-token-verifier';
import { bearerTokenFrom } from './bearer-token';
import type { Viewer } from './viewer';

/**
 * The viewer of a request: null when it carries no Authorization header,
 * rejects with UnauthenticatedError when it carries a bad one. Each subgraph
 * calls this again on the header the gateway forwarded (zero trust).
 */
export async function viewerFromAuthorization(
  header: string | string[] | undefined,
  verifier: AccessTokenVerifier,
): Promise<Viewer | null> {
  const token = bearerTokenFrom(Array.isArray(header) ? header[0] : header);
  return token === undefined ? null : verifier.verify(token);
}
