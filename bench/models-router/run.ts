/**
 * What the models router adds to a model call.
 *
 *   bash scripts/local-services.sh ensure && bash scripts/kafka.sh start
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379 KAFKA_BROKERS=127.0.0.1:9092 \
 *     npx tsx bench/models-router/run.ts [seconds=8] [reps=3]
 *
 * A fake OpenAI-compatible upstream (its own process, 20 tokens a reply) is
 * called directly (A) and through the models service (B: its own process in
 * services mode on PostgreSQL, Redis and Kafka: routing, budget reserve and
 * settle in Redis, usage record in PostgreSQL, usage.recorded to Kafka),
 * interleaved A B A B, every reply checked.
 * 1. Concurrent streams at a model's pace (a token every 50 ms, ~1 s a reply):
 *    N streams open at all times; time to first token of each.
 * 2. Replies as fast as the upstream can send them (no delay): throughput and
 *    the models service's CPU per reply.
 * 3. Non-streamed completions, 64 concurrent.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { createTestDatabase, freePort, startServiceProcess, uniqueName, waitUntilReady } from '@parley/testing';
import { stringify } from 'yaml';
import { closedLoop, median, percentile } from '../support/closed-loop';
import { describeMachine } from '../support/machine';
import { processCpuMicros } from '../support/process-cpu';
import { createReport, medianRange } from '../support/report';
import { streamCompletion } from '../support/stream-client';

const seconds = Number(process.argv[2] ?? 8);
const reps = Number(process.argv[3] ?? 3);
const { DATABASE_URL, REDIS_URL, KAFKA_BROKERS } = process.env;
if (!DATABASE_URL || !REDIS_URL || !KAFKA_BROKERS)
  throw new Error('Set DATABASE_URL, REDIS_URL and KAFKA_BROKERS (see the header of this file)');

const { say, write } = createReport();

async function startUpstream(tokenDelayMs: number) {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', resolve(import.meta.dirname, 'fake-upstream-server.ts'), '20', String(tokenDelayMs)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const { baseUrl } = await new Promise<{ baseUrl: string }>((done) =>
    createInterface({ input: child.stdout! }).once('line', (line) => done(JSON.parse(line))),
  );
  return { child, baseUrl };
}
const upstreams = { instant: await startUpstream(0), paced: await startUpstream(50) };
type Upstream = keyof typeof upstreams;

const database = await createTestDatabase(DATABASE_URL, 'parley_bench');
const dir = mkdtempSync(join(tmpdir(), 'parley-bench-'));
writeFileSync(
  join(dir, 'models.yaml'),
  stringify({
    deployments: (['instant', 'paced'] as const).map((name) => ({
      id: name,
      model: `fake/${name}`,
      displayName: `Fake (${name})`,
      provider: 'openai',
      baseUrl: upstreams[name].baseUrl,
      apiKeyEnv: 'FAKE_API_KEY',
      upstreamModel: 'upstream-model',
      contextWindow: 100_000,
      // Priced like a real model, so a budget is reserved and settled for every reply.
      inputPricePerMTok: 2.5,
      outputPricePerMTok: 10,
      maxConcurrency: 10_000,
    })),
  }),
);
const internalToken = randomBytes(32).toString('base64');
const port = await freePort();
const models = startServiceProcess('models', 'subgraphs/models/src/index.ts', {
  DATABASE_URL: database.url,
  REDIS_URL,
  KAFKA_BROKERS,
  KAFKA_TOPIC_PREFIX: `${uniqueName('bench')}.`,
  PORT: String(port),
  MODELS_CONFIG: join(dir, 'models.yaml'),
  FAKE_API_KEY: 'sk-bench',
  INTERNAL_SERVICE_TOKEN: internalToken,
  DEFAULT_DAILY_BUDGET_USD: '100000',
  DEFAULT_MONTHLY_BUDGET_USD: '100000',
  // Up to 500 streams start at once, more than the service's default admission bound takes: this measures the router
  // behind it (bench/overload measures the bound).
  MAX_CONCURRENT_REQUESTS: '1000',
  MAX_QUEUED_REQUESTS: '1000',
  LOG_LEVEL: 'error',
});
await waitUntilReady(`http://127.0.0.1:${port}/readyz`, models);

const users = Array.from({ length: 100 }, () => randomUUID());
const targets = {
  A: {
    name: 'fake upstream, directly',
    url: (u: Upstream) => `${upstreams[u].baseUrl}/chat/completions`,
    model: (_u: Upstream) => 'upstream-model',
    headers: (_i: number): Record<string, string> => ({ authorization: 'Bearer sk-bench' }),
  },
  B: {
    name: 'through the models service',
    url: (_u: Upstream) => `http://127.0.0.1:${port}/v1/chat/completions`,
    model: (u: Upstream) => `fake/${u}`,
    headers: (i: number): Record<string, string> => ({
      authorization: `Bearer ${internalToken}`,
      'x-parley-user-id': users[i % users.length]!,
    }),
  },
};
const expected = Array.from({ length: 20 }, (_, i) => ` t${i}`).join('');

async function streams(concurrency: number, key: 'A' | 'B', upstream: Upstream, runSeconds = seconds) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const ttft: number[] = [];
  let replies = 0;
  let counter = 0;
  const deadline = performance.now() + runSeconds * 1000;
  const cpuBefore = processCpuMicros(models.child.pid!);
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const i = counter++;
        const body = JSON.stringify({
          model: targets[key].model(upstream),
          stream: true,
          messages: [{ role: 'user', content: `question ${i}` }],
        });
        const timing = await streamCompletion(targets[key].url(upstream), agent, targets[key].headers(i), body);
        if (timing.content !== expected) throw new Error(`unexpected reply through ${key}: ${timing.content.slice(0, 80)}`);
        ttft.push(timing.firstTokenMs);
        replies++;
      }
    }),
  );
  agent.destroy();
  return { ttft, replies, cpuPerReply: key === 'B' ? (processCpuMicros(models.child.pid!) - cpuBefore) / replies : NaN };
}

const fmt = (values: number[], digits = 1) => medianRange(values, digits);
const added: Record<string, { p50: number; p99: number }> = {};

async function scenario(title: string, upstream: Upstream, concurrencies: number[]) {
  say(`## ${title}, ${reps} × ${seconds} s per cell, A/B interleaved (medians of the per-run figures, min–max)`);
  say();
  say('| concurrent streams | target | replies/s | TTFT p50 ms | TTFT p99 ms | models CPU µs/reply |');
  say('|---|---|---|---|---|---|');
  for (const concurrency of concurrencies) {
    await streams(concurrency, 'B', upstream, 3); // warm-up: JIT, connection pools
    const cells: Record<'A' | 'B', { rps: number; p50: number; p99: number; cpu: number }[]> = { A: [], B: [] };
    for (let r = 0; r < reps; r++) {
      for (const key of ['A', 'B'] as const) {
        const started = performance.now();
        const run = await streams(concurrency, key, upstream);
        cells[key].push({
          rps: run.replies / ((performance.now() - started) / 1000),
          p50: percentile(run.ttft, 50),
          p99: percentile(run.ttft, 99),
          cpu: run.cpuPerReply,
        });
      }
    }
    for (const key of ['A', 'B'] as const) {
      const c = cells[key];
      say(
        `| ${concurrency} | ${key}: ${targets[key].name} | ${fmt(
          c.map((x) => x.rps),
          0,
        )} | ${fmt(c.map((x) => x.p50))} | ${fmt(c.map((x) => x.p99))} | ${
          key === 'B'
            ? fmt(
                c.map((x) => x.cpu),
                0,
              )
            : '—'
        } |`,
      );
    }
    added[`${upstream} ${concurrency}`] = {
      p50: median(cells.B.map((x) => x.p50)) - median(cells.A.map((x) => x.p50)),
      p99: median(cells.B.map((x) => x.p99)) - median(cells.A.map((x) => x.p99)),
    };
  }
  say();
}

say('# Models router: added latency to first token, and throughput');
say();
say(`Machine: ${describeMachine()}; PostgreSQL, Redis, Kafka, both fake upstreams, the models service and the load generator all on it.`);
say(`Command: npx tsx bench/models-router/run.ts ${seconds} ${reps}  (${new Date().toISOString()})`);
say();
await scenario('1. Streams at a model’s pace (a token every 50 ms): time to first token', 'paced', [100, 500]);
await scenario('2. Streams as fast as the upstream sends: throughput and CPU per reply', 'instant', [100]);
for (const [cell, delta] of Object.entries(added)) {
  const [upstream, concurrency] = cell.split(' ');
  say(
    `Added by the router (${upstream} upstream, ${concurrency} concurrent streams): p50 ${delta.p50.toFixed(1)} ms, p99 ${delta.p99.toFixed(1)} ms.`,
  );
}
say();

say(`## 3. Non-streamed completions, 64 concurrent, ${reps} × ${seconds} s, A/B interleaved`);
say();
say('| target | completions/s median (min–max) | p50 ms | p99 ms |');
say('|---|---|---|---|');
const plain: Record<'A' | 'B', { rps: number; p50: number; p99: number }[]> = { A: [], B: [] };
for (let r = 0; r < reps; r++) {
  for (const key of ['A', 'B'] as const) {
    const run = await closedLoop({
      url: targets[key].url('instant'),
      connections: 64,
      seconds,
      body: (i) => JSON.stringify({ model: targets[key].model('instant'), messages: [{ role: 'user', content: `question ${i}` }] }),
      headers: targets[key].headers,
      validate: (status, text) => status === 200 && text.includes(expected.trim()),
    });
    if (run.errors > 0) throw new Error(`${run.errors} bad answers from ${key}`);
    plain[key].push({ rps: run.requests / run.seconds, p50: percentile(run.latenciesMs, 50), p99: percentile(run.latenciesMs, 99) });
  }
}
for (const key of ['A', 'B'] as const) {
  const c = plain[key];
  say(
    `| ${key}: ${targets[key].name} | ${fmt(
      c.map((x) => x.rps),
      0,
    )} | ${median(c.map((x) => x.p50)).toFixed(1)} | ${median(c.map((x) => x.p99)).toFixed(1)} |`,
  );
}

await models.stop('SIGTERM');
for (const upstream of Object.values(upstreams)) upstream.child.kill();
await database.drop();
write(resolve(import.meta.dirname, 'RESULTS.md'));
process.exit(0);
