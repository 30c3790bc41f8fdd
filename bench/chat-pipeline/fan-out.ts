/**
 * Fan-out: 2,000 concurrent messageStream subscriptions on one gateway (each
 * its own graphql-ws connection and its own reply), 20 tokens a second each
 * (40,000 events/s), produced by a separate process through the Redis message
 * stream log exactly as chat workers write it. Reports delivery latency (send
 * time in the token → arrival at the subscriber) and the gateway's memory per
 * connection and CPU per delivered event.
 *
 *   bash scripts/local-services.sh ensure && bash scripts/kafka.sh start
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379 KAFKA_BROKERS=127.0.0.1:9092 \
 *     npx tsx bench/chat-pipeline/fan-out.ts [seconds=20] [subscribers=2000] [tokensPerSecond=20]
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { RegisterDocument } from '@parley/client';
import { postGraphQL } from '@parley/testing';
import { createClient, type Client } from 'graphql-ws';
import Redis from 'ioredis';
import pg from 'pg';
import WebSocket from 'ws';
import { startPlatformUnderTest } from '@parley/platform/testing';
import { percentile } from '../support/closed-loop';
import { describeMachine } from '../support/machine';
import { processCpuMicros } from '../support/process-cpu';
import { processRssKiB as rssKiB } from '../support/process-memory';
import { createReport, resultsDir, saveResults } from '../support/report';

const seconds = Number(process.argv[2] ?? 20);
const subscribers = Number(process.argv[3] ?? 2000);
const rate = Number(process.argv[4] ?? 20);
if (!process.env.DATABASE_URL || !process.env.REDIS_URL)
  throw new Error('Set DATABASE_URL, REDIS_URL and KAFKA_BROKERS (see the header of this file)');

const { say, write } = createReport();
/** Redis's own CPU time so far (INFO cpu), in seconds: Redis is a single thread and may be the limit. */
async function redisCpuSeconds(): Promise<number> {
  const redis = new Redis(process.env.REDIS_URL!);
  const info = await redis.info('cpu');
  await redis.quit();
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return field('used_cpu_user') + field('used_cpu_sys');
}

const platform = await startPlatformUnderTest({ settings: { REGISTRATIONS_PER_IP: '100000' }, logLevel: 'error' });
const gatewayPid = platform.processes['gateway-1']!.child.pid!;
// Subscribers are 100 users with 20 replies each, every reply a PENDING one (as if a worker were about to stream it).
const users: { id: string; token: string }[] = [];
for (let i = 0; i < 100; i++) {
  const { body } = await postGraphQL(platform.url, RegisterDocument, {
    variables: { input: { email: `fan-${i}@example.com`, password: 'a long enough passphrase' } },
  });
  users.push({ id: body.data!.register.user.id, token: body.data!.register.accessToken });
}
// Written in bulk with SQL (as sendMessage would leave them, minus the outbox row: no worker is to answer them).
const replies: { id: string; token: string }[] = [];
const db = new pg.Client({ connectionString: platform.databaseUrl! });
await db.connect();
const conversationRows: unknown[][] = [];
const messageRows: unknown[][] = [];
for (let i = 0; i < subscribers; i++) {
  const user = users[i % users.length]!;
  const [conversationId, questionId, replyId] = [randomUUID(), randomUUID(), randomUUID()];
  conversationRows.push([conversationId, user.id, `fan-out ${i}`, replyId]);
  messageRows.push(
    [questionId, conversationId, 'USER', 'stream to me', 'COMPLETED', null],
    [replyId, conversationId, 'ASSISTANT', '', 'PENDING', questionId],
  );
  replies.push({ id: replyId, token: user.token });
}
await db.query(
  `insert into "chat"."conversation" (id, owner_id, title, created_at, updated_at, active_leaf_id)
   select c.id::uuid, c.owner::uuid, c.title, now(), now(), c.leaf::uuid from json_to_recordset($1) as c(id text, owner text, title text, leaf text)`,
  [JSON.stringify(conversationRows.map(([id, owner, title, leaf]) => ({ id, owner, title, leaf })))],
);
await db.query(
  `insert into "chat"."message" (id, conversation_id, role, content, status, created_at, updated_at, parent_id)
   select m.id::uuid, m.conversation::uuid, m.role, m.content, m.status, now(), now(), m.parent::uuid
   from json_to_recordset($1) as m(id text, conversation text, role text, content text, status text, parent text)`,
  [
    JSON.stringify(
      messageRows.map(([id, conversation, role, content, status, parent]) => ({ id, conversation, role, content, status, parent })),
    ),
  ],
);
await db.end();

const rssBefore = rssKiB(gatewayPid);
const latencies: number[] = [];
let delivered = 0;
let measuring = false;
const clients: Client[] = [];
const subscribed: Promise<void>[] = [];
const connected: Promise<void>[] = [];
for (const reply of replies) {
  const client = createClient({
    url: platform.url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${reply.token}` },
    lazy: false,
    retryAttempts: 0,
  });
  connected.push(new Promise<void>((resolve) => client.on('connected', () => resolve())));
  clients.push(client);
  subscribed.push(
    new Promise<void>((ready) => {
      // The first event tells us the subscription is live; everything before measuring starts is warm-up.
      let first = true;
      client.subscribe(
        {
          query: 'subscription ($id: ID!) { messageStream(messageId: $id) { seq ... on MessageDelta { delta } } }',
          variables: { id: reply.id },
        },
        {
          next: (result) => {
            const event = result.data?.['messageStream'] as { delta?: string } | undefined;
            if (!event?.delta) throw new Error(JSON.stringify(result.errors));
            if (first) {
              first = false;
              ready();
            }
            if (!measuring) return;
            latencies.push(Date.now() - Number(event.delta));
            delivered++;
          },
          error: (error) => console.error('subscription error', error),
          complete: () => undefined,
        },
      );
    }),
  );
}

// Memory per connection: every socket open and every subscription started, before any token flows.
await Promise.all(connected);
await new Promise((r) => setTimeout(r, 3_000));
const rssSubscribed = rssKiB(gatewayPid);
const producer = spawn(
  process.execPath,
  ['--import', 'tsx', resolve(import.meta.dirname, 'fan-out-producer.ts'), process.env.REDIS_URL, platform.namespace, String(rate)],
  {
    stdio: ['pipe', 'pipe', 'inherit'],
  },
);
producer.stdin!.end(JSON.stringify(replies.map((r) => r.id)));
const producerLines = createInterface({ input: producer.stdout! });
const producerOutput: string[] = [];
producerLines.on('line', (line) => producerOutput.push(line));
await Promise.all(subscribed);
console.log(`${subscribers} subscriptions live`);
// Warm-up with every subscription flowing, then measure.
await new Promise((r) => setTimeout(r, 3_000));
measuring = true;
const cpuBefore = processCpuMicros(gatewayPid);
const redisCpuBefore = await redisCpuSeconds();
const producerCpuBefore = processCpuMicros(producer.pid!);
const selfCpuBefore = process.cpuUsage();
await new Promise((r) => setTimeout(r, seconds * 1000));
measuring = false;
const cpu = processCpuMicros(gatewayPid) - cpuBefore;
const redisCpu = (await redisCpuSeconds()) - redisCpuBefore;
const producerCpu = processCpuMicros(producer.pid!) - producerCpuBefore;
const selfCpu = process.cpuUsage(selfCpuBefore);
const rssAfter = rssKiB(gatewayPid);
producer.kill('SIGTERM');
await new Promise((r) => producer.once('exit', r));

const expected = subscribers * rate * seconds;
say('# Fan-out: concurrent subscriptions on one gateway');
say();
say(
  `Machine: ${describeMachine()}; PostgreSQL, Redis, Kafka, every Parley service (own process), the token producer and the subscribers' client on it.`,
);
say(`Command: npx tsx bench/chat-pipeline/fan-out.ts ${seconds} ${subscribers} ${rate}  (${new Date().toISOString()})`);
say();
say(
  `${subscribers} graphql-ws connections, one messageStream each, ${rate} tokens/s each (${subscribers * rate} events/s offered), ${seconds} s measured after a 3 s warm-up.`,
);
say();
say(
  '| delivered events/s | of offered | delivery p50 ms | p95 ms | p99 ms | max ms | gateway CPU µs per event | gateway RSS per connection |',
);
say('|---|---|---|---|---|---|---|---|');
say(
  `| ${(delivered / seconds).toFixed(0)} | ${((100 * delivered) / expected).toFixed(1)} % | ${percentile(latencies, 50).toFixed(0)} | ${percentile(latencies, 95).toFixed(0)} | ${percentile(
    latencies,
    99,
  ).toFixed(
    0,
  )} | ${latencies.reduce((a, b) => Math.max(a, b), 0).toFixed(0)} | ${(cpu / Math.max(1, delivered)).toFixed(1)} | ${(((rssSubscribed - rssBefore) * 1024) / subscribers / 1024).toFixed(1)} KiB (RSS ${Math.round(rssBefore / 1024)} → ${Math.round(rssSubscribed / 1024)} MiB subscribed, ${Math.round(rssAfter / 1024)} MiB after the run) |`,
);
say();
say(
  `CPU over the measured ${seconds} s (cores): gateway ${(cpu / 1e6 / seconds).toFixed(2)}, token producer ${(producerCpu / 1e6 / seconds).toFixed(2)}, Redis ${(redisCpu / seconds).toFixed(2)}, subscribers' client ${((selfCpu.user + selfCpu.system) / 1e6 / seconds).toFixed(2)} — of 2.`,
);
say(`Producer: ${producerOutput.at(-1) ?? 'no report'}`);
for (const client of clients) await client.dispose();
await platform.stop();
const out = resultsDir(import.meta.dirname);
write(resolve(out, `FAN-OUT-${subscribers}x${rate}.md`));
saveResults(out, 'fan-out.json', {
  seconds,
  subscribers,
  rate,
  deliveredPerSecond: delivered / seconds,
  ofOffered: delivered / expected,
  p99Ms: percentile(latencies, 99),
  gatewayCpuUsPerEvent: cpu / Math.max(1, delivered),
  gatewayRssKiBPerConnection: (rssSubscribed - rssBefore) / subscribers,
});
process.exit(0);
