import { ErrorCode } from './error-codes';

/**
 * Base of every error that domain code throws on purpose. Domain code knows
 * nothing of GraphQL: it throws one of these, and `toGraphQLErrorShape` maps it
 * to the public shape in one place.
 */
export abstract class ParleyError extends Error {
  abstract readonly code: ErrorCode;
  /** True when the same call may succeed if repeated later (kafkajs style). */
  readonly retriable: boolean = false;
  /** Extra public fields for `extensions` (never secrets). */
  readonly details: Record<string, unknown>;

  constructor(message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.details = details;
  }
}

export class UnauthenticatedError extends ParleyError {
  readonly code = ErrorCode.UNAUTHENTICATED;
}

export class ForbiddenError extends ParleyError {
  readonly code = ErrorCode.FORBIDDEN;
}

/** Bad input; `field` names the offending input path so a client can point at it. */
export class BadUserInputError extends ParleyError {
  readonly code = ErrorCode.BAD_USER_INPUT;
  constructor(message: string, details: { field?: string } & Record<string, unknown> = {}) {
    super(message, details);
  }
}

/** Also used for another user's data, so that existence is not revealed. */
export class NotFoundError extends ParleyError {
  readonly code = ErrorCode.NOT_FOUND;
}

export class ConflictError extends ParleyError {
  readonly code = ErrorCode.CONFLICT;
}

export class RateLimitedError extends ParleyError {
  readonly code = ErrorCode.RATE_LIMITED;
  override readonly retriable = true;
  constructor(message: string, retryAfterSeconds: number) {
    super(message, { retryAfterSeconds });
  }
}

export class BudgetExceededError extends ParleyError {
  readonly code = ErrorCode.BUDGET_EXCEEDED;
}

export class ContentBlockedError extends ParleyError {
  readonly code = ErrorCode.CONTENT_BLOCKED;
  constructor(message: string, category: string) {
    super(message, { category });
  }
}

export class UpstreamUnavailableError extends ParleyError {
  readonly code = ErrorCode.UPSTREAM_UNAVAILABLE;
  override readonly retriable = true;
}

/** Ends an exhaustive switch: the compiler proves it unreachable, runtime reports what slipped through. */
export class UnreachableCaseError extends Error {
  constructor(value: never) {
    super(`Unreachable case: ${JSON.stringify(value)}`);
    this.name = 'UnreachableCaseError';
  }
}
