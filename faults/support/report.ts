import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { dirname } from 'node:path';
import type { ScenarioRun } from './run-scenario';

/** The figures of one scenario, as the closing note of a reliability change quotes them. */
export interface Figures {
  /** From the fault's injection until what it broke is back (for SIGTERM: until the process is ready again). */
  downtimeS: number | null;
  asked: number;
  accepted: number;
  repliesFailed: number;
  /** Every error a client saw, by code (GraphQL `extensions.code`, HTTP status, or transport failure). */
  errorsByCode: Record<string, number>;
  /** Subscriptions cut under a client (it resumed, with afterSeq, on the same or the other gateway). */
  disconnects: number;
  /** The longest any send or probe took, from the fault until 10 s after it: nothing may hang. */
  slowestRequestS: number | null;
  /** From the fault's end to the first successful probe sent after it. */
  recoveryRequestS: number | null;
  /** From the fault's end to the first delta any subscriber received after it. */
  recoveryTokenS: number | null;
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;

export function figuresOf(run: ScenarioRun): Figures | null {
  const { load, fault, verdict } = run;
  if (!load || !fault) return null;
  const errorsByCode: Record<string, number> = {};
  for (const e of load.errors) errorsByCode[e.code] = (errorsByCode[e.code] ?? 0) + 1;
  const around = load.requests.filter((r) => r.op !== 'in-flight' && r.startedAt >= fault.start && r.startedAt <= fault.end + 10_000);
  const probe = load.requests.find((r) => r.op === 'probe' && r.startedAt >= fault.end && r.ok);
  const firstToken = Math.min(
    ...load.questions.flatMap((q) => q.events.filter((e) => e.kind === 'delta' && e.at >= fault.end).map((e) => e.at)),
  );
  return {
    downtimeS: seconds(fault.end - fault.start),
    asked: load.questions.length,
    accepted: load.questions.filter((q) => q.replyId).length,
    repliesFailed: verdict?.failed ?? 0,
    errorsByCode,
    disconnects: load.disconnects.length,
    slowestRequestS: around.length ? seconds(Math.max(...around.map((r) => r.endedAt - r.startedAt))) : null,
    recoveryRequestS: probe ? seconds(probe.endedAt - fault.end) : null,
    recoveryTokenS: Number.isFinite(firstToken) ? seconds(firstToken - fault.end) : null,
  };
}

const cell = (value: number | null, unit = ' s') => (value === null ? '–' : `${value}${unit}`);
const codes = (byCode: Record<string, number>) =>
  Object.entries(byCode)
    .sort(([, a], [, b]) => b - a)
    .map(([code, n]) => `${code} ×${n}`)
    .join(', ') || 'none';

/** The summary table, then each scenario's violations: printed at the end of the run and written to `path`. */
export async function writeReport(
  path: string,
  runs: ScenarioRun[],
  { startedAt, subset }: { startedAt: number; subset: string },
): Promise<string> {
  const lines = [
    `# Fault-injection suite: ${new Date(startedAt).toISOString()}`,
    '',
    `Subset: ${subset}. ${runs.filter((r) => r.violations.length === 0 && !r.error).length} of ${runs.length} scenarios passed in ` +
      `${seconds(Date.now() - startedAt)} s. Machine: ${cpus().length} cores, load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} at the end.`,
    '',
    '| scenario | result | took | downtime | questions (accepted/asked) | replies failed | what clients saw (errors by code) | disconnects | slowest request | recovery: request / first token | drain after SIGTERM |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const run of runs) {
    const f = figuresOf(run);
    const result = run.error ? 'ERROR' : run.violations.length ? `FAIL (${run.violations.length})` : 'pass';
    const drain = run.fault?.drain ? `${seconds(run.fault.drain.ms)} s, exit ${run.fault.drain.exitCode}` : '–';
    lines.push(
      f
        ? `| ${run.scenario.id} | ${result} | ${seconds(run.durationMs)} s | ${cell(f.downtimeS)} | ${f.accepted}/${f.asked} | ${f.repliesFailed} | ${codes(f.errorsByCode)} | ${f.disconnects} | ` +
            `${cell(f.slowestRequestS)} | ${cell(f.recoveryRequestS)} / ${cell(f.recoveryTokenS)} | ${drain} |`
        : `| ${run.scenario.id} | ${result} | ${seconds(run.durationMs)} s | – | – | – | – | – | – | – | – |`,
    );
  }
  for (const run of runs) {
    if (!run.error && run.violations.length === 0 && run.notes.length === 0) continue;
    lines.push('', `## ${run.scenario.id}: ${run.scenario.title}`, '');
    if (run.error) lines.push(`The run could not be carried out: ${run.error}`, '');
    for (const note of run.notes) lines.push(`- note: ${note}`);
    const shown = run.violations.slice(0, 20);
    for (const violation of shown) lines.push(`- ${violation}`);
    if (run.violations.length > shown.length) lines.push(`- … and ${run.violations.length - shown.length} more`);
  }
  lines.push('', '## What clients were told', '', 'Each error a client saw, by operation and code, with one of its messages.', '');
  for (const run of runs) {
    const told = new Map<string, { n: number; message: string }>();
    for (const e of run.load?.errors ?? []) {
      const key = `${e.op} ${e.code}`;
      told.set(key, { n: (told.get(key)?.n ?? 0) + 1, message: told.get(key)?.message ?? e.message });
    }
    if (told.size === 0) continue;
    lines.push(`- ${run.scenario.id}: ${[...told].map(([key, { n, message }]) => `${key} ×${n} ("${message.slice(0, 120)}")`).join('; ')}`);
  }
  const text = `${lines.join('\n')}\n`;
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
  return text;
}
