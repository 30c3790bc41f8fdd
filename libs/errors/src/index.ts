export { ErrorCode } from './error-codes';
export {
  ParleyError,
  UnauthenticatedError,
  ForbiddenError,
  BadUserInputError,
  NotFoundError,
  ConflictError,
  RateLimitedError,
  BudgetExceededError,
  ContentBlockedError,
  UpstreamUnavailableError,
  UnreachableCaseError,
} from './domain-errors';
export { toGraphQLErrorShape } from './graphql-error-shape';
export { httpStatusFor, toRequestError } from './http-status';
