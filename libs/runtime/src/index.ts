export {
  loadConfig,
  ConfigError,
  env,
  namespaceFrom,
  namespaceSettings,
  metricsSettings,
  httpServiceSettings,
  internalServiceTokenSettings,
} from './config';
export { createLogger, type Logger, type LoggerOptions } from './logger';
export { REQUEST_ID_HEADER, requestIdFrom } from './request-id';
export {
  checkReadiness,
  assertReachable,
  withTimeout,
  DependencyUnreachableError,
  type ReadinessCheck,
  type ReadinessReport,
} from './readiness';
export {
  createHttpService,
  sendJson,
  sendHttpError,
  graphqlUrl,
  readBody,
  BodyTooLargeError,
  type HttpService,
  type HttpServiceOptions,
  type RequestScope,
  type RouteHandler,
  type HttpTelemetry,
  type ServiceTelemetry,
} from './http-server';
export { sendGraphQLError, sendOpenAIError } from './error-answers';
export { securityHeaderLines, setSecurityHeaders, type SecurityHeaderOptions } from './security-headers';
export { graphqlRoute, subgraphGraphqlRoute, type GraphQLRouteOptions, type SubgraphRouteOptions } from './graphql-http';
export { createSubgraphExecution, unresolvedOperationMessage, type SubgraphExecution, type GraphQLAnswer } from './subgraph-execution';
export { graphQLNulCharacterRefusal, nulCharacterPath, nulCharacterRefusal } from './nul-characters';
export { createShutdown, type Shutdown } from './graceful-shutdown';
export {
  connectionFailureOf,
  mayRetryConnectionFailure,
  retryConnectionFailures,
  retryingFetch,
  startBackoff,
  waitFor,
  type BackoffPolicy,
  type ConnectionFailure,
  type ConnectionRetryOptions,
} from './connection-retry';
export { systemClock, systemTimers, type Clock, type Timers } from './clock';
export {
  createSubgraphServer,
  type InProcessAnswer,
  type RequestHead,
  type SubgraphServer,
  type SubgraphServerOptions,
  type ListeningServer,
} from './subgraph-server';
export { readTypeDefs } from './type-defs';
export {
  createAdmissionController,
  admitted,
  waitForAdmission,
  admissionSettings,
  subgraphAdmissionSettings,
  admissionLimitsFrom,
  OVERLOAD_RETRY_AFTER_SECONDS,
  defaultSubgraphAdmission,
  type AdmissionController,
  type AdmissionEntry,
  type AdmissionLimits,
  type AdmissionPermit,
} from './admission';
export { maxDepthRule } from './operations/max-depth-rule';
export { operationCost, operationCostRefusal } from './operations/operation-cost';
export { operationLimitRules, subgraphOperationLimits, type OperationLimits } from './operations/operation-limits';
export { rootFieldNames, startsModelReplies } from './operations/root-mutations';
export { internalCredential, INTERNAL_CREDENTIAL_HEADER, MIN_INTERNAL_TOKEN_LENGTH, type InternalCredential } from './internal-credential';
