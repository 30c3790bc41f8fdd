import { ErrorCode, fromGraphQLError, graphQLErrorBody, OverloadedError } from '@parley/errors';
import {
  createAdmissionController,
  OVERLOAD_RETRY_AFTER_SECONDS,
  securityHeaderLines,
  type AdmissionController,
  type AdmissionLimits,
  type SecurityHeaderOptions,
} from '@parley/runtime';

/**
 * How much one gateway takes on at once (defaults in config/protection-settings.ts). The bound itself is the one
 * admission control of every Parley service (libs/runtime/src/admission.ts); this file is what the gateway adds
 * around it: which of its traffic enters it, and relaying a subgraph's refusal.
 *
 * - `requests`: every HTTP request but /healthz and /readyz (GraphQL, REST /api/v1, the partners' /v1, the
 *   explorer), entered after CORS and before the rate limiter, and every query and mutation sent over graphql-ws.
 * - `webSocketConnections`: open graphql-ws connections, a cap of their own. A connection or a subscription is
 *   long-lived and mostly idle (a reply's events are cheap to pass on), so it holds no request slot: counted there,
 *   a few idle subscribers would lock HTTP out. A subscription's start is bounded per connection
 *   (WebSocketLimits.maxOperationsPerConnection) and by the rate limits; a connection past the cap is refused at
 *   its upgrade with 503 and Retry-After.
 */
export interface GatewayAdmission {
  requests: AdmissionLimits;
  webSocketConnections: number;
}

export function createGatewayAdmission(settings: GatewayAdmission): AdmissionController {
  return createAdmissionController({ service: 'The gateway', limits: settings.requests });
}

/** The raw HTTP answer to a WebSocket upgrade past the connection cap: 503, Retry-After, and a GraphQL error body. */
export function webSocketUpgradeRefusal(maxConnections: number, transport: SecurityHeaderOptions): string {
  const body = JSON.stringify(
    graphQLErrorBody(
      new OverloadedError(
        `The gateway has ${maxConnections} WebSocket connections open, as many as it takes. Try again in ${OVERLOAD_RETRY_AFTER_SECONDS} s, or use another gateway.`,
        OVERLOAD_RETRY_AFTER_SECONDS,
      ),
    ),
  );
  return [
    'HTTP/1.1 503 Service Unavailable',
    `Retry-After: ${OVERLOAD_RETRY_AFTER_SECONDS}`,
    ...securityHeaderLines(transport),
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

/**
 * A subgraph's admission refusal, as the client should see it. Apollo Gateway reports a subgraph's non-2xx answer as
 * "503: Service Unavailable" with the body under `extensions.response`, which would reach the client as an
 * internal error (not retriable); a subgraph at capacity is OVERLOADED, retriable, with its own words and details
 * (which service, when to come back).
 */
export function relayedOverload(error: unknown): OverloadedError | null {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 4; depth++) {
    const response = (current as { extensions?: { response?: unknown } }).extensions?.response as
      { status?: unknown; body?: { errors?: { message?: unknown; extensions?: Record<string, unknown> }[] } } | undefined;
    if (response && typeof response === 'object') {
      const refusal = response.body?.errors?.[0];
      if (response.status !== 503 || refusal?.extensions?.['code'] !== ErrorCode.OVERLOADED || typeof refusal.message !== 'string')
        return null;
      const refused = fromGraphQLError({ message: refusal.message, extensions: refusal.extensions });
      return refused instanceof OverloadedError ? refused : null;
    }
    current = (current as { originalError?: unknown }).originalError;
  }
  return null;
}
