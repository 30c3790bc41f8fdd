export { createMetrics, type Metrics, type MetricsOptions } from './metrics/metrics';
export { boundedLabel } from './metrics/bounded-label';
