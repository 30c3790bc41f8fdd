import { Agent } from 'node:http';
import { postJson } from './post-json';

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  latenciesMs: number[];
}

/**
 * A closed-loop load: `connections` keep-alive clients each send the next
 * request when the previous answer arrived. Every body is checked by
 * `validate`, so error answers are counted as errors, not as throughput.
 */
export async function closedLoop({
  url,
  connections,
  seconds,
  body,
  headers,
  validate,
}: {
  url: string;
  connections: number;
  seconds: number;
  body: (i: number) => string;
  headers: (i: number) => Record<string, string>;
  validate: (status: number, text: string) => boolean;
}): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const target = new URL(url);
  const latenciesMs: number[] = [];
  let requests = 0;
  let errors = 0;
  let counter = 0;
  const deadline = performance.now() + seconds * 1000;
  const one = async (i: number) => {
    const started = performance.now();
    try {
      const { status, text } = await postJson(agent, target, body(i), headers(i));
      latenciesMs.push(performance.now() - started);
      if (validate(status, text)) requests++;
      else errors++;
    } catch {
      errors++;
    }
  };
  const started = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < deadline) await one(counter++);
    }),
  );
  agent.destroy();
  return { requests, errors, seconds: (performance.now() - started) / 1000, latenciesMs };
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

export function median(values: number[]): number {
  return percentile(values, 50);
}
