/**
 * Goal 5 of issue 15: in the embedded default (`npm start`, one process), what a mixed read costs against a trivial
 * request on the same server, in one run:
 *
 *   npx tsx bench/embedded/run.ts [seconds=10] [reps=3]
 *
 * The platform runs in its own process (server.ts) so that its CPU (from /proc) is its own; the load generator is
 * this process. Seeded as bench/gateway-edge seeds (users × 10 conversations × 3 turns, through the gateway); the
 * mixed workload and its checks are gateway-edge's. The trivial request is `/healthz` on the gateway's port. The two
 * loads alternate, `reps` times each, 50 connections; CPU per request is the server process's.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { closedLoop, median } from '../support/closed-loop';
import { cpuMeter } from '../support/process-cpu';
import { describeMachine } from '../support/machine';
import { medianRange, resultsDir, saveResults } from '../support/report';
import { seed } from '../gateway-edge/seeding';
import { CONNECTIONS, createWorkloads } from '../gateway-edge/workloads';

const seconds = Number(process.argv[2] ?? 10);
const reps = Number(process.argv[3] ?? 3);
const SEEDED_USERS = 20;

// Node itself, not npx: SIGTERM must reach the platform's process, not a wrapper around it.
const server = spawn(process.execPath, ['--import', 'tsx', resolve(import.meta.dirname, 'server.ts')], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
try {
  const { url, pid } = await new Promise<{ url: string; pid: number }>((done, fail) => {
    server.once('exit', (code) => fail(new Error(`server.ts exited with ${code} before it listened`)));
    createInterface({ input: server.stdout! }).once('line', (line) => done(JSON.parse(line)));
  });
  const seeded = await seed(url, null, (line) => console.error(line), { users: SEEDED_USERS });
  const workloads = createWorkloads({ tokens: seeded.tokens, label: () => 'embedded' });
  const target = { url, pid };
  await workloads.planMixed(target, 'embedded');
  const healthz = url.replace(/\/graphql$/, '/healthz');
  const measure = async (load: () => ReturnType<typeof closedLoop>) => {
    const meter = cpuMeter([pid]);
    const result = await load();
    const [cpu] = meter();
    return { rps: result.requests / result.seconds, errors: result.errors, cpuUs: cpu! / result.requests };
  };
  const trivial = () =>
    closedLoop({
      url: healthz,
      connections: CONNECTIONS,
      seconds,
      body: () => '{}',
      headers: () => ({}),
      validate: (status) => status === 200,
    });
  await measure(() => workloads.closedMixed(target, 3)()); // warm-up
  await measure(trivial);
  const runs = { trivial: [] as Awaited<ReturnType<typeof measure>>[], mixed: [] as Awaited<ReturnType<typeof measure>>[] };
  for (let r = 0; r < reps; r++) {
    runs.trivial.push(await measure(trivial));
    runs.mixed.push(await measure(() => workloads.closedMixed(target, seconds)()));
  }
  const ratios = runs.mixed.map((m, i) => m.cpuUs / runs.trivial[i]!.cpuUs);
  const lines = [
    '# Embedded mode: a mixed read against a trivial request, one process',
    '',
    `Machine: ${describeMachine()}. Command: npx tsx bench/embedded/run.ts ${seconds} ${reps} (${new Date().toISOString()}).`,
    `Data: ${SEEDED_USERS} users × 10 conversations × 3 turns (${seeded.conversations} conversations, ${seeded.messages} messages), seeded through the gateway. ${CONNECTIONS} connections, closed loop, ${seconds} s per measurement, ${reps} reps alternating; medians with min–max.`,
    '',
    '| load | req/s | CPU per request (the platform process) | errors |',
    '| --- | --- | --- | --- |',
    `| /healthz | ${medianRange(runs.trivial.map((m) => m.rps))} | ${medianRange(runs.trivial.map((m) => m.cpuUs))} µs | ${runs.trivial.reduce((s, m) => s + m.errors, 0)} |`,
    `| mixed reads (me, conversations page, models) | ${medianRange(runs.mixed.map((m) => m.rps))} | ${medianRange(runs.mixed.map((m) => m.cpuUs))} µs | ${runs.mixed.reduce((s, m) => s + m.errors, 0)} |`,
    '',
    `A mixed read costs ${medianRange(ratios, 1)}× a trivial request (target ≤ 50×).`,
    '',
  ];
  console.log(lines.join('\n'));
  const out = resultsDir(import.meta.dirname);
  writeFileSync(resolve(out, 'RESULTS.md'), lines.join('\n'));
  saveResults(out, 'results.json', { seconds, reps, runs, ratio: median(ratios) });
} finally {
  server.kill('SIGTERM');
}
process.exit(0);
