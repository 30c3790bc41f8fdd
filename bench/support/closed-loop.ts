import { Agent, request } from 'node:http';

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
  const one = (i: number) =>
    new Promise<void>((resolve) => {
      const started = performance.now();
      const payload = body(i);
      const req = request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers(i) },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => {
            latenciesMs.push(performance.now() - started);
            if (validate(res.statusCode ?? 0, text)) requests++;
            else errors++;
            resolve();
          });
        },
      );
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end(payload);
    });
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
