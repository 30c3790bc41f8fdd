export { createMetrics, type Metrics, type MetricsOptions } from './metrics/metrics';
export { boundedLabel } from './metrics/bounded-label';
export {
  activeTraceparent,
  contextOf,
  currentContext,
  inContext,
  inSpan,
  logCorrelation,
  startSpan,
  eventsOfActiveSpan,
  withTraceparent,
  type Span,
} from './tracing/trace-context';
