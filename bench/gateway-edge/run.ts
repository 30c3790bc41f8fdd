/**
 * The gateway read path, in one run, with every service, PostgreSQL and Redis
 * running alongside (services mode through the test harness):
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379 KAFKA_BROKERS=127.0.0.1:9092 \
 *     npx tsx bench/gateway-edge/run.ts [seconds-per-measurement=10] [reps=3]
 *
 * 1. A mixed read workload in equal thirds — `me`, `conversations(first: 10)`
 *    with each conversation's owner (users subgraph) and first few messages,
 *    and `models` — each request a different seeded user's token, through
 *    Parley's gateway as deployed (auth, operation limits, Redis rate limiter
 *    with limits too high to refuse):
 *    a. closed loop, 50 keep-alive connections, beside the reference: a
 *       default-configured @apollo/gateway (default-apollo-gateway.ts) on the
 *       same subgraphs and supergraph, interleaved;
 *    b. open loop at a fixed 1000 req/s (latency from each request's due time),
 *       ours and the reference.
 * 2. The cost of each protection layer: `{ models { id displayName } }` closed
 *    loop through four gateway processes (gateway-variant.ts) with the layers
 *    added one at a time — bare, + operation limits, + Redis rate limit,
 *    + auth (requests carry tokens) — as ratios to bare, interleaved.
 *
 * Every body is validated (a 200 with `errors` is an error). CPU time per
 * request of each process comes from /proc. Medians over the reps, with min–max.
 *
 * This file starts everything and runs the measurements in order; seeding.ts
 * writes the data, workloads.ts holds the requests and their checks,
 * measurement.ts the CPU accounting and interleaving, report.ts the results.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { startPlatformUnderTest } from '@parley/platform/testing';
import { createMeter, createProgress, type Measurement } from './measurement';
import { writeReport, type Results } from './report';
import { EDGE_SETTINGS, seed } from './seeding';
import { createWorkloads, KINDS, mixedOperations, OPEN_RATE, VARIANTS, type Kind, type Target, type Variant } from './workloads';

const seconds = Number(process.argv[2] ?? 10);
const reps = Number(process.argv[3] ?? 3);
if (!process.env.DATABASE_URL || !process.env.REDIS_URL || !process.env.KAFKA_BROKERS) {
  throw new Error('Set DATABASE_URL, REDIS_URL and KAFKA_BROKERS (see the header of this file)');
}
const repositoryRoot = resolve(import.meta.dirname, '../..');
const progress = createProgress();

// ---------------------------------------------------------------------------------------------
// The platform, its data, and the other gateways
// ---------------------------------------------------------------------------------------------
const loadBefore = loadavg();
progress('starting the platform (services mode)');
const platform = await startPlatformUnderTest({
  settings: EDGE_SETTINGS,
  logLevel: 'error',
});
const children: ChildProcess[] = [];
const stopAll = async () => {
  await Promise.all(
    children
      .filter((child) => child.exitCode === null && child.signalCode === null)
      .map((child) => new Promise((exited) => child.once('exit', exited).kill('SIGTERM'))),
  );
  await platform.stop();
};

try {
  if (platform.mode !== 'services') throw new Error('services mode expected (DATABASE_URL, REDIS_URL, KAFKA_BROKERS)');
  const seeded = await seed(platform.url, platform.databaseUrl!, progress);

  /** A script of this directory as its own process; it prints one JSON line when it listens. */
  const startChild = async (file: string, env: Record<string, string>): Promise<Target> => {
    // PARLEY_PROFILE_DIR=/some/dir: like the harness's services, each gateway writes a V8 CPU profile there when it exits.
    const profileDir = process.env.PARLEY_PROFILE_DIR;
    const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${resolve(profileDir, env['VARIANT'] ?? file.replace(/\.ts$/, ''))}`] : [];
    const child = spawn(process.execPath, [...profile, '--import', 'tsx', resolve(import.meta.dirname, file)], {
      cwd: repositoryRoot,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    return new Promise((done, fail) => {
      child.once('exit', (code) => fail(new Error(`${file} exited with ${code} before it listened`)));
      createInterface({ input: child.stdout! }).once('line', (line) => done(JSON.parse(line)));
    });
  };
  const subgraphUrls = JSON.stringify(platform.subgraphUrls);
  const usersUrl = new URL('/', platform.subgraphUrls['users']).toString();
  const apollo = await startChild('default-apollo-gateway.ts', {
    SUBGRAPH_URLS: subgraphUrls,
    INTERNAL_SERVICE_TOKEN: platform.internalServiceToken,
  });
  const variantTargets = {} as Record<Variant, Target>;
  for (const variant of VARIANTS) {
    variantTargets[variant] = await startChild('gateway-variant.ts', {
      VARIANT: variant,
      SUBGRAPH_URLS: subgraphUrls,
      USERS_URL: usersUrl,
      INTERNAL_SERVICE_TOKEN: platform.internalServiceToken,
      REDIS_URL: process.env.REDIS_URL!,
      NAMESPACE: `${platform.namespace}bench-${variant}.`,
    });
  }
  const ours: Target = { url: platform.url, pid: platform.processes['gateway-1']!.child.pid! };

  const workloads = createWorkloads({ tokens: seeded.tokens, label: progress.label });
  const meter = createMeter(
    {
      users: platform.processes['users']!.child.pid!,
      chat: platform.processes['chat']!.child.pid!,
      models: platform.processes['models']!.child.pid!,
      all: () => [...Object.values(platform.processes).map((p) => p.child.pid!), ...children.map((c) => c.pid!)],
      databaseName: new URL(platform.databaseUrl!).pathname.slice(1),
    },
    progress,
  );
  const closedMixed = (target: Target, duration: number) => meter.measureSlice(target.pid, workloads.closedMixed(target, duration));
  const closedVariant = (variant: Variant, duration: number) =>
    meter.measureSlice(variantTargets[variant].pid, workloads.closedVariant(variantTargets[variant], variant, duration));

  // Every distinct operation goes once through each gateway before anything is timed (so every plan is cached), and
  // must be answered correctly; then a short warm-up each.
  progress(`planning ${mixedOperations.length} operations in each gateway`);
  await workloads.planMixed(ours, 'ours');
  await workloads.planMixed(apollo, 'default @apollo/gateway');
  for (const variant of VARIANTS) await workloads.planModels(variantTargets[variant], variant);
  progress('warming up');
  const warm = [await closedMixed(ours, 4), await closedMixed(apollo, 4)];
  for (const variant of VARIANTS) warm.push(await closedVariant(variant, 4));
  if (warm.some((slice) => slice.errors > 0))
    throw new Error(`errors while warming up:\n${[...workloads.errorSamples.values()].flat().join('\n')}`);

  await new Promise((r) => setTimeout(r, 2000));
  const idleCores = Math.min(await meter.busyCores(ours.pid), await meter.busyCores(ours.pid), await meter.busyCores(ours.pid));
  progress(`idle, this run's processes use ${idleCores.toFixed(2)} cores`);

  const results: Results = {
    closedOurs: [],
    closedApollo: [],
    openOurs: [],
    kinds: { me: [], conversations: [], models: [] },
    variants: Object.fromEntries(VARIANTS.map((v) => [v, [] as Measurement[]])) as Record<Variant, Measurement[]>,
  };
  for (let r = 0; r < reps; r++) {
    const targets = { ours, apollo };
    const mixed = await meter.interleaved(
      r % 2 === 0 ? (['ours', 'apollo'] as const) : (['apollo', 'ours'] as const),
      seconds,
      (key) => `rep ${r + 1}/${reps}: mixed closed loop, ${key}`,
      (key, duration) => closedMixed(targets[key], duration),
    );
    results.closedOurs.push(mixed.ours);
    results.closedApollo.push(mixed.apollo);
    progress(`rep ${r + 1}/${reps}: mixed open loop at ${OPEN_RATE}/s, ours`);
    results.openOurs.push(await meter.measure(ours.pid, workloads.openMixed(ours, seconds)));
    const settleStarted = Date.now();
    const busy = await meter.settle(ours.pid, idleCores);
    progress(
      `settled: ${busy.toFixed(2)} cores busy (idle: ${idleCores.toFixed(2)}) after ${((Date.now() - settleStarted) / 1000).toFixed(0)} s`,
    );
    const layers = await meter.interleaved(
      r % 2 === 0 ? VARIANTS : [...VARIANTS].reverse(),
      seconds,
      (variant) => `rep ${r + 1}/${reps}: { models } closed loop, ${variant}`,
      closedVariant,
    );
    for (const variant of VARIANTS) results.variants[variant].push(layers[variant]);
    for (const kind of Object.keys(KINDS) as Kind[]) {
      progress(`rep ${r + 1}/${reps}: ${kind} alone, closed loop, ours`);
      results.kinds[kind].push(await meter.measure(ours.pid, workloads.closedKind(ours, kind, seconds / 2)));
    }
  }

  writeReport({ seconds, reps, loadBefore, seeded, results, errorSamples: workloads.errorSamples });
  progress('done');
} finally {
  await stopAll();
}
process.exit(0);
