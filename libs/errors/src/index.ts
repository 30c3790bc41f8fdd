export {
  ErrorCode,
  ProtocolErrorCode,
  type AnyErrorCode,
  type ErrorFormat,
  errorFormats,
  allErrorCodes,
  httpStatusFor,
  isErrorCode,
  isKnownErrorCode,
} from './codes';
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
  OverloadedError,
  InternalServerError,
  BadRequestError,
  MethodNotAllowedError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  RequestTimeoutError,
  GraphQLProtocolError,
  parleyErrorFor,
  UNEXPECTED_FAILURE_MESSAGE,
  UnreachableCaseError,
} from './parley-error';
export { unavailableDependency, REDIS_UNAVAILABLE_MESSAGE } from './dependency-failures';
export {
  toGraphQLErrorShape,
  toRequestError,
  graphQLErrorBody,
  fromGraphQLError,
  publicDetails,
  retryAfterOfErrors,
  TRANSPORT_EXTENSIONS,
} from './dialects/graphql';
export { retryAfterSecondsOf } from './retry-after';
export { toRestError, restErrorBody, restErrorFromGraphQL, type RestError, type RestErrorBody } from './dialects/rest';
export {
  toOpenAIError,
  openAIErrorForStatus,
  fromOpenAIError,
  type OpenAIError,
  type OpenAIErrorBody,
  type OpenAIErrorAnswer,
} from './dialects/openai';
export { toHttpError, type HttpErrorBody } from './dialects/http';
