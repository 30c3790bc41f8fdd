import type { IncomingMessage } from 'node:http';
import { bearerTokenFrom, hasScope, type AccessTokenVerifier } from '@parley/auth';
import { ForbiddenError, UnauthenticatedError } from '@parley/errors';
import { INTERNAL_CREDENTIAL_HEADER, internalCredential } from '@parley/runtime';

export const INTERNAL_USER_HEADER = 'x-parley-user-id';

/** Who is calling /v1: the user it is for, and the API key when one was used. */
export interface Caller {
  userId: string;
  apiKeyId: string | null;
  /** Another Parley service (the internal token), trusted to say which chat message a request is for. */
  internal: boolean;
}

/**
 * The one rule for every /v1 route: another Parley service with the internal
 * token as its bearer, naming the user it acts for; or a person's or an API
 * key's access token (an API key needs the "models" scope) relayed by the
 * gateway, which presents the internal credential beside it. A token sent to
 * this port by anyone else is refused: the gateway's rate limits, admission
 * and address checks are in front of /v1, and a caller on the port would skip
 * them. Rejects with an UnauthenticatedError (401) or a ForbiddenError (403:
 * a wrong credential, or a key without the scope).
 */
export function createCallerAuth({
  verifier,
  internalToken,
}: {
  verifier: AccessTokenVerifier;
  internalToken: string;
}): (req: IncomingMessage) => Promise<Caller> {
  const credential = internalCredential(internalToken);
  return async function caller(req) {
    const token = bearerTokenFrom(req.headers.authorization);
    if (token === undefined) throw new UnauthenticatedError('Send an access token or API key as "Authorization: Bearer …".');
    if (credential.refusal({ [INTERNAL_CREDENTIAL_HEADER]: token }) === null) {
      const userId = req.headers[INTERNAL_USER_HEADER];
      if (typeof userId !== 'string' || !/^[0-9a-f-]{36}$/i.test(userId))
        throw new UnauthenticatedError(`Internal callers must name the user in ${INTERNAL_USER_HEADER}.`);
      return { userId, apiKeyId: null, internal: true };
    }
    const notRelayed = credential.refusal(req.headers);
    if (notRelayed) throw notRelayed;
    const viewer = await verifier.verify(token);
    // The OpenAI code models has always given this refusal; the gateway, which refuses such a key before relaying, says insufficient_scope.
    if (!hasScope(viewer, 'models')) throw new ForbiddenError('This API key lacks the "models" scope.', { code: 'invalid_api_key' });
    return { userId: viewer.userId, apiKeyId: viewer.apiKeyId, internal: false };
  };
}
