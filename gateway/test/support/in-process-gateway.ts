import { readFileSync } from 'node:fs';
import { API_KEY_TOKEN_PATH, createAccessTokenVerifier, remoteKeySet } from '@parley/auth';
import { captureLogs } from '@parley/testing';
import { createGateway, type GatewayOptions } from '../../src/gateway-server';
import { createAuthenticator } from '../../src/request-authentication';
import type { PlatformUnderTest } from './platform-under-test';

/**
 * A second gateway, built in the test process over a running platform's
 * subgraphs, for what the platform's own gateway is not configured to show
 * (a subgraph swapped for a stand-in, TLS, a short timeout, rate limits on a
 * clock the test holds). Returns its URL and a close.
 */
export async function startGatewayOver(
  platform: PlatformUnderTest,
  options: Partial<Pick<GatewayOptions, 'subgraphUrls' | 'protection' | 'tls' | 'rateLimiter'>> = {},
): Promise<{ url: string; close(): Promise<void> }> {
  const usersUrl = platform.subgraphUrls['users']!;
  const gateway = await createGateway({
    supergraphSdl: readFileSync(new URL('../../../supergraph.graphql', import.meta.url), 'utf8'),
    subgraphUrls: { ...platform.subgraphUrls, ...options.subgraphUrls },
    authenticate: createAuthenticator({
      verifier: createAccessTokenVerifier({
        keys: remoteKeySet(new URL('/.well-known/jwks.json', usersUrl).toString()),
        issuer: 'parley',
        audience: 'parley-api',
      }),
      apiKeyTokenUrl: new URL(API_KEY_TOKEN_PATH, usersUrl).toString(),
    }),
    logger: captureLogs('silent').logger,
    readiness: [],
    messageStreams: platform.messageStreams,
    modelsUrl: new URL('/', platform.subgraphUrls['models']).toString(),
    ...(options.protection ? { protection: options.protection } : {}),
    ...(options.tls ? { tls: options.tls } : {}),
    ...(options.rateLimiter ? { rateLimiter: options.rateLimiter } : {}),
  });
  const listening = await gateway.listen(0);
  return { url: listening.url, close: listening.close };
}
