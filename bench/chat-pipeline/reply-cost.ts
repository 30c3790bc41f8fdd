/**
 * What one reply costs every process it touches, the stores included: the
 * CPU per reply of each Parley process (gateway, users, chat, chat worker,
 * models, translation), of this run's PostgreSQL backends, of Redis and of the
 * Kafka broker, and the resident memory of each Parley process — the figures a
 * capacity plan needs (docs/SCALING.md) and that first-token.ts, which counts
 * the Node processes only, does not give.
 *
 *   bash scripts/local-services.sh ensure && bash scripts/kafka.sh start
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379 KAFKA_BROKERS=127.0.0.1:9092 \
 *     npx tsx bench/chat-pipeline/reply-cost.ts [seconds=10] [reps=3] [conversations=50] [words=8,120] [coalesceMs]
 *
 * Closed loop: `conversations` signed-in users each send a question, watch its
 * reply over graphql-ws (Subscription.messageStream) to the end, check it, and
 * send the next; every fifth question starts a new conversation, so a prompt
 * holds at most four earlier turns. The dev model echoes the question at a
 * model's pace (DEV_MODEL_TOKEN_DELAY_MS = 20: a word every 20 ms, each its own
 * stream event since the worker joins only deltas closer than 5 ms). Two reply
 * lengths, `words` apart, separate what a reply costs once (sendMessage, the
 * outbox, Kafka, the claim, the prompt, the models call, the final update, the
 * completed event, the subscription's queries) from what each streamed event
 * costs (worker, models, Redis, gateway): per event = (long − short) ÷ (events
 * long − events short). Last, the short question again with no pacing (the
 * models process restarted with DEV_MODEL_TOKEN_DELAY_MS = 0), the load
 * first-token.ts measures: its Node figures beside FIRST-TOKEN.md's say how
 * this machine compares with the one that wrote those.
 *
 * Redis and the Kafka broker serve the whole machine; their CPU while nothing
 * runs (measured for 5 s first) is taken off, as is each Parley process's own
 * idle CPU (timers, metrics, the outbox sweep). "Other" is what the machine's
 * cores did outside this run's processes, its PostgreSQL backends, Redis,
 * Kafka and the load generator.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { MessageStreamDocument, RegisterDocument, SendMessageDocument } from '@parley/client';
import { postGraphQL } from '@parley/testing';
import { print } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { startPlatformUnderTest } from '@parley/platform/testing';
import { median } from '../support/closed-loop';
import { describeMachine } from '../support/machine';
import {
  cpuByCommandLine,
  cpuUsedSince,
  isRedisServer,
  machineBusyMicros,
  postgresBackendsOf,
  processCpuMicros,
} from '../support/process-cpu';
import { processRssKiB } from '../support/process-memory';
import { createReport, medianRange, resultsDir, saveResults } from '../support/report';

const seconds = Number(process.argv[2] ?? 10);
const reps = Number(process.argv[3] ?? 3);
const level = Number(process.argv[4] ?? 50);
const lengths = (process.argv[5] ?? '8,120').split(',').map(Number);
/** The worker's STREAM_COALESCE_MS (deltas closer than this are joined into one event); empty: the service's default, 5. */
const coalesceMs = process.argv[6];
const TOKEN_DELAY_MS = 20;
const TURNS_PER_CONVERSATION = 5;
if (!process.env.DATABASE_URL) throw new Error('Set DATABASE_URL, REDIS_URL and KAFKA_BROKERS (see the header of this file)');
if (lengths.length !== 2 || !(lengths[0]! < lengths[1]!)) throw new Error('words: two reply lengths, the shorter first (e.g. 8,120)');

const { say, write } = createReport();

const platform = await startPlatformUnderTest({
  settings: {
    MAX_GENERATIONS_PER_USER: '50',
    REGISTRATIONS_PER_IP: '100000',
    MAX_CONCURRENT_REQUESTS: '2000',
    MAX_QUEUED_REQUESTS: '2000',
    DEV_MODEL_TOKEN_DELAY_MS: String(TOKEN_DELAY_MS),
    ...(coalesceMs ? { STREAM_COALESCE_MS: coalesceMs } : {}),
  },
  logLevel: 'error',
});
const database = new URL(platform.databaseUrl!).pathname.slice(1);
const names = Object.keys(platform.processes).sort();
const pidOf = (name: string) => platform.processes[name]!.child.pid!;

interface Conversation {
  token: string;
  client: Client;
  conversationId: string | null;
  turns: number;
}
const conversations: Conversation[] = [];
let made = 0;
await Promise.all(
  Array.from({ length: 8 }, async () => {
    while (made < level) {
      const i = made++;
      const { body } = await postGraphQL(platform.url, RegisterDocument, {
        variables: { input: { email: `reply-cost-${i}@example.com`, password: 'a long enough passphrase' } },
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
      conversations.push({ token, client, conversationId: null, turns: 0 });
    }
  }),
);
const send = print(SendMessageDocument);
const stream = print(MessageStreamDocument);

/** Plain words (digits would be read as disguised letters by output moderation, as in first-token.ts). */
const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima'];
const question = (i: number, words: number) => Array.from({ length: words - 1 }, (_, w) => WORDS[(i + w) % WORDS.length]).join(' ');

/** One exchange: send, subscribe to the reply, read it to the end; the number of MessageDelta events it took. */
async function exchange(c: Conversation, i: number, words: number): Promise<number> {
  if (c.turns >= TURNS_PER_CONVERSATION) {
    c.conversationId = null;
    c.turns = 0;
  }
  const content = question(i, words);
  const { body } = await postGraphQL(platform.url, send, {
    token: c.token,
    variables: { input: { content, ...(c.conversationId ? { conversationId: c.conversationId } : {}) } },
  });
  if (!body.data) throw new Error(`sendMessage failed: ${JSON.stringify(body.errors)}`);
  const sent = (body.data as { sendMessage: { conversation: { id: string }; assistantMessage: { id: string } } }).sendMessage;
  c.conversationId = sent.conversation.id;
  c.turns++;
  let events = 0;
  let text = '';
  await new Promise<void>((done, fail) => {
    c.client.subscribe(
      { query: stream, variables: { messageId: sent.assistantMessage.id } },
      {
        next: (result) => {
          const event = result.data?.['messageStream'] as { __typename: string; delta?: string } | undefined;
          if (!event) return fail(new Error(JSON.stringify(result.errors)));
          if (event.__typename === 'MessageDelta') {
            events++;
            text += event.delta;
          }
        },
        error: fail,
        complete: done,
      },
    );
  });
  if (text !== `Echo: ${content}`) throw new Error(`unexpected reply: ${text}`);
  return events;
}

const KAFKA = (commandLine: string) => commandLine.includes('kafka.Kafka');
const COMPONENTS = [...names, 'PostgreSQL', 'Redis', 'Kafka'] as const;
type Snapshot = {
  at: number;
  node: Map<string, number>;
  postgres: Map<number, number>;
  redis: Map<number, number>;
  kafka: Map<number, number>;
  self: number;
  machine: number;
};
const snapshot = (): Snapshot => {
  const self = process.cpuUsage();
  return {
    at: performance.now(),
    node: new Map(names.map((n) => [n, processCpuMicros(pidOf(n))])),
    postgres: cpuByCommandLine(postgresBackendsOf(database)),
    redis: cpuByCommandLine(isRedisServer),
    kafka: cpuByCommandLine(KAFKA),
    self: self.user + self.system,
    machine: machineBusyMicros(),
  };
};
/** µs of CPU each component used between two snapshots, and the wall time in µs. */
const between = (a: Snapshot, b: Snapshot) => {
  const used: Record<string, number> = {};
  for (const n of names) used[n] = b.node.get(n)! - a.node.get(n)!;
  used['PostgreSQL'] = cpuUsedSince(a.postgres, b.postgres);
  used['Redis'] = cpuUsedSince(a.redis, b.redis);
  used['Kafka'] = cpuUsedSince(a.kafka, b.kafka);
  const loadGenerator = b.self - a.self;
  const counted = Object.values(used).reduce((s, x) => s + x, 0) + loadGenerator;
  return { used, loadGenerator, other: Math.max(0, b.machine - a.machine - counted), wallMicros: (b.at - a.at) * 1000 };
};

// Idle: what each component does per second with nothing to do (taken off below).
await new Promise((r) => setTimeout(r, 2000));
const idleStart = snapshot();
await new Promise((r) => setTimeout(r, 5000));
const idle = between(idleStart, snapshot());
const idleCoresOf = (component: string) => idle.used[component]! / idle.wallMicros;

let counter = 0;
interface Run {
  repliesPerSecond: number;
  eventsPerReply: number;
  perReply: Record<string, number>;
  loadGeneratorPerReply: number;
  otherCores: number;
  runCores: number;
}
/** The two paced lengths, then the short one without pacing (the models process restarted), as first-token.ts runs it. */
const scenarios = [...lengths.map((words) => ({ words, tokenDelayMs: TOKEN_DELAY_MS })), { words: lengths[0]!, tokenDelayMs: 0 }];
const results: { words: number; tokenDelayMs: number; runs: Run[]; rssKiB: Record<string, number>; peakRssKiB: Record<string, number> }[] =
  [];
for (const { words, tokenDelayMs } of scenarios) {
  if (tokenDelayMs !== TOKEN_DELAY_MS) {
    await platform.processes['models']!.stop('SIGTERM');
    await platform.restart('models', { DEV_MODEL_TOKEN_DELAY_MS: String(tokenDelayMs) });
  }
  const runs: Run[] = [];
  for (let r = -1; r < reps; r++) {
    const warmUp = r < 0;
    let replies = 0;
    let events = 0;
    const start = snapshot();
    const deadline = performance.now() + (warmUp ? 3 : seconds) * 1000;
    await Promise.all(
      conversations.map(async (c) => {
        while (performance.now() < deadline) {
          // Awaited first: `events += await …` would read `events` before the wait and lose the other loops' counts.
          const got = await exchange(c, counter++, words);
          events += got;
          replies++;
        }
      }),
    );
    if (warmUp) continue;
    const cpu = between(start, snapshot());
    const perReply: Record<string, number> = {};
    for (const component of COMPONENTS)
      perReply[component] = Math.max(0, cpu.used[component]! - idleCoresOf(component) * cpu.wallMicros) / replies;
    runs.push({
      repliesPerSecond: replies / (cpu.wallMicros / 1e6),
      eventsPerReply: events / replies,
      perReply,
      loadGeneratorPerReply: cpu.loadGenerator / replies,
      otherCores: cpu.other / cpu.wallMicros,
      runCores: (Object.values(cpu.used).reduce((s, x) => s + x, 0) + cpu.loadGenerator) / cpu.wallMicros,
    });
  }
  const peak = (pid: number) => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
  results.push({
    words,
    tokenDelayMs,
    runs,
    rssKiB: Object.fromEntries(names.map((n) => [n, processRssKiB(pidOf(n))])),
    peakRssKiB: Object.fromEntries(names.map((n) => [n, peak(pidOf(n))])),
  });
}
for (const c of conversations) await c.client.dispose();
await platform.stop();

const med = (values: number[]) => median(values);
const short = results[0]!;
const long = results[1]!;
const eventsShort = med(short.runs.map((x) => x.eventsPerReply));
const eventsLong = med(long.runs.map((x) => x.eventsPerReply));
const perEvent = Object.fromEntries(
  COMPONENTS.map((component) => [
    component,
    (med(long.runs.map((x) => x.perReply[component]!)) - med(short.runs.map((x) => x.perReply[component]!))) / (eventsLong - eventsShort),
  ]),
);
const fixed = Object.fromEntries(
  COMPONENTS.map((component) => [
    component,
    Math.max(0, med(short.runs.map((x) => x.perReply[component]!)) - eventsShort * perEvent[component]!),
  ]),
);
const total = (values: Record<string, number>) => Object.values(values).reduce((s, x) => s + x, 0);

say('# What a reply costs each process, PostgreSQL, Redis and Kafka included');
say();
say(`Machine: ${describeMachine()}; PostgreSQL, Redis, Kafka, every Parley service (own process) and the load generator on it.`);
say(
  `Command: npx tsx bench/chat-pipeline/reply-cost.ts ${seconds} ${reps} ${level} ${lengths.join(',')}${coalesceMs ? ` ${coalesceMs}` : ''}  (${new Date().toISOString()})`,
);
say();
say(
  `Closed loop, ${level} signed-in users, each sending a question, watching its reply over graphql-ws to the end (every reply checked) and sending the next; a new conversation every ${TURNS_PER_CONVERSATION} questions. The dev model echoes the question a word every ${TOKEN_DELAY_MS} ms (each word its own stream event unless the worker falls behind${coalesceMs ? `; here the worker joins deltas closer than ${coalesceMs} ms (STREAM_COALESCE_MS)` : ''}), then, its process restarted, at once (the load of first-token.ts). ${seconds} s per run, ${reps} runs per length after a 3 s warm-up; medians (min–max). CPU per reply from /proc: each Parley process, this run's PostgreSQL backends, the Redis server and the Kafka broker, each less its own idle CPU measured for 5 s before (idle cores: ${COMPONENTS.map((c) => `${c} ${idleCoresOf(c).toFixed(3)}`).join(', ')}).`,
);
say();
say(
  `| reply | replies/s | stream events per reply | ${COMPONENTS.join(' | ')} | all of them | load generator | cores busy of 2: this run / other |`,
);
say(`|---|---|---|${COMPONENTS.map(() => '---|').join('')}---|---|---|`);
const labelOf = ({ words, tokenDelayMs }: { words: number; tokenDelayMs: number }) =>
  tokenDelayMs > 0 ? `${words} words, a word every ${tokenDelayMs} ms` : `${words} words, no delay (as first-token.ts)`;
for (const result of results) {
  const { runs } = result;
  say(
    `| ${labelOf(result)} | ${medianRange(runs.map((x) => x.repliesPerSecond))} | ${med(runs.map((x) => x.eventsPerReply)).toFixed(1)} | ${COMPONENTS.map(
      (c) => medianRange(runs.map((x) => x.perReply[c]!)),
    ).join(
      ' | ',
    )} | ${medianRange(runs.map((x) => total(x.perReply)))} | ${med(runs.map((x) => x.loadGeneratorPerReply)).toFixed(0)} | ${med(
      runs.map((x) => x.runCores),
    ).toFixed(2)} / ${med(runs.map((x) => x.otherCores)).toFixed(2)} |`,
  );
}
say();
say(
  `CPU µs per reply above. The paced replies split into what a reply costs once and what each stream event adds (from the two paced lengths' medians; the longer reply also has a longer question and history, so "per event" is per word of question and reply together, moderation and full-text indexing included):`,
);
say();
say(`| | ${COMPONENTS.join(' | ')} | all of them |`);
say(`|---|${COMPONENTS.map(() => '---|').join('')}---|`);
say(`| once per reply, µs | ${COMPONENTS.map((c) => fixed[c]!.toFixed(0)).join(' | ')} | ${total(fixed).toFixed(0)} |`);
say(`| per stream event, µs | ${COMPONENTS.map((c) => perEvent[c]!.toFixed(1)).join(' | ')} | ${total(perEvent).toFixed(1)} |`);
say();
say(
  'Resident memory of each Parley process (MiB) after each load: now / peak since start (VmRSS / VmHWM; the models process restarts before the last).',
);
say();
say(`| after | ${names.join(' | ')} |`);
say(`|---|${names.map(() => '---|').join('')}`);
for (const result of results) {
  const { rssKiB, peakRssKiB } = result;
  say(
    `| ${labelOf(result)} | ${names.map((n) => `${(rssKiB[n]! / 1024).toFixed(0)} / ${(peakRssKiB[n]! / 1024).toFixed(0)}`).join(' | ')} |`,
  );
}
say();
const out = resultsDir(import.meta.dirname);
// A run with another coalescing window is kept beside the default one, not over it.
const suffix = coalesceMs ? `-coalesce-${coalesceMs}` : '';
write(resolve(out, `REPLY-COST${suffix.toUpperCase()}.md`));
saveResults(out, `reply-cost${suffix}.json`, {
  seconds,
  reps,
  conversations: level,
  tokenDelayMs: TOKEN_DELAY_MS,
  coalesceMs: coalesceMs ? Number(coalesceMs) : 5,
  idleCores: Object.fromEntries(COMPONENTS.map((c) => [c, idleCoresOf(c)])),
  loads: results.map(({ words, tokenDelayMs, runs, rssKiB, peakRssKiB }) => ({
    words,
    tokenDelayMs,
    repliesPerSecond: med(runs.map((x) => x.repliesPerSecond)),
    eventsPerReply: med(runs.map((x) => x.eventsPerReply)),
    cpuUsPerReply: Object.fromEntries(COMPONENTS.map((c) => [c, med(runs.map((x) => x.perReply[c]!))])),
    rssKiB,
    peakRssKiB,
  })),
  cpuUsOncePerReply: fixed,
  cpuUsPerStreamEvent: perEvent,
});
process.exit(0);
