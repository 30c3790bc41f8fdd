import { readFileSync, readdirSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

/** CPU time (user + system) a process has used so far, in microseconds, from /proc/PID/stat. */
export function processCpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) / TICKS_PER_SECOND) * 1e6;
}

/** Starts counting the CPU time of `pids`; the function it returns says, in µs, what each has used since. */
export function cpuMeter(pids: readonly number[]): () => number[] {
  const before = pids.map(processCpuMicros);
  return () => pids.map((pid, i) => processCpuMicros(pid) - before[i]!);
}

/** CPU µs so far of each process whose command line passes `pick`, by pid. */
export function cpuByCommandLine(pick: (commandLine: string) => boolean): Map<number, number> {
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
}

/** CPU used between two snapshots of cpuByCommandLine: processes that started meanwhile count from zero. */
export function cpuUsedSince(before: Map<number, number>, after: Map<number, number>): number {
  return [...after].reduce((total, [pid, cpu]) => total + cpu - (before.get(pid) ?? 0), 0);
}

/** PostgreSQL backends serving one database (a process title "postgres: user database address state"). */
export const postgresBackendsOf = (databaseName: string) => (commandLine: string) =>
  commandLine.startsWith('postgres: ') && commandLine.includes(` ${databaseName} `);

export const isRedisServer = (commandLine: string) => commandLine.startsWith('redis-server');

/** CPU µs every core of the machine has spent busy so far (not idle, not waiting for I/O), from /proc/stat. */
export function machineBusyMicros(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = fields[3]! + fields[4]!;
  const total = fields.slice(0, 8).reduce((s, x) => s + x, 0);
  return ((total - idle) / TICKS_PER_SECOND) * 1e6;
}
