import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BUILD_MARKER, ensureWebBuild, sourcesHash, WEB_BUILD, type WebBuild } from '../web-build';

/**
 * A repository of its own in a scratch folder: web sources, a generated client, and a "build" (a Node script) that
 * writes dist/index.html and counts its runs, or fails as told. Nothing here reads or builds the real web/.
 */
function scratchRepository() {
  const root = mkdtempSync(join(tmpdir(), 'parley-web-build-'));
  const write = (path: string, content: string) => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  };
  write('web/src/main.tsx', 'export const app = 1;\n');
  write('web/src/chat/thread.tsx', 'export const thread = 1;\n');
  write('web/index.html', '<!doctype html><script type="module" src="/src/main.tsx"></script>\n');
  write('web/vite.config.ts', 'export default {};\n');
  write('web/package.json', '{"name":"@parley/web"}\n');
  write('libs/client/src/generated/operations.ts', 'export const operations = {};\n');
  write(
    'build.mjs',
    `import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
appendFileSync('runs.log', 'run\\n');
const outcome = process.env.SCRATCH_BUILD ?? 'ok';
if (outcome === 'fail') { console.error('error during build: src/main.tsx is broken'); process.exit(3); }
mkdirSync('web/dist/assets', { recursive: true });
if (outcome !== 'no-index') writeFileSync('web/dist/index.html', '<!doctype html>');
writeFileSync('web/dist/assets/index-1234abcd.js', 'console.log(1)');
`,
  );
  const build: WebBuild = {
    root,
    distDir: join(root, 'web', 'dist'),
    sources: WEB_BUILD.sources,
    command: [process.execPath, join(root, 'build.mjs')],
    label: 'the scratch build',
  };
  return {
    root,
    build,
    write,
    runs: () => {
      try {
        return readFileSync(join(root, 'runs.log'), 'utf8').split('\n').filter(Boolean).length;
      } catch {
        return 0;
      }
    },
  };
}

describe('the web build before npm start', () => {
  let repo: ReturnType<typeof scratchRepository>;
  let logged: string[];
  const ensure = (env: Record<string, string | undefined> = {}) => ensureWebBuild(repo.build, { env, log: (line) => logged.push(line) });

  beforeEach(() => {
    repo = scratchRepository();
    logged = [];
  });
  afterEach(() => {
    delete process.env.SCRATCH_BUILD;
    rmSync(repo.root, { recursive: true, force: true });
  });

  it('builds when there is no build, and writes what it was built from', async () => {
    expect(await ensure()).toBe('built');
    expect(repo.runs()).toBe(1);
    expect(logged).toEqual(['Building the web client (web/dist has no index.html): the scratch build']);
    const marker = JSON.parse(readFileSync(join(repo.build.distDir, BUILD_MARKER), 'utf8')) as Record<string, unknown>;
    expect(marker['sourcesHash']).toBe(sourcesHash(repo.root, repo.build.sources));
  });

  it('does not build again while the sources are unchanged', async () => {
    await ensure();
    expect(await ensure()).toBe('fresh');
    expect(await ensure()).toBe('fresh');
    expect(repo.runs()).toBe(1);
  });

  it('builds again when a source changes, is added or is removed, wherever it is', async () => {
    await ensure();
    const changes = [
      () => repo.write('web/src/chat/thread.tsx', 'export const thread = 2;\n'),
      () => repo.write('web/src/chat/composer.tsx', 'export const composer = 1;\n'),
      () => unlinkSync(join(repo.root, 'web/src/chat/composer.tsx')),
      () => repo.write('web/index.html', '<!doctype html><title>Parley</title>\n'),
      () => repo.write('web/vite.config.ts', 'export default { base: "/" };\n'),
      () => repo.write('web/package.json', '{"name":"@parley/web","version":"0.2.0"}\n'),
      () => repo.write('web/public/favicon.svg', '<svg/>'),
      () => repo.write('libs/client/src/generated/operations.ts', 'export const operations = { a: 1 };\n'),
    ];
    for (const [index, change] of changes.entries()) {
      change();
      expect(await ensure(), `change ${index}`).toBe('built');
      expect(await ensure(), `change ${index}`).toBe('fresh');
    }
    expect(repo.runs()).toBe(1 + changes.length);
    expect(logged.at(-1)).toBe('Building the web client (the web sources changed since it was built): the scratch build');
  });

  it('builds again when the build lost its index.html or was made without the marker (by hand)', async () => {
    await ensure();
    unlinkSync(join(repo.build.distDir, 'index.html'));
    expect(await ensure()).toBe('built');
    unlinkSync(join(repo.build.distDir, BUILD_MARKER));
    expect(await ensure()).toBe('built');
    expect(repo.runs()).toBe(3);
  });

  it('ignores what is not a source: the build itself, and node_modules', async () => {
    await ensure();
    repo.write('web/dist/assets/extra.js', '1');
    repo.write('web/src/node_modules/x/index.js', '1');
    repo.write('web/README.md', 'notes');
    expect(await ensure()).toBe('fresh');
  });

  it('fails with what happened and what to do when the build fails, and tries again next time', async () => {
    process.env.SCRATCH_BUILD = 'fail';
    await expect(ensure()).rejects.toThrow(
      /^The web client's build failed: the scratch build exited with code 3\. Fix what it printed above, or start without building it: PARLEY_SKIP_WEB_BUILD=1/,
    );
    expect(() => readFileSync(join(repo.build.distDir, BUILD_MARKER))).toThrow();
    process.env.SCRATCH_BUILD = 'ok';
    expect(await ensure()).toBe('built');
    expect(repo.runs()).toBe(2);
  });

  it('fails when the build succeeds but writes no index.html, and when the command cannot run', async () => {
    process.env.SCRATCH_BUILD = 'no-index';
    await expect(ensure()).rejects.toThrow(/succeeded but wrote no index\.html/);
    repo.build.command = [join(repo.root, 'no-such-program')];
    await expect(ensure()).rejects.toThrow(/^The web client's build could not run \(the scratch build\): spawn .*ENOENT/);
  });

  it('builds nothing with PARLEY_SKIP_WEB_BUILD=1, nor for a PARLEY_WEB_DIR elsewhere', async () => {
    expect(await ensure({ PARLEY_SKIP_WEB_BUILD: '1' })).toBe('skipped');
    expect(await ensure({ PARLEY_WEB_DIR: join(repo.root, 'elsewhere') })).toBe('skipped');
    expect(repo.runs()).toBe(0);
    expect(await ensure({ PARLEY_WEB_DIR: repo.build.distDir })).toBe('built');
  });

  it("hashes the repository's real sources in a few milliseconds", () => {
    sourcesHash(WEB_BUILD.root, WEB_BUILD.sources);
    const startedAt = performance.now();
    sourcesHash(WEB_BUILD.root, WEB_BUILD.sources);
    // Generous for a busy machine: what matters is that it is not seconds.
    expect(performance.now() - startedAt).toBeLessThan(250);
  });
});
