import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ConversationDocument, ConversationsWithOwnersDocument, LoginDocument, MeDocument } from '@parley/client';
import { realServices, startPlatformUnderTest, type PlatformUnderTest } from '@parley/platform/testing';
import { createTestDatabase, postGraphQL, type TestDatabase } from '@parley/testing';
import { echoReply, registerUser, sendAndWaitForReply } from '@parley/testing/parley-client';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeS3, type FakeS3 } from './fake-s3';

/**
 * Backups that restore: Parley in services mode on PostgreSQL, people and their
 * conversations made through the gateway, `npm run backup` run as an operator
 * runs it, the platform stopped, `npm run restore` into a fresh database, and
 * Parley started again on that database serving the same people, conversations
 * and messages, byte for byte. Then what must be refused is refused: a tampered
 * or wrongly keyed backup, a database that is not empty, a store that says no.
 */

const root = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);
const real = realServices()!;

/** Runs scripts/<script>.ts as the image does (`node --import tsx`), with only the environment given (and PATH). */
async function script(
  name: 'backup' | 'restore',
  env: Record<string, string>,
  args: string[] = [],
): Promise<{ code: number; output: string }> {
  let result: { code: number; output: string };
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', join(root, `scripts/${name}.ts`), ...args], {
      cwd: root,
      env: { PATH: process.env['PATH']!, HOME: process.env['HOME'] ?? tmpdir(), ...env },
      timeout: 180_000,
    });
    result = { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code: number | string; stdout?: string; stderr?: string };
    result = { code: typeof failed.code === 'number' ? failed.code : -1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
  outputs.push(result.output);
  return result;
}
const outputs: string[] = [];

/** The URL with a password: the server trusts local connections, so it is ignored, but no script may print it. */
const DATABASE_PASSWORD = `db-${randomBytes(6).toString('hex')}`;
const withPassword = (url: string) => {
  const u = new URL(url);
  u.password = DATABASE_PASSWORD;
  return u.toString();
};

async function query<T extends object>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}
const schemasOf = async (url: string) =>
  (
    await query<{ nspname: string }>(
      url,
      `select nspname from pg_namespace where nspname not like 'pg\\_%' and nspname <> 'information_schema' order by 1`,
    )
  ).map((r) => r.nspname);
const countsOf = async (url: string) => {
  const [row] = await query<{ users: string; conversations: string; messages: string }>(
    url,
    'select (select count(*) from users."user") as users, (select count(*) from chat.conversation) as conversations, (select count(*) from chat.message) as messages',
  );
  return { users: Number(row!.users), conversations: Number(row!.conversations), messages: Number(row!.messages) };
};
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

async function tableOfContents(path: string): Promise<string> {
  return (await run('pg_restore', ['--list', path])).stdout;
}

/** People and what they asked, in several scripts and with characters a careless dump or restore would mangle. */
const PEOPLE = [
  {
    email: 'amelie@example.com',
    password: 'amélie’s long passphrase, not a common one',
    conversations: [
      ['Bonjour — où est la bibliothèque ?', 'Et le musée, s’il vous plaît ?'],
      ['Line one\nline two\twith a tab and a trailing space '],
    ],
  },
  {
    email: 'wei@example.com',
    password: '魏的密码足够长而且不常见',
    conversations: [['你好，世界 🌏 数据定期备份', 'Quotes " and \\ backslashes and </script> and NUL-free \u00a0']],
  },
];
const QUESTIONS = PEOPLE.flatMap((p) => p.conversations.flat()).length;

/** Everything a person sees of their own data through the gateway, as the exact JSON it answered. */
async function whatTheySee(url: string, token: string): Promise<string> {
  const me = await postGraphQL(url, MeDocument, { token });
  const list = await postGraphQL(url, ConversationsWithOwnersDocument, { token, variables: { first: 50 } });
  expect(me.body.errors).toBeUndefined();
  expect(list.body.errors).toBeUndefined();
  const threads = [];
  for (const edge of list.body.data!.conversations.edges) {
    const thread = await postGraphQL(url, ConversationDocument, { token, variables: { id: edge.node.id } });
    expect(thread.body.errors).toBeUndefined();
    threads.push(thread.body.data);
  }
  return JSON.stringify({ me: me.body.data, conversations: list.body.data, threads });
}

async function login(url: string, email: string, password: string): Promise<string> {
  const { body } = await postGraphQL(url, LoginDocument, { variables: { email, password } });
  expect(body.errors, `signing in as ${email}: ${JSON.stringify(body.errors)}`).toBeUndefined();
  return body.data!.login.accessToken;
}

// Each test runs the scripts several times, as separate processes.
describe('npm run backup and npm run restore on a real Parley', { timeout: 180_000 }, () => {
  // The signing keys live in users.signing_key, encrypted with this: the restored run must have the same one.
  const usersKeyEncryptionKey = randomBytes(32).toString('base64');
  const backupKey = randomBytes(32).toString('base64');
  const s3 = {
    bucket: 'parley-backups',
    prefix: 'prod/eu',
    accessKeyId: 'AKIAPARLEYTEST',
    secretAccessKey: `s3-${randomBytes(16).toString('hex')}`,
    region: 'eu-west-3',
  };
  const scratch = mkdtempSync(join(tmpdir(), 'parley-backup-restore-'));
  const dirOf = (name: string) => {
    const dir = join(scratch, name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    return dir;
  };
  const databases: TestDatabase[] = [];
  const freshDatabase = async () => {
    const database = await createTestDatabase(real.databaseUrl, 'parley_restore');
    databases.push(database);
    return database.url;
  };
  let platform: PlatformUnderTest | undefined;
  let restoredPlatform: PlatformUnderTest | undefined;
  let fake: FakeS3;
  let sourceUrl: string;
  const seen: Record<string, string> = {};
  const oldTokens: Record<string, string> = {};
  const plainDir = join(scratch, 'plain');
  const encryptedDir = join(scratch, 'encrypted');
  let restoredUrl: string;

  beforeAll(async () => {
    fake = await startFakeS3({ ...s3, pageSize: 2 });
    platform = await startPlatformUnderTest({ settings: { USERS_KEY_ENCRYPTION_KEY: usersKeyEncryptionKey } });
    expect(platform.mode).toBe('services');
    sourceUrl = platform.databaseUrl!;
  }, 240_000);

  afterAll(async () => {
    await platform?.stop();
    await restoredPlatform?.stop();
    await Promise.all(databases.map((d) => d.drop()));
    await fake?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('has people and their conversations, made through the gateway, with the replies complete', async () => {
    const { url } = platform!;
    for (const person of PEOPLE) {
      const { token } = await registerUser(url, person.email, { password: person.password });
      oldTokens[person.email] = token;
      for (const questions of person.conversations) {
        let conversationId: string | undefined;
        for (const content of questions) {
          const sent = await sendAndWaitForReply(url, token, { content, model: 'dev/echo', ...(conversationId ? { conversationId } : {}) });
          expect(sent.reply.status).toBe('COMPLETED');
          expect(sent.reply.content).toBe(echoReply(content));
          conversationId = sent.conversation.id;
        }
      }
      seen[person.email] = await whatTheySee(url, token);
    }
    // Another application's schema in the same database: a Parley backup leaves it out.
    await query(
      sourceUrl,
      'create schema other_app; create table other_app.invoices (id int primary key); insert into other_app.invoices values (1)',
    );
  });

  it("backs up Parley's schemas, and only those, to a directory, with a checksum sha256sum checks", async () => {
    dirOf('plain');
    const { code, output } = await script('backup', { DATABASE_URL: withPassword(sourceUrl), BACKUP_DIR: plainDir });
    expect(code, output).toBe(0);
    const files = readdirSync(plainDir).sort();
    expect(files).toEqual([
      expect.stringMatching(/^parley-\d{8}T\d{6}Z\.dump$/),
      expect.stringMatching(/^parley-\d{8}T\d{6}Z\.dump\.sha256$/),
    ]);
    expect(output).toContain(`backup: wrote ${join(plainDir, files[0]!)}`);
    // A backup holds every e-mail, message and password hash: only the user who took it reads it, whatever its umask.
    for (const file of files) expect((statSync(join(plainDir, file)).mode & 0o777).toString(8), file).toBe('600');
    expect(output).toContain(sha256(join(plainDir, files[0]!)));
    expect((await run('sha256sum', ['-c', files[1]!], { cwd: plainDir })).stdout).toBe(`${files[0]}: OK\n`);

    const toc = await tableOfContents(join(plainDir, files[0]!));
    const schemas = [...toc.matchAll(/ SCHEMA - (\S+) /g)].map((m) => m[1]).sort();
    expect(schemas).toEqual(['chat', 'models', 'translation', 'users']);
    for (const schema of schemas) expect(toc).toContain(` TABLE ${schema} mikro_orm_migrations `);
    expect(toc).toContain(' TABLE users signing_key ');
    expect(toc).not.toContain('other_app');
  });

  it('encrypts a backup so that without the key it is unreadable, and verifies it with the key', async () => {
    dirOf('encrypted');
    const { code, output } = await script('backup', {
      DATABASE_URL: sourceUrl,
      BACKUP_DIR: encryptedDir,
      BACKUP_ENCRYPTION_KEY: backupKey,
    });
    expect(code, output).toBe(0);
    const [file] = readdirSync(encryptedDir).filter((f) => f.endsWith('.dump.enc'));
    expect(file).toMatch(/^parley-\d{8}T\d{6}Z\.dump\.enc$/);
    const bytes = readFileSync(join(encryptedDir, file!));
    expect(bytes.subarray(0, 9).toString('latin1')).toBe('PARLEYBK\x01');
    expect(bytes.includes(Buffer.from('PGDMP'))).toBe(false);
    await expect(tableOfContents(join(encryptedDir, file!))).rejects.toThrow();

    const verified = await script('restore', { BACKUP_ENCRYPTION_KEY: backupKey }, ['--verify', join(encryptedDir, file!)]);
    expect(verified.code, verified.output).toBe(0);
    expect(verified.output).toMatch(/is a sound backup \(taken .*, sha256 ok, decrypted\)/);
    expect(verified.output).toMatch(/users \d+ tables, chat \d+ tables, models \d+ tables, translation \d+ tables/);

    const keyless = await script('restore', {}, ['--verify', join(encryptedDir, file!)]);
    expect(keyless.code).toBe(1);
    expect(keyless.output).toContain('is encrypted: set BACKUP_ENCRYPTION_KEY to the key it was made with');
  });

  it('restores into a fresh database, and Parley started on it serves the same people, conversations and messages, byte for byte', async () => {
    const [file] = readdirSync(plainDir).filter((f) => f.endsWith('.dump'));
    await platform!.stop();
    platform = undefined;

    restoredUrl = await freshDatabase();
    const { code, output } = await script('restore', { DATABASE_URL: withPassword(restoredUrl) }, [join(plainDir, file!)]);
    expect(code, output).toBe(0);
    expect(output).toContain(`restore: restored ${join(plainDir, file!)} (taken `);
    expect(output).toContain(`restore: ${PEOPLE.length} users, 3 conversations, ${QUESTIONS * 2} messages; last migrations: users `);
    expect(await schemasOf(restoredUrl)).toEqual(['chat', 'models', 'public', 'translation', 'users']);

    restoredPlatform = await startPlatformUnderTest({
      databaseUrl: restoredUrl,
      settings: { USERS_KEY_ENCRYPTION_KEY: usersKeyEncryptionKey },
    });
    for (const person of PEOPLE) {
      // The signing keys came back: a token the first run signed is still good.
      const me = await postGraphQL(restoredPlatform.url, MeDocument, { token: oldTokens[person.email]! });
      expect(me.body.data?.me?.email).toBe(person.email);
      const token = await login(restoredPlatform.url, person.email, person.password);
      expect(await whatTheySee(restoredPlatform.url, token)).toBe(seen[person.email]);
    }
    const refused = await postGraphQL(restoredPlatform.url, LoginDocument, {
      variables: { email: PEOPLE[0]!.email, password: PEOPLE[1]!.password },
    });
    expect(refused.body.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
  }, 240_000);

  it('round-trips the encrypted backup to the same rows', async () => {
    const [file] = readdirSync(encryptedDir).filter((f) => f.endsWith('.dump.enc'));
    const target = await freshDatabase();
    const { code, output } = await script('restore', { DATABASE_URL: target, BACKUP_DIR: encryptedDir, BACKUP_ENCRYPTION_KEY: backupKey }, [
      '--latest',
    ]);
    expect(code, output).toBe(0);
    expect(output).toContain(`restore: restored ${join(encryptedDir, file!)} (taken `);
    expect(output).toContain('sha256 ok, decrypted)');
    expect(await countsOf(target)).toEqual({ users: PEOPLE.length, conversations: 3, messages: QUESTIONS * 2 });
    const rows = (url: string) => query(url, 'select * from chat.message order by id');
    expect(JSON.stringify(await rows(target))).toBe(JSON.stringify(await rows(restoredUrl)));
  });

  it('refuses a tampered or wrongly keyed backup, and leaves the database untouched', async () => {
    const [file] = readdirSync(encryptedDir).filter((f) => f.endsWith('.dump.enc'));
    const tamperedDir = dirOf('tampered');
    const bytes = readFileSync(join(encryptedDir, file!));
    bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 0x20;
    writeFileSync(join(tamperedDir, file!), bytes);
    const target = await freshDatabase();

    // Altered, with the checksum beside it left as it was: the checksum catches it.
    writeFileSync(join(tamperedDir, `${file}.sha256`), readFileSync(join(encryptedDir, `${file}.sha256`)));
    const checked = await script('restore', { DATABASE_URL: target, BACKUP_ENCRYPTION_KEY: backupKey }, [join(tamperedDir, file!)]);
    expect(checked.code).toBe(1);
    expect(checked.output).toContain('does not match its checksum');
    expect(checked.output).toContain('the backup is damaged or was altered; nothing was restored');

    // Altered by someone who also rewrote the checksum: the encryption's authentication catches it.
    writeFileSync(join(tamperedDir, `${file}.sha256`), `${createHash('sha256').update(bytes).digest('hex')}  ${file}\n`);
    const authenticated = await script('restore', { DATABASE_URL: target, BACKUP_ENCRYPTION_KEY: backupKey }, [join(tamperedDir, file!)]);
    expect(authenticated.code).toBe(1);
    expect(authenticated.output).toContain('does not authenticate: the encrypted backup was altered or damaged');

    const wrongKey = await script('restore', { DATABASE_URL: target, BACKUP_ENCRYPTION_KEY: randomBytes(32).toString('base64') }, [
      join(encryptedDir, file!),
    ]);
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.output).toMatch(
      /was encrypted with another key \(key id [0-9a-f]{16}; BACKUP_ENCRYPTION_KEY has key id [0-9a-f]{16}\)/,
    );

    const unchecked = dirOf('unchecked');
    writeFileSync(join(unchecked, file!), readFileSync(join(encryptedDir, file!)));
    const noChecksum = await script('restore', { DATABASE_URL: target, BACKUP_ENCRYPTION_KEY: backupKey }, [join(unchecked, file!)]);
    expect(noChecksum.code).toBe(1);
    expect(noChecksum.output).toContain(`has no checksum (looked in ${join(unchecked, file!)}.sha256)`);

    expect(await schemasOf(target)).toEqual(['public']);
  });

  it('restores only into an empty database unless --force, which replaces Parley’s schemas and puts them back if the restore fails', async () => {
    const [file] = readdirSync(plainDir).filter((f) => f.endsWith('.dump'));
    const target = await freshDatabase();
    expect((await script('restore', { DATABASE_URL: target }, [join(plainDir, file!)])).code).toBe(0);
    const contents = (url: string) => query<{ content: string }>(url, 'select content from chat.message order by id');
    const restoredContents = await contents(target);
    // A backup whose restore fails half-way, after the data went in: a constraint calls a function outside Parley's
    // schemas, which the backup leaves out and the database it goes back into no longer has.
    await query(
      target,
      `create function public.always_true() returns boolean language sql immutable as 'select true';
       alter table chat.conversation add constraint needs_always_true check (public.always_true())`,
    );
    const brokenDir = dirOf('broken');
    const broken = await script('backup', { DATABASE_URL: target, BACKUP_DIR: brokenDir });
    expect(broken.code, broken.output).toBe(0);
    await query(target, 'drop function public.always_true() cascade');
    await query(target, `update chat.message set content = 'changed since the backup'`);
    const changed = await contents(target);

    const refused = await script('restore', { DATABASE_URL: target }, [join(plainDir, file!)]);
    expect(refused.code).toBe(1);
    expect(refused.output).toContain("is not empty (it has Parley's schemas chat, models, translation, users)");
    expect(refused.output).toContain('pass --force');
    expect(await contents(target)).toEqual(changed);

    // The restore that fails half-way changes nothing, with --force too: Parley's schemas come back as they were.
    const failed = await script('restore', { DATABASE_URL: target, BACKUP_DIR: brokenDir }, ['--force', '--latest']);
    expect(failed.code, failed.output).toBe(1);
    expect(failed.output).toMatch(/pg_restore exited with code 1:[\s\S]*function public\.always_true\(\) does not exist/);
    expect(failed.output).toContain("nothing was restored (one transaction), and Parley's schemas are back as they were");
    expect(await contents(target)).toEqual(changed);
    expect(await schemasOf(target)).toEqual(['chat', 'models', 'public', 'translation', 'users']);

    const forced = await script('restore', { DATABASE_URL: target }, ['--force', join(plainDir, file!)]);
    expect(forced.code, forced.output).toBe(0);
    expect(await contents(target)).toEqual(restoredContents);
    expect(await schemasOf(target)).toEqual(['chat', 'models', 'public', 'translation', 'users']);
  });

  it('keeps the last N backups in a directory and leaves other files alone', async () => {
    const dir = dirOf('retention');
    const planted = ['parley-20240101T000000Z.dump', 'parley-20250101T000000Z.dump.enc', 'parley-20250601T000000Z.dump'];
    for (const name of planted) {
      writeFileSync(join(dir, name), 'old');
      writeFileSync(join(dir, `${name}.sha256`), `${'0'.repeat(64)}  ${name}\n`);
    }
    writeFileSync(join(dir, 'README.txt'), 'not a backup');
    const { code, output } = await script('backup', { DATABASE_URL: restoredUrl, BACKUP_DIR: dir, BACKUP_KEEP_LAST: '2' });
    expect(code, output).toBe(0);
    const [made] = readdirSync(dir).filter((f) => f.endsWith('.dump') && !planted.includes(f));
    expect(readdirSync(dir).sort()).toEqual(
      ['README.txt', made, `${made}.sha256`, 'parley-20250601T000000Z.dump', 'parley-20250601T000000Z.dump.sha256'].sort(),
    );
    expect(output).toContain('retention (keep the last 2) in');
    expect(output).toContain('deleted parley-20250101T000000Z.dump.enc, parley-20240101T000000Z.dump');

    // Days with a floor: what is older than 30 days goes, but the last 3 always stay.
    const again = await script('backup', {
      DATABASE_URL: restoredUrl,
      BACKUP_DIR: dir,
      BACKUP_RETENTION_DAYS: '30',
      BACKUP_KEEP_LAST: '3',
    });
    expect(again.code, again.output).toBe(0);
    expect(readdirSync(dir).filter((f) => f.endsWith('.dump'))).toHaveLength(3);
  });

  it('uploads to an S3-compatible store with signed requests, lists and deletes under its prefix, and restores the latest from it', async () => {
    const env = {
      DATABASE_URL: withPassword(restoredUrl),
      BACKUP_S3_URL: `${fake.endpoint}/${s3.bucket}/${s3.prefix}`,
      BACKUP_S3_ACCESS_KEY_ID: s3.accessKeyId,
      BACKUP_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      BACKUP_S3_REGION: s3.region,
      BACKUP_ENCRYPTION_KEY: backupKey,
    };
    for (const key of [
      `${s3.prefix}/parley-20240101T000000Z.dump`,
      `${s3.prefix}/parley-20240102T000000Z.dump.enc`,
      `${s3.prefix}/parley-20240103T000000Z.dump`,
    ]) {
      fake.objects.set(key, { body: Buffer.from('old'), metadata: {}, lastModified: new Date('2024-01-01') });
    }
    fake.objects.set(`${s3.prefix}/notes.txt`, { body: Buffer.from('keep me'), metadata: {}, lastModified: new Date() });
    fake.objects.set(`${s3.prefix}/archive/parley-20200101T000000Z.dump`, {
      body: Buffer.from('keep me'),
      metadata: {},
      lastModified: new Date(),
    });
    fake.objects.set('elsewhere/parley-20200101T000000Z.dump', { body: Buffer.from('keep me'), metadata: {}, lastModified: new Date() });
    const temporary = dirOf('tmp');
    fake.requests.length = 0;

    const { code, output } = await script('backup', { ...env, BACKUP_KEEP_LAST: '2', TMPDIR: temporary });
    expect(code, output).toBe(0);
    // Nothing of the backup stays in the temporary directory (tsx keeps its own cache there).
    expect(readdirSync(temporary).filter((f) => f.startsWith('parley-'))).toEqual([]);
    const uploaded = [...fake.objects.keys()].find((k) => /^prod\/eu\/parley-\d{8}T\d{6}Z\.dump\.enc$/.test(k) && !k.includes('2024'))!;
    expect(uploaded).toBeDefined();
    const object = fake.objects.get(uploaded)!;
    expect(object.metadata['sha256']).toBe(createHash('sha256').update(object.body).digest('hex'));
    expect(object.body.subarray(0, 8).toString()).toBe('PARLEYBK');
    expect(output).toContain(`backup: uploaded ${fake.endpoint}/${s3.bucket}/${s3.prefix}/${uploaded.split('/').pop()}`);
    expect([...fake.objects.keys()].sort()).toEqual(
      [
        'elsewhere/parley-20200101T000000Z.dump',
        'prod/eu/archive/parley-20200101T000000Z.dump',
        'prod/eu/notes.txt',
        'prod/eu/parley-20240103T000000Z.dump',
        uploaded,
      ].sort(),
    );
    // PUT, two pages of LIST (four backups; the fake pages by 2), two DELETEs; every one signed and accepted.
    expect(fake.requests.map((r) => r.method)).toEqual(['PUT', 'GET', 'GET', 'DELETE', 'DELETE']);
    expect(fake.requests.filter((r) => r.refused)).toEqual([]);
    for (const request of fake.requests) {
      expect(request.authorization).toMatch(
        new RegExp(
          `^AWS4-HMAC-SHA256 Credential=${s3.accessKeyId}/\\d{8}/${s3.region}/s3/aws4_request,SignedHeaders=[a-z0-9;-]*host;[a-z0-9;-]*,Signature=[0-9a-f]{64}$`,
        ),
      );
    }
    expect(fake.requests[0]!.url).toMatch(/^\/parley-backups\/prod\/eu\/parley-\d{8}T\d{6}Z\.dump\.enc$/);
    expect(fake.requests[1]!.url).toBe('/parley-backups?list-type=2&prefix=prod%2Feu%2Fparley-');

    const target = await freshDatabase();
    const restored = await script('restore', { ...env, DATABASE_URL: target }, ['--latest']);
    expect(restored.code, restored.output).toBe(0);
    expect(restored.output).toContain(`restore: restored ${fake.endpoint}/${s3.bucket}/${uploaded} (taken `);
    expect(await countsOf(target)).toEqual({ users: PEOPLE.length, conversations: 3, messages: QUESTIONS * 2 });

    // A key the store does not accept: a non-zero exit that says what to check, and nothing stored.
    const before = fake.objects.size;
    const refused = await script('backup', { ...env, BACKUP_S3_SECRET_ACCESS_KEY: 'not-the-secret' });
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(
      /Uploading prod\/eu\/parley-.* S3 answered 403 SignatureDoesNotMatch .*check BACKUP_S3_ACCESS_KEY_ID, BACKUP_S3_SECRET_ACCESS_KEY/,
    );
    expect(fake.objects.size).toBe(before);
  });

  it('fails with a message a person can act on, and leaves no half-written backup', async () => {
    const dir = dirOf('failures');
    const noDatabase = await script('backup', { BACKUP_DIR: dir });
    expect(noDatabase.code).toBe(1);
    expect(noDatabase.output).toContain('DATABASE_URL: must be a postgres:// URL of the database to back up (it is not set)');

    const noPgDump = await script('backup', { DATABASE_URL: restoredUrl, BACKUP_DIR: dir, PG_BIN_DIR: join(scratch, 'no-such-dir') });
    expect(noPgDump.code).toBe(1);
    expect(noPgDump.output).toContain('pg_dump was not found: install the PostgreSQL client programs');

    const missing = new URL(restoredUrl);
    missing.pathname = '/parley_no_such_database';
    missing.password = DATABASE_PASSWORD;
    const unreachable = await script('backup', { DATABASE_URL: missing.toString(), BACKUP_DIR: dir });
    expect(unreachable.code).toBe(1);
    expect(unreachable.output).toMatch(/pg_dump exited with code 1:[\s\S]*parley_no_such_database/);

    const notParley = await script('backup', { DATABASE_URL: await freshDatabase(), BACKUP_DIR: dir });
    expect(notParley.code).toBe(1);
    expect(notParley.output).toContain("Parley's database? Run npm run migrate");

    const noMount = await script('backup', { DATABASE_URL: restoredUrl, BACKUP_DIR: join(scratch, 'not-mounted') });
    expect(noMount.code).toBe(1);
    expect(noMount.output).toContain('does not exist: mount the backup volume there');

    expect(readdirSync(dir)).toEqual([]);
  });

  it('printed no secret in any run: not the database password, the S3 secret, nor either encryption key', () => {
    expect(outputs.length).toBeGreaterThan(20);
    const printed = outputs.join('\n');
    for (const secret of [DATABASE_PASSWORD, s3.secretAccessKey, backupKey, usersKeyEncryptionKey]) expect(printed).not.toContain(secret);
  });
});
