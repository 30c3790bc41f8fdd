import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createTestDatabase, freePort, waitUntilReady, startServiceProcess, uniqueName } from '@parley/testing';
import { stringify } from 'yaml';
import { streamCompletion } from './bench/support/stream-client';
const up = spawn(process.execPath, ['--import', 'tsx', 'bench/models-router/fake-upstream-server.ts', '20', '0'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const upstream = await new Promise<{ baseUrl: string }>((d) =>
  createInterface({ input: up.stdout! }).once('line', (l) => d(JSON.parse(l))),
);
const db = await createTestDatabase(process.env.DATABASE_URL!, 'prof');
const dir = mkdtempSync(join(tmpdir(), 'p-'));
writeFileSync(
  join(dir, 'm.yaml'),
  stringify({
    deployments: [
      {
        id: 'fake',
        model: 'fake/chat',
        displayName: 'F',
        provider: 'openai',
        baseUrl: upstream.baseUrl,
        apiKeyEnv: 'K',
        upstreamModel: 'u',
        contextWindow: 100000,
        inputPricePerMTok: 1,
        outputPricePerMTok: 2,
        maxConcurrency: 10000,
      },
    ],
  }),
);
const token = randomBytes(32).toString('base64');
const port = await freePort();
const m = startServiceProcess('models', 'subgraphs/models/src/index.ts', {
  DATABASE_URL: db.url,
  REDIS_URL: process.env.REDIS_URL!,
  KAFKA_BROKERS: process.env.KAFKA_BROKERS!,
  KAFKA_TOPIC_PREFIX: uniqueName('p') + '.',
  PORT: String(port),
  MODELS_CONFIG: join(dir, 'm.yaml'),
  K: 'x',
  INTERNAL_SERVICE_TOKEN: token,
  DEFAULT_DAILY_BUDGET_USD: '100000',
  DEFAULT_MONTHLY_BUDGET_USD: '100000',
  LOG_LEVEL: 'error',
  NODE_OPTIONS: '--cpu-prof --cpu-prof-dir=/tmp/prof',
});
await waitUntilReady(`http://127.0.0.1:${port}/readyz`, m);
const agent = new Agent({ keepAlive: true, maxSockets: 100 });
let n = 0;
const end = performance.now() + 8000;
await Promise.all(
  Array.from({ length: 100 }, async () => {
    while (performance.now() < end) {
      await streamCompletion(
        `http://127.0.0.1:${port}/v1/chat/completions`,
        agent,
        { authorization: `Bearer ${token}`, 'x-parley-user-id': randomUUID() },
        JSON.stringify({ model: 'fake/chat', stream: true, messages: [{ role: 'user', content: 'question ' + n }] }),
      );
      n++;
    }
  }),
);
console.log('replies', n);
m.child.kill('SIGINT');
await m.exited;
up.kill();
await db.drop();
