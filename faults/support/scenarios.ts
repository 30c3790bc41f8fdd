import type { Load, RequestRecord } from './load';
import { sleep, waitFor } from './wait';
import { SHUTDOWN_TIMEOUT_MS, type World } from './world';

/** What a scenario did to the platform, and when: from the fault's injection until what it broke is back. */
export interface Fault {
  start: number;
  end: number;
  /** SIGTERM: how long the process took to drain and exit, and with which code (1: it hit its bound). */
  drain?: { ms: number; exitCode: number | null };
  /** SIGTERM: the requests in flight through the stopping service when the signal came. */
  inFlight?: RequestRecord[];
  /** What this fault promises beyond the shared invariants, broken. */
  violations: string[];
}

export interface Scenario {
  id: string;
  title: string;
  /** In CI's subset (FAULTS_SUBSET=ci), which must finish in a few minutes. */
  ci?: boolean;
  /** Clients asking questions at once (8 by default: 8 replies in flight). */
  clients?: number;
  /** The fault takes the budgets' store (Redis) away. */
  budgetStoreDown?: boolean;
  inject(world: World, load: Load): Promise<Fault>;
}

/** How long the outages last: each well under the 30 s through which no reply may fail. */
const REDIS_OUTAGE_MS = 8_000;
const POSTGRES_OUTAGE_MS = 5_000;
const GATEWAY_OUTAGE_MS = 20_000;

/** A request through the gateway that reaches each subgraph, for the SIGTERM scenarios' requests in flight. */
const REACHES: Record<string, string> = {
  users: 'query InFlightUsers { me { id email } }',
  chat: 'query InFlightChat { conversations(first: 5) { edges { node { id title } } } }',
  models: 'query InFlightModels { models { id healthy } }',
  translation: 'query InFlightTranslation { supportedLanguages { code } }',
  'gateway-1': 'query InFlightGateway { me { id } models { id } }',
};

function killed(name: string, title: string, ci = false): Scenario {
  return {
    id: `kill9-${name}`,
    title,
    ci,
    async inject(world) {
      const start = Date.now();
      await world.platform.processes[name]!.stop('SIGKILL');
      await world.platform.restart(name);
      return { start, end: Date.now(), violations: [] };
    },
  };
}

/**
 * SIGTERM: the service drains within its bound (exit code 0; past the bound it exits 1), and every request
 * it held when the signal came is answered. Requests sent after it are the restart's outage, reported but
 * not held against the drain.
 */
function terminated(name: string, title: string, ci = false): Scenario {
  return {
    id: `sigterm-${name.replace(/-1$/, '')}`,
    title,
    ci,
    async inject(world, load) {
      const query = REACHES[name];
      const requests = query ? load.rolling(0, query) : null;
      // Under way first, so that some are in flight when the signal comes.
      if (requests) await waitFor(() => requests.records.length >= 8, 30_000);
      const start = Date.now();
      const exited = world.platform.processes[name]!.stop('SIGTERM');
      // Nothing more is sent once the signal is out; what was sent before must be answered.
      await requests?.stop();
      const exitCode = await exited;
      const drain = { ms: Date.now() - start, exitCode };
      await world.platform.restart(name);
      const inFlight = (requests?.records ?? []).filter((r) => r.startedAt < start);
      const violations: string[] = [];
      if (exitCode !== 0)
        violations.push(`${name} exited with ${exitCode} ${drain.ms} ms after SIGTERM (its bound: ${SHUTDOWN_TIMEOUT_MS} ms)`);
      const failed = inFlight.filter((r) => !r.ok);
      if (failed.length > 0) {
        violations.push(
          `${failed.length} of ${inFlight.length} requests in flight at SIGTERM failed: ${failed.map((r) => r.code).join(', ')}`,
        );
      }
      return { start, end: Date.now(), drain, inFlight, violations };
    },
  };
}

export const SCENARIOS: Scenario[] = [
  {
    id: 'redis-restart',
    title: 'Redis restarts mid-stream (~8 s down)',
    ci: true,
    budgetStoreDown: true,
    async inject(world) {
      const start = Date.now();
      await world.dependencies.redis.stop();
      await sleep(REDIS_OUTAGE_MS);
      await world.dependencies.redis.start();
      return { start, end: Date.now(), violations: [] };
    },
  },
  {
    id: 'kafka-restart',
    title: 'Kafka restarts while questions are being sent',
    async inject(world) {
      const start = Date.now();
      await world.dependencies.kafka.stop();
      await world.dependencies.kafka.start();
      return { start, end: Date.now(), violations: [] };
    },
  },
  {
    id: 'postgres-restart',
    title: 'PostgreSQL restarts under light load (~5 s down)',
    clients: 3,
    async inject(world) {
      const start = Date.now();
      await world.dependencies.postgres.stop();
      await sleep(POSTGRES_OUTAGE_MS);
      await world.dependencies.postgres.start();
      return { start, end: Date.now(), violations: [] };
    },
  },
  killed('chat-worker-1', 'kill -9 of a chat worker mid-reply, then restarted', true),
  killed('gateway-1', 'kill -9 of a gateway mid-reply, then restarted'),
  killed('chat', 'kill -9 of chat mid-reply, then restarted'),
  killed('models', 'kill -9 of models mid-reply, then restarted'),
  terminated('chat-worker-1', 'SIGTERM of a chat worker mid-reply: it drains', true),
  terminated('gateway-1', 'SIGTERM of a gateway mid-reply: it drains'),
  terminated('users', 'SIGTERM of users: it drains'),
  terminated('chat', 'SIGTERM of chat: it drains'),
  terminated('models', 'SIGTERM of models mid-reply: it drains'),
  terminated('translation', 'SIGTERM of translation: it drains'),
  {
    id: 'gateway-failover',
    title: 'Two gateways, one killed and left down for 20 s: clients move to the other',
    ci: true,
    async inject(world, load) {
      const start = Date.now();
      await world.platform.processes['gateway-1']!.stop('SIGKILL');
      await sleep(GATEWAY_OUTAGE_MS);
      // While it was down, the clients it served carried on through the other gateway.
      const moved = load.questions.filter(
        (q) =>
          q.subscriptions.some((s) => s.gateway === 0 && s.at < start) && q.subscriptions.some((s) => s.gateway === 1 && s.at >= start),
      );
      await world.platform.restart('gateway-1');
      return {
        start,
        end: Date.now(),
        violations: moved.length > 0 ? [] : ['no client following a reply through the killed gateway resumed on the other'],
      };
    },
  },
];

/** FAULTS_SUBSET=ci: CI's few minutes; FAULTS_ONLY=id,id: those scenarios; otherwise all of them. */
export function selectScenarios(env: NodeJS.ProcessEnv): Scenario[] {
  const only = env['FAULTS_ONLY']
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (only?.length) {
    const unknown = only.filter((id) => !SCENARIOS.some((s) => s.id === id));
    if (unknown.length)
      throw new Error(`FAULTS_ONLY: no scenario ${unknown.join(', ')}; there are ${SCENARIOS.map((s) => s.id).join(', ')}`);
    return SCENARIOS.filter((s) => only.includes(s.id));
  }
  const subset = env['FAULTS_SUBSET'] ?? 'all';
  if (subset !== 'all' && subset !== 'ci') throw new Error(`FAULTS_SUBSET must be "ci" or "all", not "${subset}"`);
  return subset === 'ci' ? SCENARIOS.filter((s) => s.ci) : SCENARIOS;
}
