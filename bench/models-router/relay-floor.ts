/**
 *   npx tsx bench/models-router/relay-floor.ts [seconds=6] [reps=3]
 *
 * How much a bare byte-for-byte Node relay adds to time to first token with
 * 500 model-paced streams on this machine (A: upstream directly, B: through
 * the relay), to tell the router's own cost from what any extra Node hop costs here.
 */
import { spawn } from 'node:child_process';
import { Agent } from 'node:http';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { median, percentile } from '../support/closed-loop';
import { processCpuMicros } from '../support/process-cpu';
import { streamCompletion } from '../support/stream-client';

const seconds = Number(process.argv[2] ?? 6);
const reps = Number(process.argv[3] ?? 3);
const line = <T>(child: ReturnType<typeof spawn>) =>
  new Promise<T>((done) => createInterface({ input: child.stdout! }).once('line', (l) => done(JSON.parse(l) as T)));
const upstreamChild = spawn(process.execPath, ['--import', 'tsx', resolve(import.meta.dirname, 'fake-upstream-server.ts'), '20', '50'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const { baseUrl } = await line<{ baseUrl: string }>(upstreamChild);
const relayChild = spawn(process.execPath, ['--import', 'tsx', resolve(import.meta.dirname, 'minimal-relay.ts'), baseUrl], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const relay = await line<{ url: string; pid: number }>(relayChild);
const expected = Array.from({ length: 20 }, (_, i) => ` t${i}`).join('');

async function run(url: string, concurrency: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const ttft: number[] = [];
  let replies = 0;
  const deadline = performance.now() + seconds * 1000;
  const cpu = processCpuMicros(relay.pid);
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const t = await streamCompletion(
          url,
          agent,
          { authorization: 'Bearer sk-bench' },
          JSON.stringify({ model: 'upstream-model', stream: true, messages: [{ role: 'user', content: 'q' }] }),
        );
        if (t.content !== expected) throw new Error('bad reply');
        ttft.push(t.firstTokenMs);
        replies++;
      }
    }),
  );
  agent.destroy();
  return { p50: percentile(ttft, 50), p99: percentile(ttft, 99), cpuPerReply: (processCpuMicros(relay.pid) - cpu) / replies };
}

for (const concurrency of [100, 500]) {
  await run(relay.url, concurrency);
  const a: { p50: number; p99: number }[] = [];
  const b: { p50: number; p99: number; cpuPerReply: number }[] = [];
  for (let r = 0; r < reps; r++) {
    a.push(await run(`${baseUrl}/chat/completions`, concurrency));
    b.push(await run(relay.url, concurrency));
  }
  console.log(
    `| ${concurrency} | direct p50 ${median(a.map((x) => x.p50)).toFixed(1)} p99 ${median(a.map((x) => x.p99)).toFixed(1)} | bare relay p50 ${median(b.map((x) => x.p50)).toFixed(1)} p99 ${median(b.map((x) => x.p99)).toFixed(1)} | relay CPU µs/reply ${median(b.map((x) => x.cpuPerReply)).toFixed(0)} |`,
  );
}
relayChild.kill();
upstreamChild.kill();
process.exit(0);
