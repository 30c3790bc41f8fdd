import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureLogs, rawGraphQLPost, startEmbeddedProcess, type ServiceProcess } from '@parley/testing';
import { registerUser, sendAndWaitForReply } from '@parley/testing/parley-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPlatform } from '../src/embedded-platform';

/** Every entry under `dir` (itself included) with its permission bits in octal, symbolic links left out. */
function modesUnder(dir: string): { path: string; kind: 'dir' | 'file'; mode: string }[] {
  const info = lstatSync(dir);
  if (info.isSymbolicLink()) return [];
  const here = { path: dir, kind: info.isDirectory() ? ('dir' as const) : ('file' as const), mode: (info.mode & 0o777).toString(8) };
  if (!info.isDirectory()) return [here];
  return [here, ...readdirSync(dir).flatMap((name) => modesUnder(join(dir, name)))];
}

/** A data directory as an older Parley, a copy or a restore under umask 022 leaves it: readable by everyone. */
function looseDataDirectory(): string {
  const dir = mkdtempSync(join(tmpdir(), 'parley-loose-'));
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, 'secrets'), { mode: 0o755 });
  chmodSync(join(dir, 'secrets'), 0o755);
  writeFileSync(join(dir, 'secrets', 'internal-service-token'), `${randomBytes(32).toString('base64')}\n`, { mode: 0o644 });
  chmodSync(join(dir, 'secrets', 'internal-service-token'), 0o644);
  return dir;
}

const introspection = '{ __schema { types { name } } }';
const typo = '{ modls { id } }';

describe('npm start with NODE_ENV=production, on a data directory others could read', () => {
  let parley: { url: string; dataDir: string; process: ServiceProcess };

  beforeAll(async () => {
    parley = await startEmbeddedProcess({ NODE_ENV: 'production', PARLEY_DATA_DIR: looseDataDirectory(), PARLEY_SKIP_WEB_BUILD: '1' });
  });
  afterAll(async () => {
    await parley?.process.stop('SIGKILL');
  });

  it('makes the data directory private, says what it fixed, and keeps what it writes afterwards private', async () => {
    expect(parley.process.output()).toContain('the data directory was readable by other users: made 2 directories 0700 and 1 files 0600');
    const alice = await registerUser(parley.url, 'alice@example.com');
    const sent = await sendAndWaitForReply(parley.url, alice.token, { content: 'Private to this machine', model: 'dev/echo' });
    expect(sent.reply.status).toBe('COMPLETED');
    const entries = modesUnder(parley.dataDir);
    // PGlite's cluster (a thousand files), its write-ahead log and the secrets: none readable by anyone else.
    expect(entries.length).toBeGreaterThan(100);
    expect(entries.filter((e) => e.mode !== (e.kind === 'dir' ? '700' : '600'))).toEqual([]);
  });

  it('turns introspection and "Did you mean" suggestions off, as services mode does', async () => {
    const refused = await rawGraphQLPost(parley.url, { query: introspection });
    expect(refused.status).toBe(400);
    expect(refused.body.errors?.[0]?.message).toMatch(/introspection/i);
    const mistyped = await rawGraphQLPost(parley.url, { query: typo });
    expect(mistyped.body.errors?.[0]?.message).toMatch(/modls/);
    expect(mistyped.body.errors?.[0]?.message).not.toMatch(/Did you mean/);
  });
});

describe('npm start without NODE_ENV', () => {
  let parley: { url: string; dataDir: string; process: ServiceProcess };

  beforeAll(async () => {
    parley = await startEmbeddedProcess({ PARLEY_SKIP_WEB_BUILD: '1' });
  });
  afterAll(async () => {
    await parley?.process.stop('SIGKILL');
  });

  it('keeps introspection and suggestions on (the development default), in a data directory private from the start', async () => {
    const answered = await rawGraphQLPost(parley.url, { query: introspection });
    expect(answered.body.errors).toBeUndefined();
    expect(answered.body.data.__schema.types.length).toBeGreaterThan(20);
    const mistyped = await rawGraphQLPost(parley.url, { query: typo });
    expect(mistyped.body.errors?.[0]?.message).toMatch(/Did you mean "models"/);
    expect(parley.process.output()).not.toContain('the data directory was readable by other users');
    expect(modesUnder(parley.dataDir).filter((e) => e.mode !== (e.kind === 'dir' ? '700' : '600'))).toEqual([]);
  });
});

describe("the embedded platform on another user's data directory", () => {
  it('refuses to start, naming the directory and what to do', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-foreign-'));
    // Root hands it to nobody; any other user meets a directory root owns (refused before anything is changed).
    const foreign = process.getuid!() === 0 ? (chownSync(dir, 65534, 65534), dir) : '/';
    const logs = captureLogs('silent');
    await expect(startEmbeddedPlatform({ logger: logs.logger, dataDir: foreign, port: 0 })).rejects.toThrow(
      new RegExp(`^The data directory ${foreign} is not this user's: .*belongs to uid \\d+.*set PARLEY_DATA_DIR to another directory`),
    );
    expect(lstatSync(foreign).uid).not.toBe(process.getuid!());
  });
});
