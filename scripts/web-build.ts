/**
 * The web client's build before npm start (and npm run start:services) starts the gateway that serves it: web/dist
 * is built when it is missing or older than the sources it comes from, and left alone otherwise. "Older" is by
 * content, not by clock: a hash of the sources is written into web/dist/.parley-build.json after each build, and the
 * build is fresh while the sources still hash to it (a few ms to compute). PARLEY_SKIP_WEB_BUILD=1 skips all of it.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';

/** Written into the build's directory after a build: what it was built from. */
export const BUILD_MARKER = '.parley-build.json';

export interface WebBuild {
  /** The repository: `sources` are relative to it, and the build runs in it. */
  root: string;
  /** Where the build is written; it is there when it holds index.html and a marker that matches the sources. */
  distDir: string;
  /** The files and directories (each file under one, at any depth) the build is made from; one that is absent counts as absent. */
  sources: readonly string[];
  /** The build: a program and its arguments, run in `root` with its output shown. */
  command: readonly [string, ...string[]];
  /** How the build is named to a person (in messages). */
  label: string;
}

const repositoryRoot = resolve(import.meta.dirname, '..');
const BUILD_ARGS = ['run', 'build', '-w', 'web'];

/** The repository's web client, built by its workspace's `vite build`. */
export const WEB_BUILD: WebBuild = {
  root: repositoryRoot,
  distDir: join(repositoryRoot, 'web', 'dist'),
  // tsconfig.json too: Vite's transform takes its JSX settings from it.
  sources: [
    'web/src',
    'web/index.html',
    'web/vite.config.ts',
    'web/package.json',
    'web/tsconfig.json',
    'web/public',
    'libs/client/src/generated',
  ],
  command: npm(BUILD_ARGS),
  label: `npm ${BUILD_ARGS.join(' ')}`,
};

/** Under npm start, the npm that runs it (npm_execpath, with this Node); otherwise the one on PATH. */
function npm(args: string[]): [string, ...string[]] {
  const npmCli = process.env.npm_execpath;
  return npmCli && basename(npmCli).startsWith('npm-cli') ? [process.execPath, npmCli, ...args] : ['npm', ...args];
}

/** SHA-256 over every source file's path, length and content, in a fixed order; absent sources count too. */
export function sourcesHash(root: string, sources: readonly string[]): string {
  const hash = createHash('sha256');
  for (const source of sources) {
    const files = filesUnder(join(root, source));
    if (files.length === 0) hash.update(`${source}\0absent\0`);
    for (const file of files) {
      const content = readFileSync(file);
      hash.update(`${relative(root, file).split(sep).join('/')}\0${content.length}\0`);
      hash.update(content);
    }
  }
  return hash.digest('hex');
}

function filesUnder(path: string): string[] {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return [];
  }
  if (stat.isFile()) return [path];
  if (!stat.isDirectory()) return [];
  return readdirSync(path, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((file) => !relative(path, file).split(sep).includes('node_modules'))
    .sort();
}

export type WebBuildState = { fresh: true; hash: string } | { fresh: false; hash: string; reason: string };

/** Whether `build.distDir` holds a build of the sources as they are now, and if not, why not. */
export function webBuildState(build: WebBuild): WebBuildState {
  const hash = sourcesHash(build.root, build.sources);
  const dist = relative(build.root, build.distDir) || build.distDir;
  if (!existsSync(join(build.distDir, 'index.html'))) return { fresh: false, hash, reason: `${dist} has no index.html` };
  let built: unknown;
  try {
    built = JSON.parse(readFileSync(join(build.distDir, BUILD_MARKER), 'utf8'));
  } catch {
    return { fresh: false, hash, reason: `${dist} has no ${BUILD_MARKER} saying what it was built from` };
  }
  if ((built as { sourcesHash?: unknown } | null)?.sourcesHash !== hash) {
    return { fresh: false, hash, reason: 'the web sources changed since it was built' };
  }
  return { fresh: true, hash };
}

export interface EnsureOptions {
  /** PARLEY_SKIP_WEB_BUILD=1 skips the build; a PARLEY_WEB_DIR other than `distDir` is served as it is. */
  env?: Record<string, string | undefined>;
  log?: (line: string) => void;
}

/**
 * Builds the web client when its build is missing or stale, then writes the marker; rejects with what to do when
 * the build fails. What it did: 'built', 'fresh' (nothing to do) or 'skipped'.
 */
export async function ensureWebBuild(
  build: WebBuild = WEB_BUILD,
  { env = process.env, log = (line) => console.log(line) }: EnsureOptions = {},
): Promise<'built' | 'fresh' | 'skipped'> {
  if (env.PARLEY_SKIP_WEB_BUILD === '1') {
    log('PARLEY_SKIP_WEB_BUILD=1: the web client is not built; the gateway serves what the build directory holds.');
    return 'skipped';
  }
  if (env.PARLEY_WEB_DIR && resolve(env.PARLEY_WEB_DIR) !== resolve(build.distDir)) {
    log(`PARLEY_WEB_DIR=${env.PARLEY_WEB_DIR}: the gateway serves that directory as it is; the web client is not built.`);
    return 'skipped';
  }
  const state = webBuildState(build);
  if (state.fresh) return 'fresh';
  log(`Building the web client (${state.reason}): ${build.label}`);
  await run(build);
  if (!existsSync(join(build.distDir, 'index.html'))) {
    throw new Error(`The web client's build (${build.label}) succeeded but wrote no index.html into ${build.distDir}.`);
  }
  // The hash of the sources as they were before the build: one changed meanwhile is built again next time.
  writeFileSync(
    join(build.distDir, BUILD_MARKER),
    `${JSON.stringify({ sourcesHash: state.hash, builtAt: new Date().toISOString(), by: build.label }, null, 2)}\n`,
  );
  return 'built';
}

function run(build: WebBuild): Promise<void> {
  const [program, ...args] = build.command;
  return new Promise((resolvePromise, reject) => {
    // A production build whatever the caller runs under (vitest sets NODE_ENV=test, which would make Vite bundle React's development build).
    const child = spawn(program, args, { cwd: build.root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } });
    child.once('error', (error) =>
      reject(new Error(`The web client's build could not run (${build.label}): ${error.message}.${SKIP_HINT}`, { cause: error })),
    );
    child.once('exit', (code, signal) => {
      if (code === 0) return resolvePromise();
      reject(new Error(`The web client's build failed: ${build.label} exited with ${signal ?? `code ${code}`}.${SKIP_HINT}`));
    });
  });
}

const SKIP_HINT =
  ' Fix what it printed above, or start without building it: PARLEY_SKIP_WEB_BUILD=1 (the gateway then serves the build that is there, or answers / with 503).';

/** For the start scripts: builds when needed, or ends the process with the reason (the gateway never starts). */
export async function buildWebClientBeforeStart(): Promise<void> {
  try {
    await ensureWebBuild();
  } catch (error) {
    console.error(`\n  ${(error as Error).message}\n`);
    process.exit(1);
  }
}
