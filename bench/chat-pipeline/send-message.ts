/**
 * sendMessage through the gateway: accepted per second and latency, with the
 * whole pipeline running behind it (outbox relay, Kafka, the chat worker
 * streaming zero-delay dev-model replies into Redis).
 *
 *   bash scripts/local-services.sh ensure && bash scripts/kafka.sh start
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379 KAFKA_BROKERS=127.0.0.1:9092 \
 *     npx tsx bench/chat-pipeline/send-message.ts [seconds=10] [reps=3]
 *
 * Services mode, each service its own process, everything on this machine.
 * Open loop at fixed rates (latency from each request's due time), 1,000
 * users with their own tokens, half the messages continuing the user's
 * conversation and half starting one; every answer checked. After each run,
 * the time until every reply it asked for is finished (the pipeline kept up, or
 * how far behind it was).
 */
import { resolve } from 'node:path';
import { RegisterDocument, SendMessageDocument } from '@parley/client';
import { postGraphQL } from '@parley/testing';
import { print } from 'graphql';
import pg from 'pg';
import { startPlatformUnderTest } from '@parley/platform/testing';
import { median, percentile } from '../support/closed-loop';
import { describeMachine } from '../support/machine';
import { openLoop } from '../support/open-loop';
import { cpuMeter } from '../support/process-cpu';
import { createReport, medianRange, resultsDir, saveResults } from '../support/report';

const seconds = Number(process.argv[2] ?? 10);
const reps = Number(process.argv[3] ?? 3);
const rates = (process.argv[4] ?? '250,500,750').split(',').map(Number);
if (!process.env.DATABASE_URL) throw new Error('Set DATABASE_URL, REDIS_URL and KAFKA_BROKERS (see the header of this file)');

const { say, write } = createReport();

const platform = await startPlatformUnderTest({
  settings: { MAX_GENERATIONS_PER_USER: '50', REGISTRATIONS_PER_IP: '100000' },
  logLevel: 'error',
});
const users: { token: string; conversationId: string }[] = [];
let registered = 0;
await Promise.all(
  Array.from({ length: 8 }, async () => {
    while (registered < 1000) {
      const i = registered++;
      const { body } = await postGraphQL(platform.url, RegisterDocument, {
        variables: { input: { email: `bench-${i}@example.com`, password: 'a long enough passphrase' } },
      });
      if (!body.data) throw new Error(`registration failed: ${JSON.stringify(body.errors)}`);
      const token = body.data.register.accessToken;
      const sent = await postGraphQL(platform.url, SendMessageDocument, { token, variables: { input: { content: 'hello' } } });
      users.push({ token, conversationId: sent.body.data!.sendMessage.conversation.id });
    }
  }),
);
const query = print(SendMessageDocument);
const db = new pg.Client({ connectionString: platform.databaseUrl! });
await db.connect();

/** Replies not yet finished, across every bench user (the pipeline's backlog). */
async function unfinished(): Promise<number> {
  const { rows } = await db.query(`select count(*)::int as n from "chat"."message" where status in ('PENDING', 'STREAMING')`);
  return rows[0].n as number;
}

const processes = ['gateway-1', 'chat', 'chat-worker-1', 'models', 'users'] as const;
say('# sendMessage: accepted per second and latency, with the pipeline running');
say();
say(`Machine: ${describeMachine()}; PostgreSQL, Redis, Kafka, every Parley service (own process) and the load generator on it.`);
say(`Command: npx tsx bench/chat-pipeline/send-message.ts ${seconds} ${reps} ${rates.join(',')}  (${new Date().toISOString()})`);
say();
say(`Open loop, ${seconds} s per run, ${reps} runs per rate (medians, min–max); 1,000 users; zero-delay dev model.`);
say();
say(
  `| offered/s | accepted/s | errors | p50 ms | p95 ms | p99 ms | backlog drained after | CPU µs per message: ${processes.join(' / ')} |`,
);
say('|---|---|---|---|---|---|---|---|');
let counter = 0;
const byRate: { offered: number; acceptedPerSecond: number; errors: number; p95Ms: number }[] = [];
for (const rate of rates) {
  const runs: { rps: number; errors: number; p50: number; p95: number; p99: number; drain: number; cpu: number[] }[] = [];
  for (let r = 0; r < reps; r++) {
    const cpuUsed = cpuMeter(processes.map((name) => platform.processes[name]!.child.pid!));
    const run = await openLoop({
      url: platform.url,
      rate,
      seconds,
      // Body and token of request i come from the same user (i is the open loop's index, restarting each run).
      body: (i) => {
        const user = users[i % users.length]!;
        const n = counter++;
        const input = i % 2 === 0 ? { content: `question ${n}`, conversationId: user.conversationId } : { content: `question ${n}` };
        return JSON.stringify({ query, variables: { input } });
      },
      headers: (i) => ({ authorization: `Bearer ${users[i % users.length]!.token}` }),
      validate: (status, text) => status === 200 && text.includes('"assistantMessage":{"id":') && !text.includes('"errors"'),
    });
    if (run.errors > 0) console.error(`${run.errors} errors at ${rate}/s, e.g.:\n${run.errorSamples.join('\n')}`);
    const cpu = cpuUsed().map((micros) => micros / Math.max(1, run.requests));
    const drainStarted = performance.now();
    while ((await unfinished()) > 0) await new Promise((r) => setTimeout(r, 100));
    runs.push({
      rps: run.requests / run.seconds,
      errors: run.errors,
      p50: percentile(run.latenciesMs, 50),
      p95: percentile(run.latenciesMs, 95),
      p99: percentile(run.latenciesMs, 99),
      drain: (performance.now() - drainStarted) / 1000,
      cpu,
    });
  }
  const fmt = (values: number[], digits = 1) => medianRange(values, digits);
  say(
    `| ${rate} | ${fmt(
      runs.map((x) => x.rps),
      0,
    )} | ${runs.reduce((s, x) => s + x.errors, 0)} | ${fmt(runs.map((x) => x.p50))} | ${fmt(runs.map((x) => x.p95))} | ${fmt(
      runs.map((x) => x.p99),
    )} | ${fmt(runs.map((x) => x.drain))} s | ${processes.map((_, i) => median(runs.map((x) => x.cpu[i]!)).toFixed(0)).join(' / ')} |`,
  );
  byRate.push({
    offered: rate,
    acceptedPerSecond: median(runs.map((x) => x.rps)),
    errors: runs.reduce((s, x) => s + x.errors, 0),
    p95Ms: median(runs.map((x) => x.p95)),
  });
}
say();
await db.end();
await platform.stop();
const out = resultsDir(import.meta.dirname);
write(resolve(out, 'SEND-MESSAGE.md'));
saveResults(out, 'send-message.json', { seconds, reps, rates: byRate });
process.exit(0);
