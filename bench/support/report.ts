import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { median } from './closed-loop';

/** A results file said line by line: each line is printed as it comes, and `write` saves them all. */
export function createReport(): { say(line?: string): void; write(file: string): void } {
  const lines: string[] = [];
  return {
    say(line = '') {
      console.log(line);
      lines.push(line);
    },
    write(file) {
      writeFileSync(file, `${lines.join('\n')}\n`);
    },
  };
}

/** "median (min–max)" of the reps' figures, as every results table writes them. */
export function medianRange(values: number[], digits = 0): string {
  return `${median(values).toFixed(digits)} (${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)})`;
}

/**
 * Where a benchmark writes its results: beside its script (`scriptDir`), unless BENCH_OUT_DIR says otherwise, as
 * `npm run bench -- --short` does so that a quick run leaves the committed results alone.
 */
export function resultsDir(scriptDir: string): string {
  const dir = process.env.BENCH_OUT_DIR ?? scriptDir;
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A benchmark's figures as JSON beside its results page, for `npm run bench`'s summary to read. */
export function saveResults(dir: string, file: string, data: unknown): void {
  writeFileSync(resolve(dir, file), `${JSON.stringify({ at: new Date().toISOString(), ...(data as object) }, null, 2)}\n`);
}
