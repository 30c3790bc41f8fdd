/**
 * What tracing costs a read (issue 16): the mixed read workload of bench/gateway-edge through the services-mode
 * platform, once per tracing setting — off, on with nothing sampled, 10 % sampled, everything sampled — with the
 * metrics on in every run (they have no switch: every request is counted). Spans go as OTLP/protobuf to a sink in
 * this process that reads and drops them, as a collector on another machine would take them.
 *
 *   DATABASE_URL=… REDIS_URL=… KAFKA_BROKERS=… npx tsx bench/observability/run.ts [seconds=10] [reps=2]
 *
 * Each setting gets its own platform (the variables are read at start), seeded the same way; its reps alternate
 * with no other setting's, so compare medians with their ranges. CPU per request is every service process's and
 * this database's PostgreSQL backends', not the load generator's.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { startPlatformUnderTest } from '@parley/platform/testing';
import { describeMachine } from '../support/machine';
import { cpuByCommandLine, cpuMeter, cpuUsedSince, postgresBackendsOf } from '../support/process-cpu';
import { createReport, medianRange, resultsDir, saveResults } from '../support/report';
import { CONNECTIONS, createWorkloads } from '../gateway-edge/workloads';
import { EDGE_SETTINGS, seed } from '../gateway-edge/seeding';
import { loadavg } from 'node:os';

const seconds = Number(process.argv[2] ?? 10);
const reps = Number(process.argv[3] ?? 2);

// The collector's stand-in: takes every export and drops it.
let exports = 0;
let exportedBytes = 0;
const sink = createServer((req, res) => {
  req.on('data', (chunk: Buffer) => (exportedBytes += chunk.length));
  req.on('end', () => {
    exports++;
    res.writeHead(200, { 'content-type': 'application/x-protobuf' });
    res.end();
  });
});
await new Promise<void>((done) => sink.listen(0, '127.0.0.1', done));
const endpoint = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;

const settings: { name: string; env: Record<string, string> }[] = [
  { name: 'tracing off (no OTEL_EXPORTER_OTLP_ENDPOINT)', env: {} },
  {
    name: 'tracing on, nothing sampled (parentbased_traceidratio 0)',
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' },
  },
  {
    name: 'tracing on, 10 % sampled',
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' },
  },
  {
    name: 'tracing on, every request sampled',
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_TRACES_SAMPLER: 'parentbased_always_on' },
  },
];

const report = createReport();
const startedAt = new Date().toISOString();
const load = loadavg()
  .map((l) => l.toFixed(2))
  .join(', ');
const rows: { name: string; rps: number[]; cpuUs: number[]; errors: number; exportsPerSecond: number; kibPerSecond: number }[] = [];
for (const setting of settings) {
  const platform = await startPlatformUnderTest({ settings: { ...EDGE_SETTINGS, ...setting.env }, logLevel: 'error' });
  try {
    const seeded = await seed(platform.url, platform.databaseUrl!, (line) => console.error(line));
    const workloads = createWorkloads({ tokens: seeded.tokens, label: () => setting.name });
    const target = { url: platform.url, pid: platform.processes['gateway-1']!.child.pid! };
    await workloads.planMixed(target, 'gateway');
    await workloads.closedMixed(target, 3)(); // warm: JIT, pools, caches
    const pids = Object.values(platform.processes).map((p) => p.child.pid!);
    const database = new URL(platform.databaseUrl!).pathname.slice(1);
    const row = { name: setting.name, rps: [] as number[], cpuUs: [] as number[], errors: 0, exportsPerSecond: 0, kibPerSecond: 0 };
    for (let rep = 0; rep < reps; rep++) {
      const meter = cpuMeter(pids);
      const postgresBefore = cpuByCommandLine(postgresBackendsOf(database));
      const [exportsBefore, bytesBefore] = [exports, exportedBytes];
      const result = await workloads.closedMixed(target, seconds)();
      const used = meter().reduce((sum, us) => sum + us, cpuUsedSince(postgresBefore, cpuByCommandLine(postgresBackendsOf(database))));
      row.rps.push(result.requests / result.seconds);
      row.cpuUs.push(used / result.requests);
      row.errors += result.errors;
      row.exportsPerSecond = (exports - exportsBefore) / result.seconds;
      row.kibPerSecond = (exportedBytes - bytesBefore) / 1024 / result.seconds;
    }
    rows.push(row);
    console.error(`${setting.name}: ${medianRange(row.cpuUs)} µs/request`);
  } finally {
    await platform.stop();
  }
}
sink.close();

const off = rows[0]!;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
report.say('# What tracing and metrics cost a mixed read (issue 16)');
report.say();
report.say(`Machine: ${describeMachine()}. Load average before the run: ${load}.`);
report.say(`Command: npx tsx bench/observability/run.ts ${seconds} ${reps} (${startedAt}); services mode, every process on these cores.`);
report.say(
  `Workload: bench/gateway-edge's mixed reads (me, conversations page, models; every answer checked, one token per user), closed loop, ${CONNECTIONS} connections, ${seconds} s × ${reps} reps per setting. Metrics on in every row; spans exported as OTLP/protobuf to a sink that drops them.`,
);
report.say();
report.say('| setting | req/s | CPU per request, all services + PostgreSQL | against tracing off | errors | exports/s | exported KiB/s |');
report.say('| --- | --- | --- | --- | --- | --- | --- |');
for (const row of rows) {
  const delta = ((median(row.cpuUs) / median(off.cpuUs) - 1) * 100).toFixed(1);
  report.say(
    `| ${row.name} | ${medianRange(row.rps)} | ${medianRange(row.cpuUs)} µs | ${row === off ? '—' : `${delta.startsWith('-') ? '' : '+'}${delta} %`} | ${row.errors} | ${row.exportsPerSecond.toFixed(1)} | ${row.kibPerSecond.toFixed(0)} |`,
  );
}
const out = resultsDir(import.meta.dirname);
report.write(resolve(out, 'RESULTS.md'));
saveResults(out, 'results.json', { seconds, reps, rows });
process.exit(0);
