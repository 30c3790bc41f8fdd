/**
 * Where the CPU of a read goes, process by process: the platform in services mode with every service writing a V8
 * CPU profile, the seeded data of bench/gateway-edge, one query kind (or the mix) in a closed loop through the
 * gateway, then each process's CPU per request (from /proc) and its profile summed by function and by package.
 *
 *   DATABASE_URL=… REDIS_URL=… KAFKA_BROKERS=… npx tsx bench/profile/run.ts [me|models|conversations|mixed][,…] [seconds=15] [--no-profile]
 *
 * With --no-profile the processes run without the profiler (which costs them 10–20 %): the CPU figures of one step.
 * OTEL_* variables set for the driver are given to every service (e.g. to profile a traced platform).
 *
 * Profiles land in PARLEY_PROFILE_DIR (default /tmp/parley-profile-<kind>); `bench/support/profile-summary.ts` reads them.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { startPlatformUnderTest } from '@parley/platform/testing';
import pg from 'pg';
import { cpuByCommandLine, cpuMeter, cpuUsedSince, postgresBackendsOf } from '../support/process-cpu';
import { CONNECTIONS, createWorkloads, KINDS, type Kind } from '../gateway-edge/workloads';
import { EDGE_SETTINGS, seed } from '../gateway-edge/seeding';

const kinds = (process.argv[2] ?? 'mixed').split(',') as (Kind | 'mixed')[];
const seconds = Number(process.argv[3] ?? 15);
for (const kind of kinds)
  if (kind !== 'mixed' && !KINDS[kind]) throw new Error(`No query kind ${kind}: me, models, conversations or mixed`);
const profiling = !process.argv.includes('--no-profile');
if (profiling && kinds.length > 1) throw new Error('Profile one kind at a time (or pass --no-profile)');
const profileDir = process.env.PARLEY_PROFILE_DIR ?? `/tmp/parley-profile-${kinds[0]}`;
rmSync(profileDir, { recursive: true, force: true });
if (profiling) process.env.PARLEY_PROFILE_DIR = profileDir;
else delete process.env.PARLEY_PROFILE_DIR;

let window = '0-Infinity';
/** Transactions committed or rolled back in `database` so far (a statement outside a transaction is one). */
async function transactionsIn(database: string): Promise<number> {
  const client = new pg.Client({ connectionString: platform.databaseUrl! });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>('select xact_commit + xact_rollback as n from pg_stat_database where datname = $1', [
      database,
    ]);
    return Number(rows[0]!.n);
  } finally {
    await client.end();
  }
}
// OTEL_* variables of this driver's environment go to every service: the profile of a traced platform.
const tracing = Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[0].startsWith('OTEL_')));
const platform = await startPlatformUnderTest({ settings: { ...EDGE_SETTINGS, ...tracing }, logLevel: 'error' });
try {
  const seeded = await seed(platform.url, platform.databaseUrl!, (line) => console.error(line));
  const workloads = createWorkloads({ tokens: seeded.tokens, label: () => 'profile' });
  const target = { url: platform.url, pid: platform.processes['gateway-1']!.child.pid! };
  const names = Object.keys(platform.processes);
  const database = new URL(platform.databaseUrl!).pathname.slice(1);
  await workloads.planMixed(target, 'gateway');
  for (const kind of kinds) {
    const load = (s: number) => (kind === 'mixed' ? workloads.closedMixed(target, s) : workloads.closedKind(target, kind, s))();
    await load(3); // warm: JIT, pools, caches
    const meter = cpuMeter(names.map((name) => platform.processes[name]!.child.pid!));
    const postgresBefore = cpuByCommandLine(postgresBackendsOf(database));
    const transactionsBefore = await transactionsIn(database);
    const windowFrom = process.hrtime.bigint() / 1000n;
    const result = await load(seconds);
    window = `${windowFrom}-${process.hrtime.bigint() / 1000n}`;
    const used = meter();
    const postgres = cpuUsedSince(postgresBefore, cpuByCommandLine(postgresBackendsOf(database)));
    // PostgreSQL flushes its counters about once a second: a rough count over a run of several seconds.
    await new Promise((r) => setTimeout(r, 1500));
    const transactions = (await transactionsIn(database)) - transactionsBefore;
    const total = used.reduce((sum, us) => sum + us, postgres);
    const perRequest = (us: number) => `${(us / result.requests).toFixed(0).padStart(6)} µs/request`;
    console.log(
      `\n# ${kind}: ${(result.requests / result.seconds).toFixed(0)} req/s, ${result.errors} errors, ${seconds} s, ${CONNECTIONS} connections, ${perRequest(total)} in all`,
    );
    names.forEach((name, i) => console.log(`${name.padEnd(16)} ${perRequest(used[i]!)}`));
    console.log(`${'postgresql'.padEnd(16)} ${perRequest(postgres)}, ${(transactions / result.requests).toFixed(1)} transactions/request`);
    for (const [label, samples] of workloads.errorSamples) console.log(`invalid answers (${label}):`, samples);
  }
} finally {
  await platform.stop();
}
if (profiling)
  console.log(
    execFileSync('npx', ['tsx', resolve(import.meta.dirname, '../support/profile-summary.ts'), profileDir, '20', window], {
      encoding: 'utf8',
    }),
  );
