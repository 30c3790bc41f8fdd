import { readFileSync } from 'node:fs';

/** Resident memory of a process now, in KiB, from /proc/PID/status. */
export function processRssKiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
}
