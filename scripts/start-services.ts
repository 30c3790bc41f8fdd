/**
 * npm run start:services: every service as its own process against real
 * PostgreSQL, Redis and Kafka, for local use. Reads DATABASE_URL, REDIS_URL and
 * KAFKA_BROKERS, defaulting to the local ones that scripts/ start; builds the web
 * client if it is missing or stale (web-build.ts), composes the supergraph and
 * creates the database if it is missing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { embeddedSecret } from '@parley/platform/secrets';
import { composeSupergraph, readSupergraphConfig } from '@parley/composition';
import pg from 'pg';
import { buildWebClientBeforeStart } from './web-build';

const root = resolve(import.meta.dirname, '..');
const env: Record<string, string> = {
  // Generated once and kept in .parley-data/secrets unless given.
  USERS_KEY_ENCRYPTION_KEY: process.env.USERS_KEY_ENCRYPTION_KEY ?? embeddedSecret(resolve(root, '.parley-data'), 'users-key-encryption'),
  INTERNAL_SERVICE_TOKEN: process.env.INTERNAL_SERVICE_TOKEN ?? embeddedSecret(resolve(root, '.parley-data'), 'internal-service-token'),
  DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/parley',
  REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
};
const basePort = Number(process.env.PORT ?? 4000);

async function ensureDatabase(url: string) {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const server = new URL(url);
  server.pathname = '/postgres';
  const client = new pg.Client({ connectionString: server.toString() });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`Cannot reach postgres at ${target.host}: ${(error as Error).message}. Start it (README: Running on real services).`, {
      cause: error,
    });
  }
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (rowCount === 0) {
      await client.query(`create database "${name.replace(/"/g, '""')}"`);
      console.log(`created database ${name}`);
    }
  } finally {
    await client.end();
  }
}

const children: ChildProcess[] = [];
function start(name: string, entry: string, extra: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(root, entry)], {
    cwd: root,
    env: { ...process.env, ...env, ...extra },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const prefix = `[${name}]`.padEnd(14);
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) if (line) process.stdout.write(`${prefix}${line}\n`);
    });
  }
  child.once('exit', (code, signal) => {
    console.log(`${prefix}exited (${signal ?? code})`);
    if (!stopping) void stopAll(1);
  });
  children.push(child);
  return child;
}

async function waitReady(name: string, port: number) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readyz`)).ok) return;
    } catch {
      // starting
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${name} was not ready on port ${port} within 60 s`);
}

let stopping = false;
async function stopAll(code: number) {
  stopping = true;
  for (const child of children.reverse()) if (child.exitCode === null) child.kill('SIGTERM');
  await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
  process.exit(code);
}
process.once('SIGINT', () => void stopAll(0));
process.once('SIGTERM', () => void stopAll(0));

// Before anything starts: a failed build ends the start here, its output not mixed with the services' logs.
await buildWebClientBeforeStart();

const subgraphs = readSupergraphConfig(resolve(root, 'supergraph.yaml'));
const urls = Object.fromEntries(subgraphs.map((s, i) => [s.name, `http://127.0.0.1:${basePort + i + 1}/graphql`]));
const { supergraphSdl } = composeSupergraph(subgraphs, urls);
const supergraphPath = resolve(root, '.parley-data', 'supergraph.services.graphql');
await import('node:fs').then((fs) => fs.mkdirSync(resolve(root, '.parley-data'), { recursive: true }));
writeFileSync(supergraphPath, supergraphSdl);

try {
  await ensureDatabase(env.DATABASE_URL!);
  const usersPort = basePort + 1;
  start('users', 'subgraphs/users/src/index.ts', { PORT: String(usersPort) });
  await waitReady('users', usersPort);
  const usersUrl = `http://127.0.0.1:${usersPort}`;
  const modelsUrl = `http://127.0.0.1:${basePort + subgraphs.findIndex((s) => s.name === 'models') + 1}`;
  await Promise.all(
    subgraphs
      .filter((s) => s.name !== 'users')
      .map(async (s) => {
        const port = basePort + subgraphs.indexOf(s) + 1;
        start(s.name, `subgraphs/${s.name}/src/index.ts`, { PORT: String(port), USERS_URL: usersUrl, MODELS_URL: modelsUrl });
        await waitReady(s.name, port);
      }),
  );
  // The chat worker streams replies; it starts after chat, whose process runs the migrations it relies on.
  const workerPort = basePort + subgraphs.length + 8;
  start('chat-worker', 'subgraphs/chat/src/worker.ts', { PORT: String(workerPort), USERS_URL: usersUrl, MODELS_URL: modelsUrl });
  await waitReady('chat-worker', workerPort);
  start('gateway', 'gateway/src/index.ts', { PORT: String(basePort), USERS_URL: usersUrl, SUPERGRAPH_PATH: supergraphPath });
  await waitReady('gateway', basePort);
  console.log(
    `\n  Parley is running in services mode.\n  GraphQL over HTTP and WebSocket: http://127.0.0.1:${basePort}/graphql\n  Web client: http://127.0.0.1:${basePort}/\n`,
  );
} catch (error) {
  console.error((error as Error).message);
  await stopAll(1);
}
