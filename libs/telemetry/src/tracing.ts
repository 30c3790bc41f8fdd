export { runTraced, startTracing, TracingConfigError, type Tracing } from './tracing/start-tracing';
