export { servicesEnv, uniqueName } from './services-env';
export { createTestDatabase, type TestDatabase } from './test-database';
export { startServiceProcess, waitUntilReady, freePort, type ServiceProcess } from './service-process';
export { postGraphQL, type GraphQLResponse } from './graphql-client';
export { captureLogs } from './log-capture';
export { startTcpProxy, type TcpProxy } from './tcp-proxy';
export { startFakeUpstream, type Behaviour, type RecordedRequest } from './fake-openai-upstream';
export { startFakeLibreTranslate, type LibreTranslateCall } from './fake-libretranslate';
export { createManualClock, createSkipAheadClock, type ManualClock, type SkipAheadClock } from './test-clocks';
