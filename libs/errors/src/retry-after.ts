import { ErrorCode } from './codes';

/**
 * The Retry-After (whole seconds, at least 1) a refusal calls for: RATE_LIMITED and OVERLOADED say when to come back
 * in `retryAfterSeconds`; any other code, or one without it, calls for none. The one rule every dialect's answer
 * follows (REST's and GraphQL's headers; the edge's own refusals set it from the same decision).
 */
export function retryAfterSecondsOf(code: unknown, details: Readonly<Record<string, unknown>>): number | null {
  if (code !== ErrorCode.RATE_LIMITED && code !== ErrorCode.OVERLOADED) return null;
  const seconds = details['retryAfterSeconds'];
  return typeof seconds === 'number' && Number.isFinite(seconds) ? Math.max(1, Math.ceil(seconds)) : null;
}
