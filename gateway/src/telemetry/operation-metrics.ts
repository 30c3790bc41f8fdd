import type { ApolloServerPlugin } from '@apollo/server';
import type { Metrics } from '@parley/telemetry';

/**
 * Rate, errors and duration of every GraphQL operation over HTTP, by operation name (bounded: `Metrics.operationLabel`)
 * and type. An answer with any error counts as `error`, and each error by its `extensions.code`, so a dashboard
 * tells refusals (RATE_LIMITED, OPERATION_TOO_COMPLEX) from failures (INTERNAL_SERVER_ERROR) without reading logs.
 */
export function operationMetricsPlugin(metrics: Metrics): ApolloServerPlugin {
  return {
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse({ operationName, request, operation, response }) {
          const name = metrics.operationLabel(operationName ?? request.operationName);
          const type = operation?.operation ?? 'unknown';
          const errors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
          metrics.graphql.operations.inc({ operation: name, type, outcome: errors?.length ? 'error' : 'ok' });
          metrics.graphql.duration.observe({ operation: name, type }, (performance.now() - started) / 1000);
          for (const error of errors ?? []) {
            const code = typeof error.extensions?.code === 'string' ? error.extensions.code : 'UNKNOWN';
            metrics.graphql.errors.inc({ operation: name, code });
          }
        },
      };
    },
  };
}
