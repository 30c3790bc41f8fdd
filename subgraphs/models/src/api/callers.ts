import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { bearerTokenFrom, hasScope, type AccessTokenVerifier } from '@parley/auth';

export const INTERNAL_USER_HEADER = 'x-parley-user-id';

/** Who is calling /v1: the user it is for, and the API key when one was used. */
export interface Caller {
  userId: string;
  apiKeyId: string | null;
}

/** A caller without the right credentials: answered 401 (or 403) in OpenAI's shape. */
export class AuthError extends Error {
  constructor(
    message: string,
    readonly status = 401,
  ) {
    super(message);
  }
}

/**
 * The one rule for every /v1 route: a person's or an API key's access token
 * (an API key needs the "models" scope), or another Parley service with the
 * internal token, naming the user it acts for. Rejects with an AuthError.
 */
export function createCallerAuth({
  verifier,
  internalToken,
}: {
  verifier: AccessTokenVerifier;
  internalToken: string | undefined;
}): (req: IncomingMessage) => Promise<Caller> {
  return async function caller(req) {
    const token = bearerTokenFrom(req.headers.authorization);
    if (token === undefined) throw new AuthError('Send an access token or API key as "Authorization: Bearer …".');
    if (internalToken && safeEqual(token, internalToken)) {
      const userId = req.headers[INTERNAL_USER_HEADER];
      if (typeof userId !== 'string' || !/^[0-9a-f-]{36}$/i.test(userId))
        throw new AuthError(`Internal callers must name the user in ${INTERNAL_USER_HEADER}.`);
      return { userId, apiKeyId: null };
    }
    const viewer = await verifier.verify(token);
    if (!hasScope(viewer, 'models')) throw new AuthError('This API key lacks the "models" scope.', 403);
    return { userId: viewer.userId, apiKeyId: viewer.apiKeyId };
  };
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
