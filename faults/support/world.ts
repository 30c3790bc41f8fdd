import { startPlatformUnderTest, type PlatformUnderTest } from '@parley/platform/testing';
import { startOwnKafka, startOwnPostgres, startOwnRedis, type OwnService } from '@parley/testing';
import { registerUser, sendAndWaitForReply } from '@parley/testing/parley-client';
import { connect as tcpConnect } from 'node:net';
import { INSTANT_MODEL, pricedModelsSettings } from './priced-models';
import { waitFor } from './wait';

/** Bound on a service's drain after SIGTERM, as the services are told it (the default, named so the suite can hold them to it). */
export const SHUTDOWN_TIMEOUT_MS = 15_000;
/** A word every 150 ms: a reply of the load's questions streams for ~8 s, long enough for a fault to land mid-reply. */
export const TOKEN_DELAY_MS = 150;

export type Dependency = 'redis' | 'postgres' | 'kafka';

/**
 * Everything the suite runs: its own Redis (appendonly), PostgreSQL cluster and Kafka broker, and Parley on
 * them in services mode (two gateways, two chat workers, every service its own process), none of it shared
 * with the machine's services or any other suite.
 */
export interface World {
  platform: PlatformUnderTest;
  dependencies: Record<Dependency, OwnService>;
  /** Every process up again and the platform answering a question through each gateway; throws when it cannot. */
  heal(): Promise<void>;
  stop(): Promise<void>;
}

export async function startWorld(): Promise<World> {
  const started: OwnService[] = [];
  const own = async (start: () => Promise<OwnService>) => {
    const service = await start();
    started.push(service);
    return service;
  };
  let platform: PlatformUnderTest | undefined;
  const stop = async () => {
    await platform?.stop().catch(() => undefined);
    await Promise.all(started.map((service) => service.remove().catch(() => undefined)));
  };
  try {
    const [redis, postgres, kafka] = await Promise.all([
      own(() => startOwnRedis()),
      own(() => startOwnPostgres()),
      own(() => startOwnKafka()),
    ]);
    platform = await startPlatformUnderTest({
      services: { databaseUrl: postgres.url, redisUrl: redis.url, kafkaBrokers: kafka.url },
      gateways: 2,
      workers: 2,
      settings: {
        ...pricedModelsSettings({ tokenDelayMs: TOKEN_DELAY_MS }),
        SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
        // Every scenario signs its clients up afresh, all from 127.0.0.1.
        REGISTRATIONS_PER_IP: '100000',
      },
      // FAULTS_LOG_LEVEL=info: services.log holds each request and each drain step, not only warnings.
      logLevel: process.env.FAULTS_LOG_LEVEL ?? 'warn',
    });
    const dependencies = { redis, postgres, kafka };
    const running = platform;
    let heals = 0;
    return { platform: running, dependencies, heal: () => heal(running, dependencies, ++heals), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = tcpConnect({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), done(true)));
    socket.once('error', () => done(false));
  });
}

const readyz = (graphqlUrl: string) => graphqlUrl.replace(/\/graphql$/, '/readyz');

async function ready(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2_000) })).ok;
  } catch {
    return false;
  }
}

async function heal(platform: PlatformUnderTest, dependencies: Record<Dependency, OwnService>, round: number): Promise<void> {
  // A scenario restores what it broke; this is for one that failed half-way.
  for (const dependency of Object.values(dependencies)) {
    if (!(await portAnswers(dependency.port))) await dependency.start();
  }
  for (const [name, process] of Object.entries(platform.processes)) {
    if (process.child.exitCode !== null || process.child.signalCode !== null) await platform.restart(name);
  }
  const urls = [...platform.gatewayUrls, ...Object.values(platform.subgraphUrls)].map(readyz);
  const allReady = await waitFor(async () => (await Promise.all(urls.map(ready))).every(Boolean), 90_000);
  if (!allReady) throw new Error(`The platform is not ready again: ${urls.join(', ')}`);
  // Ready is not serving: a question through each gateway must be answered before the next scenario starts.
  // (A new account each time: a suite outlives an access token.)
  const sanity = await registerUser(platform.url, `sanity-${round}@faults.example`);
  for (const [i, url] of platform.gatewayUrls.entries()) {
    const question = { content: `Are you there, gateway ${i + 1}?`, model: INSTANT_MODEL };
    const { reply } = await sendAndWaitForReply(url, sanity.token, question, { timeout: 90_000 });
    if (reply.status !== 'COMPLETED') throw new Error(`The platform answers through ${url} with a ${reply.status} reply`);
  }
}
