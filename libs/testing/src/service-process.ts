import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repositoryRoot = resolve(import.meta.dirname, '../../..');

export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts a TypeScript entry point (relative to the repository root) as its own Node process, through tsx. */
export function startServiceProcess(name: string, entry: string, env: Record<string, string>): ServiceProcess {
  // PARLEY_PROFILE_DIR=/some/dir: every service writes a V8 CPU profile there when it exits cleanly (SIGTERM).
  const profile = process.env.PARLEY_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${resolve(process.env.PARLEY_PROFILE_DIR, name)}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', resolve(repositoryRoot, entry)], {
    cwd: repositoryRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return {
    name,
    child,
    output: () => output,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Polls `url` until it answers 200, or fails with the process's output. */
export async function waitUntilReady(url: string, service: ServiceProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (service.child.exitCode !== null) {
      throw new Error(`${service.name} exited with ${service.child.exitCode} before it was ready:\n${service.output()}`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${service.name} was not ready within ${timeoutMs} ms:\n${service.output()}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** A TCP port that is free right now on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/** Whether `port` on 127.0.0.1 can be listened on now; the probe is closed again before this resolves. */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolveFree) => {
    const server = createServer();
    server.once('error', () => resolveFree(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolveFree(true)));
  });
}

/**
 * The first of `size` consecutive free ports: the embedded process listens on its port and the four after it (its
 * subgraphs), and a lone free port may have a neighbour taken by another suite's socket (EADDRINUSE at start).
 */
export async function freePortBlock(size: number): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const first = await freePort();
    if (first + size - 1 > 65_535) continue;
    const rest = await Promise.all(Array.from({ length: size - 1 }, (_, i) => portIsFree(first + 1 + i)));
    if (rest.every(Boolean)) return first;
  }
  throw new Error(`No ${size} consecutive free ports on 127.0.0.1 after 100 tries`);
}

/** Ports the embedded process takes: the gateway's and its four subgraphs' (platform/src/embedded-platform.ts). */
const EMBEDDED_PORTS = 5;

/**
 * `npm start`'s process (scripts/start-embedded.ts) as a user runs it, on free ports and a fresh data directory
 * (unless `env` gives PARLEY_DATA_DIR), with `env` on top; resolves once it is ready.
 */
export async function startEmbeddedProcess(
  env: Record<string, string> = {},
): Promise<{ url: string; dataDir: string; process: ServiceProcess }> {
  const port = await freePortBlock(EMBEDDED_PORTS);
  const dataDir = env['PARLEY_DATA_DIR'] ?? mkdtempSync(join(tmpdir(), 'parley-embedded-'));
  const child = startServiceProcess('parley', 'scripts/start-embedded.ts', { PORT: String(port), ...env, PARLEY_DATA_DIR: dataDir });
  await waitUntilReady(`http://127.0.0.1:${port}/readyz`, child);
  return { url: `http://127.0.0.1:${port}/graphql`, dataDir, process: child };
}
