import type { ApolloServerPlugin } from '@apollo/server';
import type { Metrics } from '@parley/telemetry';

/**
 * Rate, errors and duration of every GraphQL operation over HTTP, by operation name (bounded: `Metrics.operationLabel`)
 * and type. An answer with any error counts as `error`, and each error by its `extensions.code`, so a dashboard
 * tells refusals (RATE_LIMITED, OPERATION_TOO_COMPLEX) from failures (INTERNAL_SERVER_ERROR) without reading logs.
 */
/** A GraphQL name of reasonable length: anything else is no label. */
const OPERATION_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,63}$/;

export function operationMetricsPlugin(metrics: Metrics): ApolloServerPlugin {
  return {
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse({ operationName, operation, response }) {
          // The name the document declares, never the body's claim: a document that did not parse names nothing.
          const name = operationName && OPERATION_NAME.test(operationName) ? metrics.operationLabel(operationName) : 'anonymous';
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
