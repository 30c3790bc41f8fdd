/**
 * Parley's gateway (createGateway) with a chosen set of protection layers, in
 * its own process so its CPU time can be read apart, against a running
 * platform's subgraphs. The layers are cumulative:
 *
 *   bare       operationLimits: false, rateLimiter: null (callers stay anonymous)
 *   limits     + operation limits (depth, cost, aliases, root fields, tokens)
 *   rate-limit + the Redis rate limiter of the services-mode gateway (limits too high to refuse)
 *   auth       the same gateway; the load generator sends access tokens, which it verifies
 *
 * Every variant has the real authenticator; an anonymous request costs it a
 * header lookup. `auth` is what differs in the requests, not in this process.
 *
 *   VARIANT=limits SUBGRAPH_URLS='{"users":"http://…/graphql",…}' USERS_URL=http://127.0.0.1:… \
 *     REDIS_URL=redis://127.0.0.1:6379 NAMESPACE=bench. npx tsx bench/gateway-edge/gateway-variant.ts
 *
 * Prints one JSON line with its URL and pid when it listens.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createRevokedSessions } from '@parley/auth';
import { assembleGateway, createRedisRateLimiter, defaultGatewayProtection } from '@parley/gateway';
import { createInMemoryMessageStreamLog } from '@parley/message-stream';
import { createInMemoryPubSub } from '@parley/pubsub';
import { createLogger } from '@parley/runtime';
import Redis from 'ioredis';

const variants = ['bare', 'limits', 'rate-limit', 'auth'];
const variant = process.env.VARIANT ?? '';
if (!variants.includes(variant)) throw new Error(`VARIANT must be one of ${variants.join(', ')}`);
const subgraphUrls = JSON.parse(process.env.SUBGRAPH_URLS ?? '{}') as Record<string, string>;
const usersUrl = process.env.USERS_URL;
if (!usersUrl || !subgraphUrls['models']) throw new Error('Set SUBGRAPH_URLS and USERS_URL (see the header of this file)');
const internalToken = process.env.INTERNAL_SERVICE_TOKEN;
if (!internalToken) throw new Error('Set INTERNAL_SERVICE_TOKEN: the subgraphs refuse requests without it');
const never = 10_000_000;

const redis = variant === 'rate-limit' || variant === 'auth' ? new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379') : null;
const logger = createLogger({ service: `gateway-${variant}`, level: 'warn' });
const gateway = await assembleGateway({
  supergraphSdl: readFileSync(resolve(import.meta.dirname, '../../supergraph.graphql'), 'utf8'),
  subgraphUrls,
  usersUrl,
  internalToken,
  auth: { issuer: 'parley', audience: 'parley-api' },
  logger,
  readiness: [],
  messageStreams: createInMemoryMessageStreamLog(),
  // Checked on every request as on a deployment's gateway (one Map lookup); no session ends during a benchmark.
  revokedSessions: createRevokedSessions({ pubsub: createInMemoryPubSub(), redis: null, namespace: '', logger }),
  modelsUrl: new URL('/', subgraphUrls['models']).toString(),
  // Limits far above what a benchmark sends: the rate limiter counts every request but refuses none.
  // Admission as on the platform's gateway in this run: the product's bound on requests in progress, but requests
  // wait for a slot rather than being refused (50 connections against 16 + 16), so every layer is measured serving.
  protection: {
    edge: { ...defaultGatewayProtection.edge, perUserLimit: never, perAddressLimit: never },
    admission: {
      ...defaultGatewayProtection.admission,
      requests: { ...defaultGatewayProtection.admission.requests, queueLength: 100_000, maxQueueWaitMs: 60_000 },
    },
  },
  operationLimits: variant !== 'bare',
  rateLimiter: redis ? createRedisRateLimiter({ redis, namespace: process.env.NAMESPACE ?? `bench-${process.pid}.`, logger }) : null,
});
const listening = await gateway.listen(0);
process.stdout.write(`${JSON.stringify({ url: listening.url, pid: process.pid })}\n`);
process.on('SIGTERM', () => {
  void listening
    .close()
    .then(() => redis?.quit())
    .finally(() => process.exit(0));
});
