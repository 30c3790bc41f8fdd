import { readFileSync } from 'node:fs';
import { createRevokedSessions } from '@parley/auth';
import { createInMemoryPubSub } from '@parley/pubsub';
import { captureLogs } from '@parley/testing';
import { assembleGateway, type GatewayOptions } from '@parley/gateway';
import type { PlatformUnderTest } from '../../src/testing/platform-under-test';

/**
 * A second gateway, built in the test process over a running platform's
 * subgraphs, for what the platform's own gateway is not configured to show
 * (replicas sharing Redis, with rate limits on a clock the test holds).
 * Returns its URL and a close. What the gateway decides alone (limits, CORS,
 * timeouts, TLS) is tested over stand-in subgraphs in gateway/test/edge. It
 * hears of no ended session (the platform's own gateways do; the subgraphs
 * behind it refuse their tokens all the same).
 */
export async function startGatewayOver(
  platform: PlatformUnderTest,
  options: Partial<Pick<GatewayOptions, 'protection' | 'rateLimiter'>> = {},
): Promise<{ url: string; close(): Promise<void> }> {
  const gateway = await assembleGateway({
    supergraphSdl: readFileSync(new URL('../../../supergraph.graphql', import.meta.url), 'utf8'),
    subgraphUrls: platform.subgraphUrls,
    usersUrl: new URL('/', platform.subgraphUrls['users']).toString(),
    internalToken: platform.internalServiceToken,
    auth: { issuer: 'parley', audience: 'parley-api' },
    logger: captureLogs('silent').logger,
    readiness: [],
    messageStreams: platform.messageStreams,
    revokedSessions: createRevokedSessions({
      pubsub: createInMemoryPubSub(),
      redis: null,
      namespace: '',
      logger: captureLogs('silent').logger,
    }),
    modelsUrl: new URL('/', platform.subgraphUrls['models']).toString(),
    ...(options.protection ? { protection: options.protection } : {}),
    ...(options.rateLimiter ? { rateLimiter: options.rateLimiter } : {}),
  });
  const listening = await gateway.listen(0);
  return { url: listening.url, close: listening.close };
}
