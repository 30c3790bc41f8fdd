import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './service-process';

/**
 * Real dependencies a fault-injection test may stop, kill and restart: each
 * is this test's own process on its own port and data directory, so the
 * machine's shared PostgreSQL, Redis and Kafka are never touched. Each one is
 * ended by the pid it was started with.
 */

const run = promisify(execFile);
const repositoryRoot = resolve(import.meta.dirname, '../../..');

async function until(what: string, condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), done(true)));
    socket.once('error', () => done(false));
  });
}

/** True once `pid` names no process, not even a zombie not yet reaped (which still holds PostgreSQL's socket lock). */
function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

export interface OwnService {
  port: number;
  url: string;
  /** Ends the process gracefully (SIGTERM) and waits for it. */
  stop(): Promise<void>;
  /** Ends it at once (SIGKILL), as a crash would. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data, resolving once it answers. */
  start(): Promise<void>;
  /** Stops it and deletes its data. */
  remove(): Promise<void>;
}

/** redis-server on a free port, persisting with appendonly as production would. */
export async function startOwnRedis({ appendonly = true }: { appendonly?: boolean } = {}): Promise<OwnService> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'parley-redis-'));
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  const url = `redis://127.0.0.1:${port}`;
  const ping = async () => {
    const { stdout } = await run('redis-cli', ['-p', String(port), 'ping']);
    return stdout.trim() === 'PONG';
  };
  const end = async (signal: NodeJS.Signals) => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
    child = null;
  };
  const service: OwnService = {
    port,
    url,
    async start() {
      if (child) return;
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', appendonly ? 'yes' : 'no'];
      const started = spawn('redis-server', args, { stdio: 'ignore' });
      child = started;
      exited = new Promise((done) => started.once('exit', () => done()));
      await until(`redis-server on ${port} did not answer PING`, ping, 20_000);
    },
    stop: () => end('SIGTERM'),
    kill: () => end('SIGKILL'),
    async remove() {
      await end('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    },
  };
  await service.start();
  return service;
}

/**
 * A single-node Kafka broker (KRaft, scripts/kafka.sh) on free ports with its
 * own data directory; the jars are the shared cache's. Start takes 10–20 s.
 */
export async function startOwnKafka(): Promise<OwnService> {
  const [port, controllerPort] = [await freePort(), await freePort()];
  const dir = await mkdtemp(join(tmpdir(), 'parley-kafka-'));
  const env = {
    ...process.env,
    PARLEY_KAFKA_DATA: join(dir, 'data'),
    KAFKA_PORT: String(port),
    KAFKA_CONTROLLER_PORT: String(controllerPort),
  };
  const kafka = (command: string) => run('bash', [join(repositoryRoot, 'scripts/kafka.sh'), command], { env, timeout: 180_000 });
  const pid = async () => Number((await readFile(join(dir, 'kafka.pid'), 'utf8')).trim());
  const service: OwnService = {
    port,
    url: `127.0.0.1:${port}`,
    async start() {
      await kafka('start');
    },
    async stop() {
      await kafka('stop');
    },
    async kill() {
      const broker = await pid().catch(() => null);
      if (broker === null) return;
      try {
        process.kill(broker, 'SIGKILL');
      } catch {
        return; // already gone
      }
      await until(`kafka broker ${broker} did not exit`, async () => gone(broker), 30_000);
    },
    async remove() {
      await kafka('stop');
      await rm(dir, { recursive: true, force: true });
    },
  };
  await service.start();
  return service;
}

/**
 * A PostgreSQL 15 cluster of its own (Debian's pg_createcluster) on a free
 * port, trust auth for local TCP connections; `url` is its postgres database.
 */
export async function startOwnPostgres({ version = '15' }: { version?: string } = {}): Promise<OwnService> {
  const port = await freePort();
  const name = `parley_faults_${port}`;
  await run('pg_createcluster', [version, name, '-p', String(port), '--', '--auth=trust'], { timeout: 120_000 });
  const ctl = (action: string, ...extra: string[]) => run('pg_ctlcluster', [...extra, version, name, action], { timeout: 120_000 });
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const pidFile = `/var/lib/postgresql/${version}/${name}/postmaster.pid`;
  const service: OwnService = {
    port,
    url,
    async start() {
      await ctl('start');
      await until(`postgres on ${port} did not accept connections`, () => portAnswers(port), 30_000);
    },
    async stop() {
      await ctl('stop', '--mode=fast').catch(() => undefined);
    },
    async kill() {
      const postmaster = Number((await readFile(pidFile, 'utf8').catch(() => '')).split('\n')[0]);
      if (!postmaster) return;
      process.kill(postmaster, 'SIGKILL');
      // Its backends outlive a killed postmaster for a moment and hold its socket's lock: wait until every one is gone.
      await until(
        `postgres ${name} did not exit`,
        async () => {
          const { stdout } = await run('pgrep', ['-f', `${version}/${name}`]).catch(() => ({ stdout: '' }));
          return stdout.trim() === '' && gone(postmaster);
        },
        30_000,
      );
    },
    async remove() {
      await run('pg_dropcluster', ['--stop', version, name], { timeout: 120_000 }).catch(() => undefined);
    },
  };
  await service.start();
  return service;
}
