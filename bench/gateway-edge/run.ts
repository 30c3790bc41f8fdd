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
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { RegisterDocument, SendMessageDocument } from '@parley/client';
import { postGraphQL } from '@parley/testing';
import pg from 'pg';
import { startPlatformUnderTest } from '@parley/platform/testing';
import { closedLoop, median, percentile, type LoadResult } from '../support/closed-loop';
import { describeMachine } from '../support/machine';
import { openLoop } from '../support/open-loop';
import { processCpuMicros } from '../support/process-cpu';

const seconds = Number(process.argv[2] ?? 10);
const reps = Number(process.argv[3] ?? 3);
const CONNECTIONS = 50;
const OPEN_RATE = 1000;
const USERS = 50;
const CONVERSATIONS_PER_USER = 10;
const TURNS_PER_CONVERSATION = 3;
if (!process.env.DATABASE_URL || !process.env.REDIS_URL || !process.env.KAFKA_BROKERS) {
  throw new Error('Set DATABASE_URL, REDIS_URL and KAFKA_BROKERS (see the header of this file)');
}
const repositoryRoot = resolve(import.meta.dirname, '../..');
const started = Date.now();

const lines: string[] = [];
const say = (line = '') => {
  console.log(line);
  lines.push(line);
};
/** What is being measured now: printed as progress, and the label of any error sample. */
let measuring = 'setup';
const progress = (line: string, label = line) => {
  measuring = label;
  console.error(`[${((Date.now() - started) / 1000).toFixed(0)} s] ${line}`);
};

// ---------------------------------------------------------------------------------------------
// The platform, its data, and the other gateways
// ---------------------------------------------------------------------------------------------
const loadBefore = loadavg();
progress('starting the platform (services mode)');
const platform = await startPlatformUnderTest({
  settings: {
    RATE_LIMIT_PER_USER: '10000000',
    RATE_LIMIT_PER_ADDRESS: '10000000',
    REGISTRATIONS_PER_IP: '100000',
    MAX_GENERATIONS_PER_USER: '50',
    // The run outlasts the default 15 minutes on a slow machine; the tokens are issued once, at seeding.
    ACCESS_TOKEN_TTL_SECONDS: '7200',
  },
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
  progress(`seeding ${USERS} users × ${CONVERSATIONS_PER_USER} conversations × ${TURNS_PER_CONVERSATION} turns`);
  const tokens: string[] = new Array<string>(USERS);
  let nextUser = 0;
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      while (nextUser < USERS) {
        const u = nextUser++;
        const { body } = await postGraphQL(platform.url, RegisterDocument, {
          variables: { input: { email: `edge-${u}@example.com`, password: 'a long enough passphrase', displayName: `Edge user ${u}` } },
        });
        if (!body.data) throw new Error(`registration failed: ${JSON.stringify(body.errors)}`);
        const token = body.data.register.accessToken;
        tokens[u] = token;
        for (let c = 0; c < CONVERSATIONS_PER_USER; c++) {
          let conversationId: string | undefined;
          for (let t = 0; t < TURNS_PER_CONVERSATION; t++) {
            const input = { content: `user ${u}, conversation ${c}, question ${t}`, ...(conversationId ? { conversationId } : {}) };
            const sent = await postGraphQL(platform.url, SendMessageDocument, { token, variables: { input } });
            if (!sent.body.data) throw new Error(`sendMessage failed: ${JSON.stringify(sent.body.errors)}`);
            conversationId = sent.body.data.sendMessage.conversation.id;
          }
        }
      }
    }),
  );
  const db = new pg.Client({ connectionString: platform.databaseUrl! });
  await db.connect();
  for (;;) {
    const { rows } = await db.query(`select count(*)::int as n from "chat"."message" where status in ('PENDING', 'STREAMING')`);
    if (rows[0].n === 0) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const seeded = (await db.query(`select count(*)::int as n, count(distinct conversation_id)::int as c from "chat"."message"`)).rows[0];
  await db.end();
  progress(`seeded: ${seeded.c} conversations, ${seeded.n} messages, every reply finished`);

  /** A script of this directory as its own process; it prints one JSON line when it listens. */
  const startChild = async (file: string, env: Record<string, string>): Promise<{ url: string; pid: number }> => {
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
  const apollo = await startChild('default-apollo-gateway.ts', { SUBGRAPH_URLS: subgraphUrls });
  const VARIANTS = ['bare', 'limits', 'rate-limit', 'auth'] as const;
  type Variant = (typeof VARIANTS)[number];
  const variantTargets = {} as Record<Variant, { url: string; pid: number }>;
  for (const variant of VARIANTS) {
    variantTargets[variant] = await startChild('gateway-variant.ts', {
      VARIANT: variant,
      SUBGRAPH_URLS: subgraphUrls,
      USERS_URL: usersUrl,
      REDIS_URL: process.env.REDIS_URL!,
      NAMESPACE: `${platform.namespace}bench-${variant}.`,
    });
  }
  const ours = { url: platform.url, pid: platform.processes['gateway-1']!.child.pid! };

  // -------------------------------------------------------------------------------------------
  // Workloads
  // -------------------------------------------------------------------------------------------
  const ME = 'query Me { me { id email displayName } }';
  const CONVERSATIONS =
    'query Conversations($first: Int!, $messages: Int!) { conversations(first: $first) { edges { node { id title owner { displayName } messages(first: $messages) { edges { node { id role content } } } } } } }';
  const MODELS = 'query Models { models { id displayName } }';
  // Request i: user i mod 50 (the 50 requests in flight are 50 different callers), kind i mod 3, for conversations
  // 3, 4 or 5 messages each, and operation name i mod 64 (Me_0 … Me_63, …). The gateway sends identical in-flight
  // reads of one caller to a subgraph once, and anonymous requests are all one caller: without the names, `{ models }`
  // from 50 anonymous connections would mostly be answered by a few shared subgraph requests. With them no two
  // requests in flight are identical (a user's body repeats every 4,800 requests).
  const NAMES = 64;
  const named = (query: string, n: number) => query.replace(/^query (\w+)/, `query $1_${n}`);
  const bodies = Array.from({ length: NAMES }, (_, n) => ({
    me: JSON.stringify({ query: named(ME, n) }),
    models: JSON.stringify({ query: named(MODELS, n) }),
    conversations: [3, 4, 5].map((messages) =>
      JSON.stringify({ query: named(CONVERSATIONS, n), variables: { first: CONVERSATIONS_PER_USER, messages } }),
    ),
  }));
  const nameOf = (i: number) => bodies[i % NAMES]!;
  const meBody = (i: number) => nameOf(i).me;
  const modelsBody = (i: number) => nameOf(i).models;
  const conversationsBody = (i: number) => nameOf(i).conversations[Math.floor(i / 3) % 3]!;
  const mixedBody = (i: number) => [meBody, conversationsBody, modelsBody][i % 3]!(i);
  const authHeaders = tokens.map((token) => ({ authorization: `Bearer ${token}` }));
  const withToken = (i: number) => authHeaders[i % USERS]!;
  const anonymous = () => ({});

  /** The first few invalid answers of each measurement, to show in the results. */
  const errorSamples = new Map<string, string[]>();
  /** Every answer parsed and checked; anything else, including a 200 with `errors`, is an error. */
  const checked = (check: (data: any) => boolean) => (status: number, text: string) => {
    let ok: boolean;
    try {
      const body = JSON.parse(text) as { data?: any; errors?: unknown };
      ok = status === 200 && body.errors === undefined && body.data != null && check(body.data);
    } catch {
      ok = false;
    }
    if (!ok) {
      const samples = errorSamples.get(measuring) ?? [];
      if (samples.length < 3) errorSamples.set(measuring, [...samples, `${status}: ${text.trim().slice(0, 300)}`]);
    }
    return ok;
  };
  const isModels = (data: any) =>
    Array.isArray(data.models) &&
    data.models.length > 0 &&
    data.models.every((m: any) => typeof m.id === 'string' && typeof m.displayName === 'string');
  const validMixed = checked((data) => {
    if (data.me !== undefined)
      return typeof data.me?.id === 'string' && typeof data.me.email === 'string' && typeof data.me.displayName === 'string';
    if (data.conversations !== undefined) {
      const edges = data.conversations.edges as any[];
      if (edges.length !== CONVERSATIONS_PER_USER) return false;
      const messages = edges[0].node.messages.edges.length as number;
      const owner = edges[0].node.owner?.displayName as unknown;
      return (
        messages >= 3 &&
        messages <= 5 &&
        typeof owner === 'string' &&
        edges.every(
          (e) =>
            typeof e.node.id === 'string' &&
            typeof e.node.title === 'string' &&
            e.node.owner?.displayName === owner &&
            e.node.messages.edges.length === messages &&
            e.node.messages.edges.every((m: any) => typeof m.node.content === 'string'),
        )
      );
    }
    if (data.models !== undefined) return isModels(data);
    return false;
  });
  const validModels = checked(isModels);

  // -------------------------------------------------------------------------------------------
  // CPU of every process that serves a request, and of the machine
  // -------------------------------------------------------------------------------------------
  /** CPU µs so far of each process whose command line passes `pick`, by pid. */
  const cpuByPid = (pick: (commandLine: string) => boolean): Map<number, number> => {
    const found = new Map<number, number>();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (pick(readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ')))
          found.set(Number(entry), processCpuMicros(Number(entry)));
      } catch {
        // gone meanwhile
      }
    }
    return found;
  };
  // PostgreSQL backends serving this run's own database (a process title "postgres: user database address state");
  // other databases on the server are other people's work.
  const databaseName = new URL(platform.databaseUrl!).pathname.slice(1);
  const ourBackends = (commandLine: string) => commandLine.startsWith('postgres: ') && commandLine.includes(` ${databaseName} `);
  const isRedis = (commandLine: string) => commandLine.startsWith('redis-server');
  /** CPU used between two snapshots by pid: processes that started meanwhile count from zero. */
  const usedSince = (before: Map<number, number>, after: Map<number, number>) =>
    [...after].reduce((total, [pid, cpu]) => total + cpu - (before.get(pid) ?? 0), 0);
  const machineBusyMicros = (): number => {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = fields[3]! + fields[4]!;
    const total = fields.slice(0, 8).reduce((s, x) => s + x, 0);
    return ((total - idle) / 100) * 1e6;
  };
  /** Every process of this run: the platform's services and the gateways this script started. */
  const ourPids = () => [...Object.values(platform.processes).map((p) => p.child.pid!), ...children.map((c) => c.pid!)];
  interface Cpu {
    gateway: number;
    users: number;
    chat: number;
    models: number;
    postgres: number;
    redis: number;
    loadGenerator: number;
    /** Every process of this run (services, workers, idle gateways), the load generator, our PostgreSQL backends and Redis. */
    run: number;
    machine: number;
  }
  const snapshot = (gatewayPid: number) => {
    const self = process.cpuUsage();
    return {
      gateway: processCpuMicros(gatewayPid),
      users: processCpuMicros(platform.processes['users']!.child.pid!),
      chat: processCpuMicros(platform.processes['chat']!.child.pid!),
      models: processCpuMicros(platform.processes['models']!.child.pid!),
      processes: ourPids().reduce((total, pid) => total + processCpuMicros(pid), 0),
      postgres: cpuByPid(ourBackends),
      redis: cpuByPid(isRedis),
      loadGenerator: self.user + self.system,
      machine: machineBusyMicros(),
    };
  };
  const cpuBetween = (a: ReturnType<typeof snapshot>, b: ReturnType<typeof snapshot>): Cpu => {
    const postgres = usedSince(a.postgres, b.postgres);
    const redis = usedSince(a.redis, b.redis);
    const loadGenerator = b.loadGenerator - a.loadGenerator;
    return {
      gateway: b.gateway - a.gateway,
      users: b.users - a.users,
      chat: b.chat - a.chat,
      models: b.models - a.models,
      postgres,
      redis,
      loadGenerator,
      run: b.processes - a.processes + postgres + redis + loadGenerator,
      machine: b.machine - a.machine,
    };
  };

  interface Measurement {
    rps: number;
    /** From the first request to the last answer. */
    seconds: number;
    requests: number;
    errors: number;
    p50: number;
    p95: number;
    p99: number;
    late: number;
    /** CPU µs per answered request, by process. */
    perRequest: Cpu;
    /** Cores this run's processes used during the measurement, and what the rest of the machine used beside them. */
    runCores: number;
    otherCores: number;
  }
  /** One stretch of load on one target, with the CPU every process used meanwhile. */
  interface Slice {
    requests: number;
    errors: number;
    seconds: number;
    late: number;
    latenciesMs: number[];
    used: Cpu;
  }
  const measureSlice = async (gatewayPid: number, load: () => Promise<LoadResult & { late?: number }>): Promise<Slice> => {
    const before = snapshot(gatewayPid);
    const run = await load();
    const used = cpuBetween(before, snapshot(gatewayPid));
    return { requests: run.requests, errors: run.errors, seconds: run.seconds, late: run.late ?? 0, latenciesMs: run.latenciesMs, used };
  };
  const summarize = (slices: Slice[]): Measurement => {
    const total = (f: (slice: Slice) => number) => slices.reduce((sum, slice) => sum + f(slice), 0);
    const requests = total((x) => x.requests);
    const seconds = total((x) => x.seconds);
    const latenciesMs = slices.flatMap((x) => x.latenciesMs);
    const used = Object.fromEntries(
      (Object.keys(slices[0]!.used) as (keyof Cpu)[]).map((k) => [k, total((x) => x.used[k])]),
    ) as unknown as Cpu;
    return {
      rps: requests / seconds,
      seconds,
      requests,
      errors: total((x) => x.errors),
      p50: percentile(latenciesMs, 50),
      p95: percentile(latenciesMs, 95),
      p99: percentile(latenciesMs, 99),
      late: total((x) => x.late),
      perRequest: Object.fromEntries(Object.entries(used).map(([k, v]) => [k, v / Math.max(1, requests)])) as unknown as Cpu,
      runCores: used.run / 1e6 / seconds,
      otherCores: Math.max(0, used.machine - used.run) / 1e6 / seconds,
    };
  };
  const measure = async (gatewayPid: number, load: () => Promise<LoadResult & { late?: number }>) =>
    summarize([await measureSlice(gatewayPid, load)]);
  /**
   * Targets compared with each other, measured in turn in four short slices each, every target in every position
   * once (A B, B A, A B, B A; with four: A B C D, B C D A, …), so that the machine's drift and other people's work
   * fall on all of them alike. One measurement per target, from its slices together.
   */
  const SLICES = 4;
  const interleaved = async <K extends string>(
    keys: readonly K[],
    label: (key: K) => string,
    slice: (key: K, seconds: number) => Promise<Slice>,
  ): Promise<Record<K, Measurement>> => {
    const parts = Object.fromEntries(keys.map((k) => [k, [] as Slice[]])) as Record<K, Slice[]>;
    for (let s = 0; s < SLICES; s++) {
      for (let j = 0; j < keys.length; j++) {
        const key = keys[(s + j) % keys.length]!;
        progress(`${label(key)}, slice ${s + 1}/${SLICES}`, label(key));
        parts[key].push(await slice(key, seconds / SLICES));
      }
    }
    return Object.fromEntries(keys.map((k) => [k, summarize(parts[k])])) as Record<K, Measurement>;
  };
  /**
   * Waits until this run's processes are nearly idle again (at most `maxSeconds`): after the open loop the subgraphs
   * still work through requests the gateway gave up on, which would otherwise be charged to the next measurement.
   */
  const busyCores = async () => {
    const before = snapshot(ours.pid);
    await new Promise((r) => setTimeout(r, 1000));
    const used = cpuBetween(before, snapshot(ours.pid));
    return (used.run - used.loadGenerator) / 1e6;
  };
  let idleCores = 0;
  const settle = async (maxSeconds = 90) => {
    const deadline = Date.now() + maxSeconds * 1000;
    for (;;) {
      const cores = await busyCores();
      if (cores < idleCores + 0.1 || Date.now() > deadline) return cores;
    }
  };
  const closedMixed = (target: { url: string; pid: number }, duration: number) =>
    measureSlice(target.pid, () =>
      closedLoop({
        url: target.url,
        connections: CONNECTIONS,
        seconds: duration,
        body: mixedBody,
        headers: withToken,
        validate: validMixed,
      }),
    );
  const openMixed = (target: { url: string; pid: number }) =>
    measure(target.pid, () =>
      openLoop({ url: target.url, rate: OPEN_RATE, seconds, body: mixedBody, headers: withToken, validate: validMixed }),
    );
  const closedVariant = (variant: Variant, duration: number) =>
    measureSlice(variantTargets[variant].pid, () =>
      closedLoop({
        url: variantTargets[variant].url,
        connections: CONNECTIONS,
        seconds: duration,
        body: modelsBody,
        headers: variant === 'auth' ? withToken : anonymous,
        validate: validModels,
      }),
    );

  // Every distinct operation goes once through each gateway before anything is timed (so every plan is cached), and
  // must be answered correctly; then a short warm-up each.
  const everyOperation = (target: { url: string }, operations: string[], headers: (n: number) => Record<string, string>, name: string) =>
    Promise.all(
      Array.from({ length: 8 }, async (_, worker) => {
        for (let n = worker; n < operations.length; n += 8) {
          const response = await fetch(target.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...headers(n) },
            body: operations[n]!,
          });
          const text = await response.text();
          if (!validMixed(response.status, text))
            throw new Error(`${name} answered ${operations[n]} wrongly: ${response.status} ${text.slice(0, 500)}`);
        }
      }),
    );
  const mixedOperations = bodies.flatMap((b) => [b.me, ...b.conversations, b.models]);
  progress(`planning ${mixedOperations.length} operations in each gateway`);
  await everyOperation(ours, mixedOperations, withToken, 'ours');
  await everyOperation(apollo, mixedOperations, withToken, 'default @apollo/gateway');
  for (const variant of VARIANTS) {
    await everyOperation(
      variantTargets[variant],
      bodies.map((b) => b.models),
      variant === 'auth' ? withToken : anonymous,
      variant,
    );
  }
  progress('warming up');
  const warm = [await closedMixed(ours, 4), await closedMixed(apollo, 4)];
  for (const variant of VARIANTS) warm.push(await closedVariant(variant, 4));
  if (warm.some((slice) => slice.errors > 0)) throw new Error(`errors while warming up:\n${[...errorSamples.values()].flat().join('\n')}`);

  await new Promise((r) => setTimeout(r, 2000));
  idleCores = Math.min(await busyCores(), await busyCores(), await busyCores());
  progress(`idle, this run's processes use ${idleCores.toFixed(2)} cores`);

  const KINDS = { me: meBody, conversations: conversationsBody, models: modelsBody } as const;
  type Kind = keyof typeof KINDS;
  const closedKind = (kind: Kind) =>
    measure(ours.pid, () =>
      closedLoop({
        url: ours.url,
        connections: CONNECTIONS,
        seconds: seconds / 2,
        body: KINDS[kind],
        headers: withToken,
        validate: validMixed,
      }),
    );

  const results = {
    closedOurs: [] as Measurement[],
    closedApollo: [] as Measurement[],
    openOurs: [] as Measurement[],
    kinds: { me: [], conversations: [], models: [] } as Record<Kind, Measurement[]>,
    variants: Object.fromEntries(VARIANTS.map((v) => [v, [] as Measurement[]])) as Record<Variant, Measurement[]>,
  };
  for (let r = 0; r < reps; r++) {
    const targets = { ours, apollo };
    const mixed = await interleaved(
      r % 2 === 0 ? (['ours', 'apollo'] as const) : (['apollo', 'ours'] as const),
      (key) => `rep ${r + 1}/${reps}: mixed closed loop, ${key}`,
      (key, duration) => closedMixed(targets[key], duration),
    );
    results.closedOurs.push(mixed.ours);
    results.closedApollo.push(mixed.apollo);
    progress(`rep ${r + 1}/${reps}: mixed open loop at ${OPEN_RATE}/s, ours`);
    results.openOurs.push(await openMixed(ours));
    const settleStarted = Date.now();
    const busy = await settle();
    progress(
      `settled: ${busy.toFixed(2)} cores busy (idle: ${idleCores.toFixed(2)}) after ${((Date.now() - settleStarted) / 1000).toFixed(0)} s`,
    );
    const layers = await interleaved(
      r % 2 === 0 ? VARIANTS : [...VARIANTS].reverse(),
      (variant) => `rep ${r + 1}/${reps}: { models } closed loop, ${variant}`,
      closedVariant,
    );
    for (const variant of VARIANTS) results.variants[variant].push(layers[variant]);
    for (const kind of Object.keys(KINDS) as Kind[]) {
      progress(`rep ${r + 1}/${reps}: ${kind} alone, closed loop, ours`);
      results.kinds[kind].push(await closedKind(kind));
    }
  }

  // -------------------------------------------------------------------------------------------
  // Report
  // -------------------------------------------------------------------------------------------
  const range = (values: number[], digits = 0) =>
    `${median(values).toFixed(digits)} (${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)})`;
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
    `(with DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379 KAFKA_BROKERS=127.0.0.1:9092: services mode through gateway/test/support/platform-under-test.ts)`,
  );
  say();
  say(
    `Data: ${USERS} users, each with ${CONVERSATIONS_PER_USER} conversations of ${TURNS_PER_CONVERSATION} questions and their (dev/echo) replies — ${seeded.c} conversations, ${seeded.n} messages in PostgreSQL. ` +
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
      'bare = `operationLimits: false`, `rateLimiter: null`, anonymous requests; + limits = operation limits on; + rate limit = the Redis rate limiter (gateway/src/rate-limiter.ts, limits 10,000,000, every request counted); ' +
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
  writeFileSync(resolve(import.meta.dirname, 'RESULTS.md'), `${lines.join('\n')}\n`);
  progress('done');
} finally {
  await stopAll();
}
process.exit(0);
