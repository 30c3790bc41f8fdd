import { resolve } from 'node:path';
import { defaultGatewayProtection } from '@parley/gateway';
import { defaultSubgraphAdmission } from '@parley/runtime';
import { percentile } from '../support/closed-loop';
import { describeMachine } from '../support/machine';
import { createReport, medianRange } from '../support/report';
import type { Seeded } from '../gateway-edge/seeding';

export type Variant = 'on' | 'off';

export interface CpuUse {
  gatewayMicrosPerAnswer: number;
  servicesMicrosPerAnswer: number;
  runCores: number;
  otherCores: number;
}

export interface Capacity {
  connections: number;
  rps: number;
  errors: number;
  latenciesMs: number[];
  cpu: CpuUse;
}

/** A closed loop without admission control, at one number of connections. */
export interface SweepPoint {
  connections: number;
  rps: number;
  errors: number;
  latenciesMs: number[];
}

/** One open loop: every answer's latency from its due time, by what it was. */
export interface OverloadRun {
  variant: Variant;
  offered: number;
  /** From the first request to the last answer. */
  seconds: number;
  late: number;
  admitted: number[];
  refused: number[];
  refusedBySubgraph: number[];
  timedOut: number[];
  other: number[];
  refusalsWithoutRetryAfter: number;
  samples: string[];
  cpu: CpuUse;
}

const ms = (values: number[], p: number) => (values.length === 0 ? '—' : percentile(values, p).toFixed(0));
const share = (part: number, whole: number) => `${((100 * part) / Math.max(1, whole)).toFixed(1)} %`;
const load = (values: number[]) => values.map((l) => l.toFixed(2)).join(', ');
/** A figure of the runs of one variant: "median (min–max)" of three or more, else each run's, in run order. */
const across = (runs: OverloadRun[], figure: (run: OverloadRun) => number, digits = 0) =>
  runs.length >= 3 ? medianRange(runs.map(figure), digits) : runs.map((run) => figure(run).toFixed(digits)).join(' and ');

export function writeReport({
  seconds,
  reps,
  rate,
  loadBefore,
  loadAfter,
  seeded,
  capacity,
  runs,
  sweep,
}: {
  seconds: number;
  reps: number;
  rate: number;
  loadBefore: number[];
  loadAfter: number[];
  seeded: Seeded;
  capacity: Capacity;
  runs: OverloadRun[];
  sweep: SweepPoint[];
}) {
  const { say, write } = createReport();
  const gateway = defaultGatewayProtection.admission.requests;
  const subgraphs = defaultSubgraphAdmission;
  say('# Overload: three times capacity offered, with admission control and without');
  say();
  say(`Machine: ${describeMachine()}; PostgreSQL, Redis, Kafka, every Parley service (own process) and the load generator on it.`);
  say(
    `Load average before the run: ${load(loadBefore)}; after: ${load(loadAfter)}. The machine is shared: "other" in the CPU columns is what work outside this run used meanwhile.`,
  );
  say(`Command: npx tsx bench/overload/run.ts ${seconds} ${reps} (${new Date().toISOString()})`);
  say(
    '(with DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379 KAFKA_BROKERS=127.0.0.1:9092: services mode through platform/src/testing/platform-under-test.ts)',
  );
  say();
  say(
    `Data and requests as bench/gateway-edge: ${seeded.conversations} conversations, ${seeded.messages} messages of 50 users; the mixed reads \`me\`, \`conversations(first: 10)\` with owners and 3–5 messages each, and \`models\` in turn, each request a different user's token and one of 64 operation names. Every answer is parsed and classified.`,
  );
  say();
  say('## 1. Capacity: closed loop, admission on');
  say();
  say(
    '| connections | valid answers/s | errors | p50 ms | p95 ms | p99 ms | gateway CPU µs/answer | whole run µs/answer | cores busy of 2: this run / other |',
  );
  say('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  say(
    `| ${capacity.connections} | ${capacity.rps.toFixed(0)} | ${capacity.errors} | ${ms(capacity.latenciesMs, 50)} | ${ms(capacity.latenciesMs, 95)} | ${ms(capacity.latenciesMs, 99)} | ${capacity.cpu.gatewayMicrosPerAnswer.toFixed(0)} | ${capacity.cpu.servicesMicrosPerAnswer.toFixed(0)} | ${capacity.cpu.runCores.toFixed(2)} / ${capacity.cpu.otherCores.toFixed(2)} |`,
  );
  say();
  say(
    `## 2. Open loop at ${rate} req/s (${(rate / capacity.rps).toFixed(1)}× capacity), ${seconds} s each, latency from each request's due time`,
  );
  say();
  say(
    `on: the gateway and every subgraph at their default admission bounds (gateway MAX_CONCURRENT_REQUESTS ${gateway.concurrency}, MAX_QUEUED_REQUESTS ${gateway.queueLength}, MAX_QUEUE_WAIT_MS ${gateway.maxQueueWaitMs}; subgraphs ${subgraphs.concurrency}, ${subgraphs.queueLength}, ${subgraphs.maxQueueWaitMs}). off: the same processes restarted with MAX_CONCURRENT_REQUESTS=1000000, so everything is admitted, as before admission control. Run order: ` +
      runs.map((r) => r.variant).join(', ') +
      '.',
  );
  say();
  say(
    '| run | admission | sent | admitted | admitted/s | admitted p50 / p95 / p99 ms | slowest admitted ms | refused by the gateway (503) | refusal p50 / p95 ms | refused by a subgraph | timeouts | other errors | last answer after s | sends > 10 ms late | gateway CPU µs/answer | cores busy: this run / other |',
  );
  say('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const [n, run] of runs.entries()) {
    say(
      `| ${n + 1} | ${run.variant} | ${run.offered} | ${run.admitted.length} | ${(run.admitted.length / run.seconds).toFixed(0)} | ${ms(run.admitted, 50)} / ${ms(run.admitted, 95)} / ${ms(run.admitted, 99)} | ${run.admitted.length ? Math.max(...run.admitted).toFixed(0) : '—'} | ${run.refused.length} (${share(run.refused.length, run.offered)}) | ${ms(run.refused, 50)} / ${ms(run.refused, 95)} | ${run.refusedBySubgraph.length} | ${run.timedOut.length} | ${run.other.length} | ${run.seconds.toFixed(1)} | ${run.late} | ${run.cpu.gatewayMicrosPerAnswer.toFixed(0)} | ${run.cpu.runCores.toFixed(2)} / ${run.cpu.otherCores.toFixed(2)} |`,
    );
  }
  say();
  say('Per configuration: median (min–max) over its runs, or each run in order when there are fewer than three:');
  say();
  say(
    '| admission | admitted/s | admitted p95 ms | admitted p99 ms | refused share | refusal p95 ms | timeouts | answers later than 10 s |',
  );
  say('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const variant of ['on', 'off'] as const) {
    const mine = runs.filter((r) => r.variant === variant);
    if (mine.length === 0) continue;
    const all = (r: OverloadRun) => [...r.admitted, ...r.refused, ...r.refusedBySubgraph, ...r.timedOut, ...r.other];
    say(
      `| ${variant} | ${across(mine, (r) => r.admitted.length / r.seconds)} | ${across(mine, (r) => percentile(r.admitted, 95))} | ${across(mine, (r) => percentile(r.admitted, 99))} | ${across(mine, (r) => (100 * r.refused.length) / r.offered, 1)} % | ${mine.every((r) => r.refused.length > 0) ? across(mine, (r) => percentile(r.refused, 95)) : '—'} | ${across(mine, (r) => r.timedOut.length)} | ${across(mine, (r) => all(r).filter((l) => l > 10_000).length)} |`,
    );
  }
  const on = runs.filter((r) => r.variant === 'on');
  const p95s = on.map((r) => percentile(r.admitted, 95));
  const waitedIntoTimeout = on.reduce((n, r) => n + r.timedOut.length + r.admitted.filter((l) => l > 10_000).length, 0);
  say();
  say(
    `Target (docs/PERFORMANCE.md, overload): admitted p95 < 500 ms at 3× capacity, the rest refused at once with 503 + Retry-After, none waiting into a timeout. With admission on: admitted p95 ${p95s.map((p) => p.toFixed(0)).join(', ')} ms — ${p95s.every((p) => p < 500) ? 'met' : 'not met'} in ${p95s.filter((p) => p < 500).length} of ${p95s.length} runs; timeouts or admitted answers later than 10 s: ${waitedIntoTimeout}; refusals without Retry-After: ${on.reduce((n, r) => n + r.refusalsWithoutRetryAfter, 0)}.`,
  );
  if (sweep.length > 0) {
    say();
    say(`## 3. Requests in progress against throughput and latency: closed loop, admission off, ${seconds / 2} s each`);
    say();
    say('| connections | valid answers/s | errors | p50 ms | p95 ms | p99 ms |');
    say('| --- | --- | --- | --- | --- | --- |');
    for (const point of sweep)
      say(
        `| ${point.connections} | ${point.rps.toFixed(0)} | ${point.errors} | ${ms(point.latenciesMs, 50)} | ${ms(point.latenciesMs, 95)} | ${ms(point.latenciesMs, 99)} |`,
      );
  }
  const withSamples = runs.filter((r) => r.samples.length > 0);
  if (withSamples.length > 0) {
    say();
    say('Answers that were neither admitted nor refused with OVERLOADED (the first three of each run that had any):');
    say();
    for (const run of withSamples) {
      say(`- run ${runs.indexOf(run) + 1} (admission ${run.variant}):`);
      for (const text of run.samples) say(`  \`${text.replaceAll('`', "'")}\``);
    }
  }
  write(resolve(import.meta.dirname, 'RESULTS.md'));
}
