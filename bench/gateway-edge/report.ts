import { resolve } from 'node:path';
import { median } from '../support/closed-loop';
import { describeMachine } from '../support/machine';
import { createReport, medianRange as range, resultsDir, saveResults } from '../support/report';
import { SLICES, type Measurement } from './measurement';
import { CONVERSATIONS_PER_USER, TURNS_PER_CONVERSATION, USERS, type Seeded } from './seeding';
import { CONNECTIONS, CONVERSATIONS, KINDS, ME, MODELS, NAMES, OPEN_RATE, VARIANTS, type Kind, type Variant } from './workloads';

/** Every measurement of the run, a list of one per rep each. */
export interface Results {
  closedOurs: Measurement[];
  closedApollo: Measurement[];
  openOurs: Measurement[];
  kinds: Record<Kind, Measurement[]>;
  variants: Record<Variant, Measurement[]>;
}

/** Prints the results and writes them to RESULTS.md beside this script. */
export function writeReport({
  seconds,
  reps,
  loadBefore,
  seeded,
  results,
  errorSamples,
}: {
  seconds: number;
  reps: number;
  /** The machine's load average before the platform started. */
  loadBefore: number[];
  seeded: Seeded;
  results: Results;
  errorSamples: Map<string, string[]>;
}): void {
  const { say, write } = createReport();
  const med = (values: number[], digits = 0) => median(values).toFixed(digits);
  const sum = (values: number[]) => values.reduce((s, x) => s + x, 0);
  const totalErrors = (runs: Measurement[]) => sum(runs.map((m) => m.errors));
  const pairRatios = (a: Measurement[], b: Measurement[], f: (m: Measurement) => number) => a.map((m, i) => f(m) / f(b[i]!));

  say('# Gateway read path: mixed reads, a fixed 1000 req/s, the default @apollo/gateway, and the cost of each protection layer');
  say();
  say(
    `Machine: ${describeMachine()}; PostgreSQL, Redis, Kafka, every Parley service (own process), the gateways and the load generator on it.`,
  );
  say(
    `Load average before the run: ${loadBefore.map((x) => x.toFixed(2)).join(', ')}. The machine is shared: what other work used during each measurement is the "other" in the last column (cores busy outside this run's processes, its database's PostgreSQL backends and Redis).`,
  );
  say(`Command: npx tsx bench/gateway-edge/run.ts ${seconds} ${reps}  (${new Date().toISOString()})`);
  say(
    `(with DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379 KAFKA_BROKERS=127.0.0.1:9092: services mode through platform/src/testing/platform-under-test.ts)`,
  );
  say();
  say(
    `Data: ${USERS} users, each with ${CONVERSATIONS_PER_USER} conversations of ${TURNS_PER_CONVERSATION} questions and their (dev/echo) replies — ${seeded.conversations} conversations, ${seeded.messages} messages in PostgreSQL. ` +
      `Request i carries user i mod ${USERS}'s token (the ${CONNECTIONS} requests in flight are ${CONNECTIONS} different callers) and operation name i mod ${NAMES} (\`Me_0\` … \`Me_${NAMES - 1}\`, …), so no two requests in flight are identical and the gateway's sharing of identical in-flight reads (one caller, same subgraph request) never flatters it. Every body is parsed and checked (a 200 with \`errors\` is an error). ` +
      `${seconds} s per measurement and rep, ${reps} reps. Things compared with each other (ours and the reference; the four layers) run interleaved in ${SLICES} slices of ${seconds / SLICES} s each, every one in every position once (A B, B A, A B, B A; A B C D, B C D A, …), so that drift and other work on the machine fall on all alike; the open loop and the single queries run on their own. ` +
      `Medians with min–max over the reps; percentiles are per rep (slices together), then the median of the reps; ratios are per rep, then the median.`,
  );
  say();
  say('Mixed workload, in equal thirds (the conversations query asks for 3, 4 or 5 messages, in turn):');
  say();
  say('```graphql');
  say(ME);
  say(CONVERSATIONS);
  say(MODELS);
  say('```');
  say();
  say(
    "Ours: the harness's gateway process (gateway/src/index.ts, as deployed: auth, operation limits, Redis rate limiter with RATE_LIMIT_PER_USER/PER_ADDRESS = 10,000,000, keep-alive subgraph fetcher). " +
      "Reference: `default-apollo-gateway.ts`, ApolloGateway + ApolloServer 5 via `startStandaloneServer`, the data source's default fetcher, Authorization forwarded in `willSendRequest`, nothing else; same supergraph.graphql, same subgraph processes.",
  );
  say();

  const cores = (runs: Measurement[]) =>
    `${med(
      runs.map((m) => m.runCores),
      2,
    )} / ${med(
      runs.map((m) => m.otherCores),
      2,
    )}`;
  const cpuColumns = (runs: Measurement[]) =>
    [
      med(runs.map((m) => m.perRequest.gateway)),
      `${med(runs.map((m) => m.perRequest.users))} / ${med(runs.map((m) => m.perRequest.chat))} / ${med(runs.map((m) => m.perRequest.models))}`,
      med(runs.map((m) => m.perRequest.postgres)),
      med(runs.map((m) => m.perRequest.redis)),
      med(runs.map((m) => m.perRequest.loadGenerator)),
      med(runs.map((m) => m.perRequest.run)),
      cores(runs),
    ].join(' | ');
  const cpuHeader =
    'gateway CPU µs/req | users / chat / models µs/req | PostgreSQL µs/req | Redis µs/req | load generator µs/req | whole run µs/req | cores busy of 2: this run / other';

  say(`## 1a. Mixed reads, closed loop, ${CONNECTIONS} keep-alive connections`);
  say();
  say(`| gateway | req/s median (min–max) | errors | p50 ms | p95 ms | p99 ms | ${cpuHeader} |`);
  say('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const [name, runs] of [
    ['Parley gateway (auth, limits, rate limit on)', results.closedOurs],
    ['default @apollo/gateway', results.closedApollo],
  ] as const) {
    say(
      `| ${name} | ${range(runs.map((m) => m.rps))} | ${totalErrors(runs)} | ${med(
        runs.map((m) => m.p50),
        1,
      )} | ${med(
        runs.map((m) => m.p95),
        1,
      )} | ${med(
        runs.map((m) => m.p99),
        1,
      )} | ${cpuColumns(runs)} |`,
    );
  }
  const throughputRatio = pairRatios(results.closedOurs, results.closedApollo, (m) => m.rps);
  const cpuRatio = pairRatios(results.closedApollo, results.closedOurs, (m) => m.perRequest.gateway);
  const wholeRatio = pairRatios(results.closedApollo, results.closedOurs, (m) => m.perRequest.run);
  // With both cores busy, req/s goes as 1 / (whole-run CPU per request): the reference's whole run over ours without
  // any gateway is the most a free gateway could gain here.
  const ceiling = results.closedApollo.map(
    (m, i) => m.perRequest.run / (results.closedOurs[i]!.perRequest.run - results.closedOurs[i]!.perRequest.gateway),
  );
  say();
  say(
    `Ours ÷ reference, closed-loop req/s (per rep, paired): **${range(throughputRatio, 2)}×** (target ≥ 1.7×). Reference gateway CPU per request ÷ ours: ${range(cpuRatio, 2)}×; ` +
      `whole-run CPU per request, reference ÷ ours: ${range(wholeRatio, 2)}×. With the cores saturated, req/s follows the whole run's CPU per request, of which the gateway is a part: ` +
      `a gateway costing nothing would reach ${range(ceiling, 2)}× the reference here.`,
  );
  say();

  say(`## 1b. Mixed reads, open loop at a fixed ${OPEN_RATE} req/s (latency from each request's due time)`);
  say();
  say(
    `| gateway | achieved req/s median (min–max) | last answer after s | errors | p50 ms | p95 ms (min–max) | p99 ms | sends > 10 ms late | ${cpuHeader} |`,
  );
  say('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const [name, runs] of [['Parley gateway (auth, limits, rate limit on)', results.openOurs]] as const) {
    say(
      `| ${name} | ${range(runs.map((m) => m.rps))} | ${med(
        runs.map((m) => m.seconds),
        1,
      )} | ${totalErrors(runs)} | ${med(
        runs.map((m) => m.p50),
        1,
      )} | ${range(
        runs.map((m) => m.p95),
        1,
      )} | ${med(
        runs.map((m) => m.p99),
        1,
      )} | ${sum(runs.map((m) => m.late))} | ${cpuColumns(runs)} |`,
    );
  }
  const held = results.openOurs.filter((m) => m.errors === 0 && m.rps >= OPEN_RATE * 0.98 && m.p95 <= 20).length;
  say();
  say(
    `Target (ours): ${OPEN_RATE} req/s held with p95 ≤ 20 ms, no errors — met in ${held} of ${reps} reps; median p95 ${med(
      results.openOurs.map((m) => m.p95),
      1,
    )} ms.`,
  );
  say();

  say(
    `## 1c. Where the CPU goes: each query of the mix alone, through ours, closed loop, ${CONNECTIONS} connections, ${seconds / 2} s per rep`,
  );
  say();
  say(`| query | req/s median (min–max) | errors | p50 ms | p95 ms | ${cpuHeader} |`);
  say('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const kind of Object.keys(KINDS) as Kind[]) {
    const runs = results.kinds[kind];
    say(
      `| ${kind} | ${range(runs.map((m) => m.rps))} | ${totalErrors(runs)} | ${med(
        runs.map((m) => m.p50),
        1,
      )} | ${med(
        runs.map((m) => m.p95),
        1,
      )} | ${cpuColumns(runs)} |`,
    );
  }
  say();
  say(
    `"whole run" is every process of this run (gateways, services, worker, load generator), this database's PostgreSQL backends and Redis, per answered request: 2 cores ÷ it bounds the req/s this machine can serve.`,
  );
  say();

  say('## 2. The cost of each protection layer: `{ models { id displayName } }`, closed loop, one gateway process per variant');
  say();
  say(
    'Layers added one at a time (cumulative), each variant its own createGateway process (gateway-variant.ts) on the same subgraphs: ' +
      'bare = `operationLimits: false`, `rateLimiter: null`, anonymous requests; + limits = operation limits on; + rate limit = the Redis rate limiter (gateway/src/http/rate-limiter.ts, limits 10,000,000, every request counted); ' +
      "+ auth = the same, and every request carries a different user's access token (verified by the gateway, with its verified-token cache, and again by the models subgraph). " +
      `As above, ${NAMES} operation names keep concurrent requests distinct: anonymous requests are one caller to the gateway, and identical ones in flight would share one subgraph request.`,
  );
  say();
  say(
    '| variant | req/s median (min–max) | req/s ÷ bare | gateway CPU µs/req median (min–max) | CPU ÷ bare | errors | p50 ms | p99 ms | models µs/req | Redis µs/req | cores busy of 2: this run / other |',
  );
  say('|---|---|---|---|---|---|---|---|---|---|---|');
  const bare = results.variants.bare;
  for (const variant of VARIANTS) {
    const runs = results.variants[variant];
    say(
      `| ${variant === 'bare' ? 'bare' : `+ ${variant}`} | ${range(runs.map((m) => m.rps))} | ${range(
        pairRatios(runs, bare, (m) => m.rps),
        2,
      )} | ${range(runs.map((m) => m.perRequest.gateway))} | ${range(
        pairRatios(runs, bare, (m) => m.perRequest.gateway),
        2,
      )} | ${totalErrors(runs)} | ${med(
        runs.map((m) => m.p50),
        1,
      )} | ${med(
        runs.map((m) => m.p99),
        1,
      )} | ${med(runs.map((m) => m.perRequest.models))} | ${med(runs.map((m) => m.perRequest.redis))} | ${cores(runs)} |`,
    );
  }
  say();
  if (errorSamples.size > 0) {
    say('Invalid answers (the first three of each measurement that had any):');
    say();
    for (const [label, samples] of errorSamples) {
      say(`- ${label}:`);
      for (const sample of samples) say(`  \`${sample}\``);
    }
    say();
  }
  const out = resultsDir(import.meta.dirname);
  write(resolve(out, 'RESULTS.md'));
  saveResults(out, 'results.json', { seconds, reps, results });
}
