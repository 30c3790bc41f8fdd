import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { ForbiddenError, UnauthenticatedError } from '@parley/errors';

/** The header that carries the internal credential on every request to a subgraph's /graphql. */
export const INTERNAL_CREDENTIAL_HEADER = 'x-parley-internal';

/** The shortest internal credential accepted: INTERNAL_SERVICE_TOKEN's own bound in every settings schema. */
export const MIN_INTERNAL_TOKEN_LENGTH = 32;

/** What Parley's own callers present to a subgraph, and how a subgraph judges it. */
export interface InternalCredential {
  /** The header(s) to add to a request for a subgraph. */
  headers: Readonly<Record<string, string>>;
  /** Null when `headers` present the credential; otherwise the refusal (401 when absent, 403 when wrong). */
  refusal(headers: IncomingHttpHeaders): UnauthenticatedError | ForbiddenError | null;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * The shared secret (INTERNAL_SERVICE_TOKEN) that makes a request to a subgraph one of Parley's own: the gateway
 * adds it to every subgraph request, and Parley's services to theirs. A subgraph's port is reachable by any local
 * process (embedded mode) or any pod the NetworkPolicy lets through (services mode); without this, such a caller
 * would bypass everything the gateway checks (rate limits, operation limits, the client's address). Compared in
 * constant time (digests of equal length), so a wrong guess learns nothing from how long the refusal took.
 */
export function internalCredential(token: string): InternalCredential {
  if (token.length < MIN_INTERNAL_TOKEN_LENGTH) {
    throw new TypeError(`The internal credential (INTERNAL_SERVICE_TOKEN) must be at least ${MIN_INTERNAL_TOKEN_LENGTH} characters.`);
  }
  const expected = digest(token);
  return {
    headers: { [INTERNAL_CREDENTIAL_HEADER]: token },
    refusal(headers) {
      const presented = headers[INTERNAL_CREDENTIAL_HEADER];
      if (presented === undefined || presented === '') {
        return new UnauthenticatedError(
          `This service answers Parley's gateway and services only; their requests carry the internal credential (${INTERNAL_CREDENTIAL_HEADER}). Send yours to the gateway.`,
        );
      }
      const value = Array.isArray(presented) ? presented.join(',') : presented;
      if (timingSafeEqual(digest(value), expected)) return null;
      return new ForbiddenError(
        `The internal credential (${INTERNAL_CREDENTIAL_HEADER}) is not this service's; every Parley service must share the same INTERNAL_SERVICE_TOKEN.`,
      );
    },
  };
}
