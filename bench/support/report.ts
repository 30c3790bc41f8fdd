import { writeFileSync } from 'node:fs';
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
