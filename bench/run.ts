/**
 * `npm run bench`: the benchmarks that carry the performance targets (issue 15), then a summary table of each
 * target, what was measured and whether it is met.
 *
 *   npm run bench              # full: the committed results (each benchmark's page beside it, bench/SUMMARY.md)
 *   npm run bench -- --short   # a quick check (3 s per measurement, 1 rep) into /tmp/parley-bench; commits nothing
 *
 * Needs DATABASE_URL, REDIS_URL and KAFKA_BROKERS (services mode on the machine's PostgreSQL, Redis and Kafka), and
 * for the web client's budgets (bench/web) Debian's chromium (PARLEY_CHROMIUM elsewhere).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { median } from './support/closed-loop';
import { describeMachine } from './support/machine';
import type { Measurement } from './gateway-edge/measurement';
import type { Results } from './gateway-edge/report';

const short = process.argv.includes('--short');
if (!process.env.DATABASE_URL || !process.env.REDIS_URL || !process.env.KAFKA_BROKERS) {
  throw new Error('Set DATABASE_URL, REDIS_URL and KAFKA_BROKERS (see bench/README.md)');
}
const benchDir = import.meta.dirname;
const out = short ? '/tmp/parley-bench' : benchDir;
const [seconds, reps] = short ? ['3', '1'] : ['10', '3'];
const loadBefore = loadavg();
const startedAt = new Date();

/**
 * Runs `bench/<script>` with `args` and reads the JSON (`results`) it writes beside its results page: beside its
 * script in the full run, into `out/<its folder>` in the short one.
 */
function runBenchmark<T>(script: string, args: (string | number)[], results: string): T {
  const folder = script.split('/')[0]!;
  const dir = short ? resolve(out, folder) : resolve(benchDir, folder);
  mkdirSync(dir, { recursive: true });
  const run = spawnSync('npx', ['tsx', resolve(benchDir, script), ...args.map(String)], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_OUT_DIR: dir },
  });
  if (run.status !== 0) throw new Error(`bench/${script} failed (exit ${run.status})`);
  return JSON.parse(readFileSync(resolve(dir, results), 'utf8')) as T;
}

const edge = runBenchmark<{ results: Results }>('gateway-edge/run.ts', [seconds, reps], 'results.json');
const embedded = runBenchmark<{ ratio: number }>('embedded/run.ts', [seconds, reps], 'results.json');
// Goal 3 at the loads it names: sendMessage offered 400/s, the first token at 50 concurrent conversations.
const sending = runBenchmark<{ rates: { offered: number; acceptedPerSecond: number; errors: number; p95Ms: number }[] }>(
  'chat-pipeline/send-message.ts',
  [seconds, reps, 400],
  'send-message.json',
);
const firstToken = runBenchmark<{ levels: { conversations: number; p95Ms: number; cpuUsPerReply: Record<string, number> }[] }>(
  'chat-pipeline/first-token.ts',
  [seconds, reps, 50],
  'first-token.json',
);
// Goal 4: 2,000 subscribers at 20 tokens/s each, one run (its 20 s are 800,000 events).
const fanOut = runBenchmark<{ ofOffered: number; p99Ms: number; gatewayCpuUsPerEvent: number; gatewayRssKiBPerConnection: number }>(
  'chat-pipeline/fan-out.ts',
  [short ? 5 : 20, 2000, 20],
  'fan-out.json',
);
// The web client's budgets (embedded platform, Debian's chromium): initial JavaScript, first paint.
const web = runBenchmark<{ initialJsGzipBytes: number; jsBudgetBytes: number; worstFirstPaintP95Ms: number; firstPaintBudgetMs: number }>(
  'web/run.ts',
  [short ? 3 : 20],
  'results.json',
);
const { closedOurs, closedApollo, openOurs, kinds } = edge.results;

/** CPU per request of everything serving it: every process of the run, its PostgreSQL and Redis, not the load generator. */
const servingMs = (runs: Measurement[]) => median(runs.map((m) => (m.perRequest.run - m.perRequest.loadGenerator) / 1000));
const ratio = median(closedOurs.map((m, i) => m.rps / closedApollo[i]!.rps));
const errors = (runs: Measurement[]) => runs.reduce((sum, m) => sum + m.errors, 0);

const replyCpuUs = Object.values(firstToken.levels[0]!.cpuUsPerReply).reduce((a, b) => a + b, 0);
const sent = sending.rates[0]!;

interface Row {
  goal: string;
  target: string;
  measured: string;
  met: boolean | null;
}
const rows: Row[] = [
  {
    goal: '1 mixed reads, CPU per request (all processes)',
    target: '≤ 2.0 ms',
    measured: `${servingMs(closedOurs).toFixed(2)} ms`,
    met: servingMs(closedOurs) <= 2.0,
  },
  {
    goal: '1 `me`, CPU per request',
    target: '≤ 1.0 ms',
    measured: `${servingMs(kinds.me).toFixed(2)} ms`,
    met: servingMs(kinds.me) <= 1.0,
  },
  {
    goal: '1 `models`, CPU per request',
    target: '≤ 0.7 ms',
    measured: `${servingMs(kinds.models).toFixed(2)} ms`,
    met: servingMs(kinds.models) <= 0.7,
  },
  {
    goal: '1 conversations page, CPU per request',
    target: '≤ 4.5 ms',
    measured: `${servingMs(kinds.conversations).toFixed(2)} ms`,
    met: servingMs(kinds.conversations) <= 4.5,
  },
  {
    goal: '1 mixed reads, closed loop (50 connections)',
    target: '≥ 1000 req/s, no errors',
    measured: `${median(closedOurs.map((m) => m.rps)).toFixed(0)} req/s, ${errors(closedOurs)} errors`,
    met: median(closedOurs.map((m) => m.rps)) >= 1000 && errors(closedOurs) === 0,
  },
  {
    goal: '1 mixed reads, open loop at 1000 req/s',
    target: 'p95 < 500 ms (aim ≤ 50), no errors',
    measured: `p95 ${median(openOurs.map((m) => m.p95)).toFixed(0)} ms, ${errors(openOurs)} errors, ${median(openOurs.map((m) => m.late)).toFixed(0)} late`,
    met: median(openOurs.map((m) => m.p95)) < 500 && errors(openOurs) === 0,
  },
  {
    goal: '2 closed loop against a default @apollo/gateway, same run',
    target: '≥ 1.7×',
    measured: `${ratio.toFixed(2)}×`,
    met: ratio >= 1.7,
  },
  {
    goal: '3 chat pipeline, Node CPU per reply (50 conversations)',
    target: '≤ 5 ms',
    measured: `${(replyCpuUs / 1000).toFixed(2)} ms (${Object.entries(firstToken.levels[0]!.cpuUsPerReply)
      .map(([name, us]) => `${name} ${(us / 1000).toFixed(2)}`)
      .join(', ')})`,
    met: replyCpuUs <= 5000,
  },
  {
    goal: '3 sendMessage offered 400/s, pipeline running',
    target: '≥ 400 accepted/s, p95 < 100 ms',
    measured: `${sent.acceptedPerSecond.toFixed(0)} accepted/s, p95 ${sent.p95Ms.toFixed(0)} ms, ${sent.errors} errors`,
    met: sent.acceptedPerSecond >= 400 * 0.98 && sent.p95Ms < 100 && sent.errors === 0,
  },
  {
    goal: '3 overhead to the first token, 50 conversations',
    target: 'p95 < 50 ms',
    measured: `p95 ${firstToken.levels[0]!.p95Ms.toFixed(0)} ms`,
    met: firstToken.levels[0]!.p95Ms < 50,
  },
  {
    goal: '4 subscriptions, 2,000 × 20 tokens/s on one gateway',
    target: 'all delivered, p99 < 100 ms, ≤ 15 µs/event',
    measured: `${(fanOut.ofOffered * 100).toFixed(1)} % delivered, p99 ${fanOut.p99Ms.toFixed(0)} ms, ${fanOut.gatewayCpuUsPerEvent.toFixed(1)} µs/event, ${fanOut.gatewayRssKiBPerConnection.toFixed(1)} KiB/connection`,
    met: fanOut.ofOffered >= 0.99 && fanOut.p99Ms < 100 && fanOut.gatewayCpuUsPerEvent <= 15,
  },
  {
    goal: '5 embedded: a mixed read against /healthz, CPU per request',
    target: '≤ 50×',
    measured: `${embedded.ratio.toFixed(1)}× (bench/embedded/RESULTS.md)`,
    met: embedded.ratio <= 50,
  },
  {
    goal: 'web client: JavaScript loaded before the first paint, gzipped',
    target: '≤ 250 kB',
    measured: `${(web.initialJsGzipBytes / 1000).toFixed(1)} kB (bench/web/RESULTS.md)`,
    met: web.initialJsGzipBytes <= web.jsBudgetBytes,
  },
  {
    goal: 'web client: first paint, sign-in page and a conversation, cold and warm',
    target: 'p95 < 1 s',
    measured: `worst p95 ${web.worstFirstPaintP95Ms.toFixed(0)} ms (bench/web/RESULTS.md)`,
    met: web.worstFirstPaintP95Ms < web.firstPaintBudgetMs,
  },
];

const lines = [
  '# Performance targets (issue 15): target, measured, met',
  '',
  `Machine: ${describeMachine()}. Load average before the run: ${loadBefore.map((x) => x.toFixed(2)).join(', ')}.`,
  `Command: npm run bench${short ? ' -- --short' : ''} (${startedAt.toISOString()}); each benchmark's own page says its load; services mode, every process (and the load generator) on these cores.`,
  'Goal 1–2: CPU per request is the median over the reps of every process of the run (services, workers, the other gateways idle), its PostgreSQL backends and Redis, without the load generator (bench/gateway-edge/RESULTS.md). Goal 3: bench/chat-pipeline/SEND-MESSAGE.md and FIRST-TOKEN.md. Goal 4: bench/chat-pipeline/FAN-OUT-2000x20.md. Goal 5: bench/embedded/RESULTS.md. Web client: bench/web/RESULTS.md (embedded platform, headless chromium, unthrottled loopback).',
  '',
  '| goal | target | measured | met |',
  '| --- | --- | --- | --- |',
  ...rows.map((r) => `| ${r.goal} | ${r.target} | ${r.measured} | ${r.met === null ? '—' : r.met ? 'yes' : 'no'} |`),
  '',
];
writeFileSync(resolve(out, 'SUMMARY.md'), lines.join('\n'));
console.log(`\n${lines.join('\n')}\nwritten to ${resolve(out, 'SUMMARY.md')}`);
