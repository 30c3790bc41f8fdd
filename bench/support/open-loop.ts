import { Agent, type IncomingHttpHeaders } from 'node:http';
import { postJson } from './post-json';
import type { LoadResult } from './closed-loop';

/**
 * An open-loop load (wrk2-style): request i is due at start + i / rate and its
 * latency is measured from that due time, so a server that falls behind shows
 * its queueing instead of quietly lowering the offered rate. Every body is
 * checked by `validate`; an answer that fails it counts as an error.
 */
export async function openLoop({
  url,
  rate,
  seconds,
  body,
  headers,
  validate,
  onAnswer,
  maxSockets = 512,
}: {
  url: string;
  rate: number;
  seconds: number;
  body: (i: number) => string;
  headers: (i: number) => Record<string, string>;
  validate: (status: number, text: string) => boolean;
  /** Sees every answer with its latency from its due time (or the error of a request that got none), for loads that tell answers apart. */
  onAnswer?: (
    answer: { status: number; headers: IncomingHttpHeaders; text: string; latencyMs: number } | { error: Error; latencyMs: number },
  ) => void;
  maxSockets?: number;
}): Promise<LoadResult & { late: number; errorSamples: string[] }> {
  const agent = new Agent({ keepAlive: true, maxSockets });
  const target = new URL(url);
  const latenciesMs: number[] = [];
  let requests = 0;
  let errors = 0;
  let late = 0;
  const samples: string[] = [];
  const total = Math.round(rate * seconds);
  const started = performance.now();
  const inFlight = new Set<Promise<void>>();

  const one = (i: number, due: number) => {
    const done = postJson(agent, target, body(i), headers(i)).then(
      ({ status, text, headers: answerHeaders }) => {
        const latencyMs = performance.now() - due;
        latenciesMs.push(latencyMs);
        onAnswer?.({ status, headers: answerHeaders, text, latencyMs });
        if (validate(status, text)) return void requests++;
        errors++;
        if (samples.length < 5) samples.push(`${status}: ${text.slice(0, 300)}`);
      },
      (error: Error) => {
        onAnswer?.({ error, latencyMs: performance.now() - due });
        errors++;
        if (samples.length < 5) samples.push(`request error: ${error.message}`);
      },
    );
    inFlight.add(done);
    void done.then(() => inFlight.delete(done));
  };

  let next = 0;
  while (next < total) {
    const now = performance.now();
    // Everything due by now leaves now; a request sent after its due time still counts from it.
    while (next < total && started + (next * 1000) / rate <= now) {
      const due = started + (next * 1000) / rate;
      if (now - due > 10) late++;
      one(next, due);
      next++;
    }
    // A 1 ms tick: due times are kept exactly; a busy loop would steal the CPU the servers need.
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(inFlight);
  agent.destroy();
  return { requests, errors, late, errorSamples: samples, seconds: (performance.now() - started) / 1000, latenciesMs };
}
