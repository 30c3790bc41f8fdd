import { percentile, type LoadResult } from '../support/closed-loop';
import {
  cpuByCommandLine,
  cpuUsedSince,
  isRedisServer,
  machineBusyMicros,
  postgresBackendsOf,
  processCpuMicros,
} from '../support/process-cpu';

/** CPU µs, by where it went. */
export interface Cpu {
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

export interface Measurement {
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
export interface Slice {
  requests: number;
  errors: number;
  seconds: number;
  late: number;
  latenciesMs: number[];
  used: Cpu;
}

export type Load = () => Promise<LoadResult & { late?: number }>;

/** The processes whose CPU a measurement reads. */
export interface RunProcesses {
  users: number;
  chat: number;
  models: number;
  /** Every process of this run: the platform's services and the gateways this script started. */
  all(): number[];
  /** This run's database: only its PostgreSQL backends count; other databases on the server are other people's work. */
  databaseName: string;
}

/**
 * Progress on stderr, with the time since the start; what is being measured now is the label of any invalid answer
 * recorded meanwhile.
 */
export function createProgress(): { (line: string, label?: string): void; label(): string } {
  const started = Date.now();
  let measuring = 'setup';
  const progress = (line: string, label = line) => {
    measuring = label;
    console.error(`[${((Date.now() - started) / 1000).toFixed(0)} s] ${line}`);
  };
  return Object.assign(progress, { label: () => measuring });
}

/** One measurement from its slices together: rates, percentiles and CPU per request over all of them. */
export function summarize(slices: Slice[]): Measurement {
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
}

/**
 * Targets compared with each other are measured in turn in this many short slices each, every target in every
 * position once (A B, B A, A B, B A; with four: A B C D, B C D A, …), so that the machine's drift and other people's
 * work fall on all of them alike.
 */
export const SLICES = 4;

/** Loads measured with the CPU of every process of the run: the gateway under load, the services, PostgreSQL, Redis. */
export function createMeter(processes: RunProcesses, progress: (line: string, label: string) => void) {
  const ourBackends = postgresBackendsOf(processes.databaseName);
  const snapshot = (gatewayPid: number) => {
    const self = process.cpuUsage();
    return {
      gateway: processCpuMicros(gatewayPid),
      users: processCpuMicros(processes.users),
      chat: processCpuMicros(processes.chat),
      models: processCpuMicros(processes.models),
      processes: processes.all().reduce((total, pid) => total + processCpuMicros(pid), 0),
      postgres: cpuByCommandLine(ourBackends),
      redis: cpuByCommandLine(isRedisServer),
      loadGenerator: self.user + self.system,
      machine: machineBusyMicros(),
    };
  };
  const cpuBetween = (a: ReturnType<typeof snapshot>, b: ReturnType<typeof snapshot>): Cpu => {
    const postgres = cpuUsedSince(a.postgres, b.postgres);
    const redis = cpuUsedSince(a.redis, b.redis);
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
  const measureSlice = async (gatewayPid: number, load: Load): Promise<Slice> => {
    const before = snapshot(gatewayPid);
    const run = await load();
    const used = cpuBetween(before, snapshot(gatewayPid));
    return { requests: run.requests, errors: run.errors, seconds: run.seconds, late: run.late ?? 0, latenciesMs: run.latenciesMs, used };
  };
  /** Cores this run's processes (not the load generator) keep busy over one second, with `gatewayPid` as the gateway. */
  const busyCores = async (gatewayPid: number) => {
    const before = snapshot(gatewayPid);
    await new Promise((r) => setTimeout(r, 1000));
    const used = cpuBetween(before, snapshot(gatewayPid));
    return (used.run - used.loadGenerator) / 1e6;
  };
  return {
    measureSlice,
    measure: async (gatewayPid: number, load: Load) => summarize([await measureSlice(gatewayPid, load)]),
    /** One measurement per target, from its SLICES slices of `seconds` / SLICES each, interleaved. */
    async interleaved<K extends string>(
      keys: readonly K[],
      seconds: number,
      label: (key: K) => string,
      slice: (key: K, seconds: number) => Promise<Slice>,
    ): Promise<Record<K, Measurement>> {
      const parts = Object.fromEntries(keys.map((k) => [k, [] as Slice[]])) as Record<K, Slice[]>;
      for (let s = 0; s < SLICES; s++) {
        for (let j = 0; j < keys.length; j++) {
          const key = keys[(s + j) % keys.length]!;
          progress(`${label(key)}, slice ${s + 1}/${SLICES}`, label(key));
          parts[key].push(await slice(key, seconds / SLICES));
        }
      }
      return Object.fromEntries(keys.map((k) => [k, summarize(parts[k])])) as Record<K, Measurement>;
    },
    busyCores,
    /**
     * Waits until this run's processes are nearly idle again (at most `maxSeconds`): after the open loop the subgraphs
     * still work through requests the gateway gave up on, which would otherwise be charged to the next measurement.
     */
    async settle(gatewayPid: number, idleCores: number, maxSeconds = 90) {
      const deadline = Date.now() + maxSeconds * 1000;
      for (;;) {
        const cores = await busyCores(gatewayPid);
        if (cores < idleCores + 0.1 || Date.now() > deadline) return cores;
      }
    },
  };
}
