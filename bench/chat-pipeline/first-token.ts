/**
 * Platform overhead to the first token: from the sendMessage response to the
 * first MessageDelta at a graphql-ws subscriber, with the zero-delay dev
 * model, at 50, 200 and 1,000 concurrent conversations (closed loop: each
 * conversation sends its next message when the previous reply completed).
 *
 *   bash scripts/local-services.sh ensure && bash scripts/kafka.sh start
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379 KAFKA_BROKERS=127.0.0.1:9092 \
 *     npx tsx bench/chat-pipeline/first-token.ts [seconds=10] [reps=3] [levels=50,200,1000]
 *
 * Where the time goes: a probe consumer (its own group) timestamps when each
 * chat.message.requested becomes readable in Kafka, splitting the overhead into
 * (a) sendMessage response → request readable in Kafka (outbox relay, produce
 * with acks=all) and (b) readable in Kafka → first delta at the subscriber
 * (worker fetch, history, models call, Redis, gateway, WebSocket).
 */
import { resolve } from 'node:path';
import { MessageStreamDocument, RegisterDocument, SendMessageDocument } from '@parley/client';
import { createKafkaBus, Topics } from '@parley/events';
import { captureLogs, postGraphQL } from '@parley/testing';
import { print } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { startPlatformUnderTest } from '@parley/platform/testing';
import { median, percentile } from '../support/closed-loop';
import { describeMachine } from '../support/machine';
import { cpuMeter } from '../support/process-cpu';
import { createReport, medianRange, resultsDir, saveResults } from '../support/report';

const seconds = Number(process.argv[2] ?? 10);
const reps = Number(process.argv[3] ?? 3);
const levels = (process.argv[4] ?? '50,200,1000').split(',').map(Number);
if (!process.env.DATABASE_URL) throw new Error('Set DATABASE_URL, REDIS_URL and KAFKA_BROKERS (see the header of this file)');

const { say, write } = createReport();

const platform = await startPlatformUnderTest({
  settings: {
    MAX_GENERATIONS_PER_USER: '50',
    REGISTRATIONS_PER_IP: '100000',
    // Up to 1,000 conversations send at once, more than the services' default admission bounds take: this measures
    // the pipeline behind them (bench/overload measures the bounds).
    MAX_CONCURRENT_REQUESTS: '2000',
    MAX_QUEUED_REQUESTS: '2000',
  },
  logLevel: 'error',
});
const probe = await createKafkaBus({
  brokers: process.env.KAFKA_BROKERS!.split(','),
  clientId: 'bench-probe',
  logger: captureLogs('silent').logger,
  topicPrefix: platform.namespace,
});
const readableAt = new Map<string, number>();
await probe.subscribe({
  topic: Topics.chatMessageRequested,
  group: 'bench-probe',
  handle: async ({ payload }) => void readableAt.set(payload.assistantMessageId, performance.now()),
});

interface Conversation {
  token: string;
  client: Client;
  conversationId: string | null;
}
const conversations: Conversation[] = [];
let made = 0;
await Promise.all(
  Array.from({ length: 8 }, async () => {
    while (made < Math.max(...levels)) {
      const i = made++;
      const { body } = await postGraphQL(platform.url, RegisterDocument, {
        variables: { input: { email: `ttft-${i}@example.com`, password: 'a long enough passphrase' } },
      });
      if (!body.data) throw new Error(`registration failed: ${JSON.stringify(body.errors)}`);
      const token = body.data.register.accessToken;
      const client = createClient({
        url: platform.url.replace(/^http/, 'ws'),
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${token}` },
        lazy: false,
        retryAttempts: 0,
      });
      conversations.push({ token, client, conversationId: null });
    }
  }),
);
const send = print(SendMessageDocument);
const stream = print(MessageStreamDocument);

/** One exchange: send, subscribe on the answer, time the first delta, wait for the end. */
/** 420 → "four two zero": digits would be read as disguised letters by output moderation ("455"), words are not. */
const DIGITS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
const spelled = (n: number) => [...String(n)].map((d) => DIGITS[Number(d)]).join(' ');

async function exchange(c: Conversation, i: number) {
  const started = performance.now();
  const { body } = await postGraphQL(platform.url, send, {
    token: c.token,
    variables: {
      input: { content: `question ${spelled(i)} with a few words`, ...(c.conversationId ? { conversationId: c.conversationId } : {}) },
    },
  });
  const accepted = performance.now();
  if (!body.data) throw new Error(`sendMessage failed: ${JSON.stringify(body.errors)}`);
  const sent = (body.data as { sendMessage: { conversation: { id: string }; assistantMessage: { id: string } } }).sendMessage;
  c.conversationId = sent.conversation.id;
  const id = sent.assistantMessage.id;
  let firstDelta = NaN;
  let text = '';
  await new Promise<void>((done, fail) => {
    c.client.subscribe(
      { query: stream, variables: { messageId: id } },
      {
        next: (result) => {
          const event = result.data?.['messageStream'] as { __typename: string; delta?: string } | undefined;
          if (!event) return fail(new Error(JSON.stringify(result.errors)));
          if (event.__typename === 'MessageDelta') {
            if (Number.isNaN(firstDelta)) firstDelta = performance.now();
            text += event.delta;
          }
        },
        error: fail,
        complete: done,
      },
    );
  });
  if (text !== `Echo: question ${spelled(i)} with a few words`) throw new Error(`unexpected reply: ${text}`);
  return { sendMs: accepted - started, overhead: firstDelta - accepted, id, accepted, firstDelta };
}

// Every Node process a reply touches (sendMessage asks users for the sender's settings).
const processes = ['gateway-1', 'chat', 'chat-worker-1', 'models', 'users'] as const;
say('# Platform overhead to the first token');
say();
say(`Machine: ${describeMachine()}; PostgreSQL, Redis, Kafka, every Parley service (own process) and the load generator on it.`);
say(`Command: npx tsx bench/chat-pipeline/first-token.ts ${seconds} ${reps} ${levels.join(',')}  (${new Date().toISOString()})`);
say();
say(
  `Closed loop, ${seconds} s per run, ${reps} runs per level (medians of the per-run figures, min–max). Overhead = first MessageDelta at the subscriber − sendMessage response; zero-delay dev model, one gateway, one worker.`,
);
say();
say(
  '| conversations | replies/s | overhead p50 ms | p95 ms | p99 ms | (a) response → in Kafka p50 / p95 | (b) in Kafka → first delta p50 / p95 | CPU µs per reply: ' +
    processes.join(' / ') +
    ' |',
);
say('|---|---|---|---|---|---|---|---|');
let counter = 0;
const fmt = (values: number[], digits = 1) => medianRange(values, digits);
const byLevel: { conversations: number; repliesPerSecond: number; p95Ms: number; cpuUsPerReply: Record<string, number> }[] = [];
for (const level of levels) {
  const runs: { rps: number; p50: number; p95: number; p99: number; a50: number; a95: number; b50: number; b95: number; cpu: number[] }[] =
    [];
  for (let r = -1; r < reps; r++) {
    const warmUp = r < 0;
    const overheads: number[] = [];
    const stageA: number[] = [];
    const stageB: number[] = [];
    const cpuUsed = cpuMeter(processes.map((name) => platform.processes[name]!.child.pid!));
    const deadline = performance.now() + (warmUp ? 3 : seconds) * 1000;
    const startedAt = performance.now();
    await Promise.all(
      conversations.slice(0, level).map(async (c) => {
        while (performance.now() < deadline) {
          const x = await exchange(c, counter++);
          overheads.push(x.overhead);
          const inKafka = readableAt.get(x.id);
          if (inKafka !== undefined) {
            stageA.push(inKafka - x.accepted);
            stageB.push(x.firstDelta - inKafka);
          }
        }
      }),
    );
    if (warmUp) continue;
    const elapsed = (performance.now() - startedAt) / 1000;
    runs.push({
      rps: overheads.length / elapsed,
      p50: percentile(overheads, 50),
      p95: percentile(overheads, 95),
      p99: percentile(overheads, 99),
      a50: percentile(stageA, 50),
      a95: percentile(stageA, 95),
      b50: percentile(stageB, 50),
      b95: percentile(stageB, 95),
      cpu: cpuUsed().map((micros) => micros / overheads.length),
    });
  }
  say(
    `| ${level} | ${fmt(
      runs.map((x) => x.rps),
      0,
    )} | ${fmt(runs.map((x) => x.p50))} | ${fmt(runs.map((x) => x.p95))} | ${fmt(runs.map((x) => x.p99))} | ${median(runs.map((x) => x.a50)).toFixed(1)} / ${median(
      runs.map((x) => x.a95),
    ).toFixed(1)} | ${median(runs.map((x) => x.b50)).toFixed(1)} / ${median(runs.map((x) => x.b95)).toFixed(1)} | ${processes
      .map((_, i) => median(runs.map((x) => x.cpu[i]!)).toFixed(0))
      .join(' / ')} |`,
  );
  byLevel.push({
    conversations: level,
    repliesPerSecond: median(runs.map((x) => x.rps)),
    p95Ms: median(runs.map((x) => x.p95)),
    cpuUsPerReply: Object.fromEntries(processes.map((name, i) => [name, median(runs.map((x) => x.cpu[i]!))])),
  });
}
say();
for (const c of conversations) await c.client.dispose();
await probe.close();
await platform.stop();
const out = resultsDir(import.meta.dirname);
write(resolve(out, 'FIRST-TOKEN.md'));
saveResults(out, 'first-token.json', { seconds, reps, levels: byLevel });
process.exit(0);
