import { UnauthenticatedError } from '@parley/errors';

/**
 * The token in an `Authorization: Bearer …` header; undefined when there is no
 * header (an anonymous request). A header that is present but malformed is an
 * error, not anonymity: a client with a broken header must hear about it.
 */
export function bearerTokenFrom(header: string | undefined): string | undefined {
  if (header === undefined || header === '') return undefined;
  const match = /^Bearer\s+([A-Za-z0-9\-._~+/]+=*)\s*$/i.exec(header);
  if (!match) {
    throw new UnauthenticatedError('The Authorization header must be "Bearer <token>".');
  }
  return match[1];
}
