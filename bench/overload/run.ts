/**
 * Overload: what the platform does when offered three times what it can serve, with admission control (the
 * services' defaults) and without it (the behaviour before), in one run. Services mode through the test harness, the
 * same platform, data and mixed reads as bench/gateway-edge:
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379 KAFKA_BROKERS=127.0.0.1:9092 \
 *     npx tsx bench/overload/run.ts [seconds-per-measurement=20] [reps=2]
 *
 * 1. Capacity: the mixed reads (me, conversations with owners and messages, models; a different user's token per
 *    request), closed loop, as many connections as the gateway's default concurrency bound (so none waits in its
 *    queue): valid answers per second.
 * 2. Three times that, open loop (requests at fixed due times, latency from the due time, bench/support/open-loop.ts),
 *    `seconds` long, in each configuration, interleaved on / off / off / on …:
 *      on   every service as deployed: the gateway's and each subgraph's admission control at their defaults;
 *      off  the same processes restarted with bounds they never reach (MAX_CONCURRENT_REQUESTS=1000000): everything
 *           is admitted, as before admission control.
 *    Every answer is classified: admitted (a 200 with the right data), refused by the gateway (503, Retry-After,
 *    OVERLOADED), refused by a subgraph (OVERLOADED inside a 200), a timeout (a subgraph's 10 s, the gateway's 30 s,
 *    or no answer), or another error. The platform is left to go idle between measurements.
 * 3. After the first run without admission control: the mixed reads closed loop at 8, 16, 32 and 64 connections,
 *    nothing refused, to show how throughput and latency follow the requests in progress (where a bound belongs).
 *
 * Writes bench/overload/RESULTS.md (report.ts).
 */
import { loadavg } from 'node:os';
import { defaultGatewayProtection } from '@parley/gateway';
import { startPlatformUnderTest, type PlatformUnderTest } from '@parley/platform/testing';
import { closedLoop } from '../support/closed-loop';
import { openLoop } from '../support/open-loop';
import {
  cpuByCommandLine,
  cpuUsedSince,
  isRedisServer,
  machineBusyMicros,
  postgresBackendsOf,
  processCpuMicros,
} from '../support/process-cpu';
import { createProgress } from '../gateway-edge/measurement';
import { seed } from '../gateway-edge/seeding';
import { createWorkloads, mixedBody } from '../gateway-edge/workloads';
import { writeReport, type Capacity, type OverloadRun, type SweepPoint, type Variant } from './report';

const seconds = Number(process.argv[2] ?? 20);
const reps = Number(process.argv[3] ?? 2);
if (!process.env.DATABASE_URL || !process.env.REDIS_URL || !process.env.KAFKA_BROKERS) {
  throw new Error('Set DATABASE_URL, REDIS_URL and KAFKA_BROKERS (see the header of this file)');
}
/** The gateway's default MAX_CONCURRENT_REQUESTS: a closed loop of this many never queues at the gateway. */
const CAPACITY_CONNECTIONS = defaultGatewayProtection.admission.requests.concurrency;
const OVERLOAD_FACTOR = 3;
/** Requests in progress at which the platform is measured without admission control (closed loop, seconds / 2 each). */
const SWEEP = [8, 16, 32, 64];
/** The services restarted to switch configuration, users first (the others verify tokens with its keys). */
const SERVICES = ['users', 'chat', 'models', 'translation', 'gateway-1'] as const;
/** Bounds never reached: admission control in place but admitting everything, as before it existed. */
const ADMIT_EVERYTHING = { MAX_CONCURRENT_REQUESTS: '1000000', MAX_QUEUED_REQUESTS: '0', MAX_WEBSOCKET_CONNECTIONS: '1000000' };

const progress = createProgress();
const loadBefore = loadavg();
progress(`load average ${loadBefore.map((l) => l.toFixed(2)).join(', ')}; starting the platform (services mode)`);
const platform = await startPlatformUnderTest({
  admission: 'product',
  settings: {
    RATE_LIMIT_PER_USER: '10000000',
    RATE_LIMIT_PER_ADDRESS: '10000000',
    REGISTRATIONS_PER_IP: '100000',
    MAX_GENERATIONS_PER_USER: '50',
    ACCESS_TOKEN_TTL_SECONDS: '7200',
  },
  logLevel: 'error',
});

try {
  if (platform.mode !== 'services') throw new Error('services mode expected (DATABASE_URL, REDIS_URL, KAFKA_BROKERS)');
  const seeded = await seed(platform.url, platform.databaseUrl!, progress);
  const workloads = createWorkloads({ tokens: seeded.tokens, label: progress.label });
  const cpu = createCpuAccounting(platform);

  const warmUp = async () => {
    await workloads.planMixed({ url: platform.url, pid: 0 }, 'the gateway');
    await closedLoop({
      url: platform.url,
      connections: CAPACITY_CONNECTIONS,
      seconds: 4,
      body: mixedBody,
      headers: workloads.withToken,
      validate: workloads.validMixed,
    });
  };
  progress('planning every operation, warming up');
  await warmUp();
  await new Promise((r) => setTimeout(r, 2000));
  const idleCores = Math.min(await cpu.busyCores(), await cpu.busyCores(), await cpu.busyCores());

  progress(`capacity: closed loop, ${CAPACITY_CONNECTIONS} connections, ${seconds} s`);
  const capacityCpu = cpu.start();
  const closed = await closedLoop({
    url: platform.url,
    connections: CAPACITY_CONNECTIONS,
    seconds,
    body: mixedBody,
    headers: workloads.withToken,
    validate: workloads.validMixed,
  });
  const capacity: Capacity = {
    connections: CAPACITY_CONNECTIONS,
    rps: closed.requests / closed.seconds,
    errors: closed.errors,
    latenciesMs: closed.latenciesMs,
    cpu: capacityCpu.stop(closed.requests, closed.seconds),
  };
  const rate = Math.round((OVERLOAD_FACTOR * capacity.rps) / 10) * 10;
  progress(`capacity ${capacity.rps.toFixed(0)} req/s (${closed.errors} errors); offering ${rate} req/s`);

  let current: Variant = 'on';
  const configure = async (variant: Variant) => {
    if (variant === current) return;
    progress(`restarting ${SERVICES.join(', ')} with admission ${variant}`);
    for (const name of SERVICES) {
      await platform.processes[name]!.stop('SIGTERM');
      await platform.restart(name, variant === 'off' ? ADMIT_EVERYTHING : {});
    }
    current = variant;
    await warmUp();
  };

  const runs: OverloadRun[] = [];
  const sweep: SweepPoint[] = [];
  const order: Variant[] = Array.from({ length: reps }, (_, r) =>
    r % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const),
  ).flat();
  for (const [n, variant] of order.entries()) {
    await configure(variant);
    progress(
      `run ${n + 1}/${order.length}: admission ${variant}, open loop at ${rate} req/s for ${seconds} s`,
      `admission ${variant}, run ${n + 1}`,
    );
    const run = classifier(variant, workloads.validMixed);
    const used = cpu.start();
    const result = await openLoop({
      url: platform.url,
      rate,
      seconds,
      body: mixedBody,
      headers: workloads.withToken,
      validate: () => true,
      onAnswer: run.record,
    });
    runs.push(
      run.result({
        offered: Math.round(rate * seconds),
        seconds: result.seconds,
        late: result.late,
        cpu: used.stop(run.answered(), result.seconds),
      }),
    );
    const settleStarted = Date.now();
    const busy = await cpu.settle(idleCores);
    progress(
      `settled: ${busy.toFixed(2)} cores busy (idle ${idleCores.toFixed(2)}) after ${((Date.now() - settleStarted) / 1000).toFixed(0)} s`,
    );
    if (variant === 'off' && sweep.length === 0) {
      // Where the bound should be: with nothing refused, how throughput and latency follow the requests in progress.
      for (const connections of SWEEP) {
        progress(`admission off: closed loop, ${connections} connections, ${seconds / 2} s`);
        const loop = await closedLoop({
          url: platform.url,
          connections,
          seconds: seconds / 2,
          body: mixedBody,
          headers: workloads.withToken,
          validate: workloads.validMixed,
        });
        sweep.push({ connections, rps: loop.requests / loop.seconds, errors: loop.errors, latenciesMs: loop.latenciesMs });
      }
    }
  }
  await configure('on');

  writeReport({ seconds, reps, rate, loadBefore, loadAfter: loadavg(), seeded, capacity, runs, sweep });
  progress('done');
} finally {
  await platform.stop();
}
process.exit(0);

/** Sorts each answer of an open loop into what a client would make of it, with its latency from its due time. */
function classifier(variant: Variant, valid: (status: number, text: string) => boolean) {
  const admitted: number[] = [];
  const refused: number[] = [];
  const refusedBySubgraph: number[] = [];
  const timedOut: number[] = [];
  const other: number[] = [];
  const samples: string[] = [];
  let refusalsWithoutRetryAfter = 0;
  const sample = (text: string) => {
    if (samples.length < 3) samples.push(text.trim().slice(0, 300));
  };
  return {
    record(answer: Parameters<NonNullable<Parameters<typeof openLoop>[0]['onAnswer']>>[0]) {
      if ('error' in answer) {
        timedOut.push(answer.latencyMs);
        return sample(`request error: ${answer.error.message}`);
      }
      const { status, text, headers, latencyMs } = answer;
      if (valid(status, text)) return void admitted.push(latencyMs);
      let code: unknown;
      let message = '';
      try {
        const first = (JSON.parse(text) as { errors?: { message?: string; extensions?: { code?: unknown } }[] }).errors?.[0];
        code = first?.extensions?.code;
        message = first?.message ?? '';
      } catch {
        // not JSON: another error
      }
      if (status === 503 && code === 'OVERLOADED') {
        if (headers['retry-after'] === undefined) refusalsWithoutRetryAfter++;
        return void refused.push(latencyMs);
      }
      if (code === 'OVERLOADED') return void refusedBySubgraph.push(latencyMs);
      sample(`${status}: ${text}`);
      if (status === 504 || /did not answer within/.test(message)) return void timedOut.push(latencyMs);
      other.push(latencyMs);
    },
    answered: () => admitted.length + refused.length + refusedBySubgraph.length + timedOut.length + other.length,
    result: (totals: Pick<OverloadRun, 'offered' | 'seconds' | 'late' | 'cpu'>): OverloadRun => ({
      variant,
      ...totals,
      admitted,
      refused,
      refusedBySubgraph,
      timedOut,
      other,
      refusalsWithoutRetryAfter,
      samples,
    }),
  };
}

/** CPU of this run's processes (their pids change when they restart), its database's PostgreSQL backends and Redis. */
function createCpuAccounting(platform: PlatformUnderTest) {
  const databaseName = new URL(platform.databaseUrl!).pathname.slice(1);
  const snapshot = () => {
    const self = process.cpuUsage();
    const pids = Object.values(platform.processes).map((p) => p.child.pid!);
    return {
      gateway: processCpuMicros(platform.processes['gateway-1']!.child.pid!),
      processes: pids.reduce((total, pid) => total + processCpuMicros(pid), 0),
      postgres: cpuByCommandLine(postgresBackendsOf(databaseName)),
      redis: cpuByCommandLine(isRedisServer),
      loadGenerator: self.user + self.system,
      machine: machineBusyMicros(),
    };
  };
  const between = (a: ReturnType<typeof snapshot>, b: ReturnType<typeof snapshot>) => {
    const services = b.processes - a.processes + cpuUsedSince(a.postgres, b.postgres) + cpuUsedSince(a.redis, b.redis);
    const loadGenerator = b.loadGenerator - a.loadGenerator;
    return { gateway: b.gateway - a.gateway, services, run: services + loadGenerator, machine: b.machine - a.machine };
  };
  const busyCores = async () => {
    const before = snapshot();
    await new Promise((r) => setTimeout(r, 1000));
    return between(before, snapshot()).services / 1e6;
  };
  return {
    busyCores,
    async settle(idleCores: number, maxSeconds = 120) {
      const deadline = Date.now() + maxSeconds * 1000;
      for (;;) {
        const cores = await busyCores();
        if (cores < idleCores + 0.1 || Date.now() > deadline) return cores;
      }
    },
    start() {
      const before = snapshot();
      return {
        /** CPU µs per answer (gateway; every process of the run with PostgreSQL and Redis), and cores busy: this run / the rest. */
        stop(answers: number, elapsedSeconds: number) {
          const used = between(before, snapshot());
          return {
            gatewayMicrosPerAnswer: used.gateway / Math.max(1, answers),
            servicesMicrosPerAnswer: used.services / Math.max(1, answers),
            runCores: used.run / 1e6 / elapsedSeconds,
            otherCores: Math.max(0, used.machine - used.run) / 1e6 / elapsedSeconds,
          };
        },
      };
    },
  };
}
