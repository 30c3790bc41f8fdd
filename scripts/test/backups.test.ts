import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { chatSubgraph } from '@parley/chat';
import { modelsSubgraph } from '@parley/models';
import { ConfigError, loadConfig } from '@parley/runtime';
import { translationSubgraph } from '@parley/translation';
import { usersSubgraph } from '@parley/users';
import { afterAll, describe, expect, it } from 'vitest';
import { maskUrl } from '../backups/backup-error';
import {
  backupName,
  backupsAmong,
  checksumLine,
  expiredBackups,
  parseBackupName,
  parseChecksumFile,
  timestampOf,
} from '../backups/backup-names';
import { backupSettingsSchema, restoreSettingsSchema } from '../backups/backup-settings';
import { PARLEY_SCHEMAS } from '../backups/postgres-tools';
import { HEADER_LENGTH, TAG_LENGTH, decryptFile, encryptStream, isEncryptedFile, keyId, parseEncryptionKey } from '../backups/encryption';
import { EMPTY_SHA256, awsEncode, parseS3Url, signRequest } from '../backups/s3';
import { verifySignature } from './fake-s3';

/** The examples of the S3 API reference, "Signature Calculations for the Authorization Header: Transferring Payload in a Single Chunk". */
const AWS_EXAMPLES = {
  credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
  region: 'us-east-1',
  now: new Date('2013-05-24T00:00:00Z'),
  requests: <
    {
      what: string;
      method: string;
      url: string;
      headers: Record<string, string>;
      payloadHash: string;
      signedHeaders: string;
      signature: string;
    }[]
  >[
    {
      what: 'GET Object (the first 10 bytes)',
      method: 'GET',
      url: 'https://examplebucket.s3.amazonaws.com/test.txt',
      headers: { range: 'bytes=0-9' },
      payloadHash: EMPTY_SHA256,
      signedHeaders: 'host;range;x-amz-content-sha256;x-amz-date',
      signature: 'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    },
    {
      what: 'PUT Object (test$file.text)',
      method: 'PUT',
      url: 'https://examplebucket.s3.amazonaws.com/test%24file.text',
      headers: { date: 'Fri, 24 May 2013 00:00:00 GMT', 'x-amz-storage-class': 'REDUCED_REDUNDANCY' },
      payloadHash: createHash('sha256').update('Welcome to Amazon S3.').digest('hex'),
      signedHeaders: 'date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class',
      signature: '98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd',
    },
    {
      what: 'GET Bucket Lifecycle',
      method: 'GET',
      url: 'https://examplebucket.s3.amazonaws.com/?lifecycle',
      headers: {},
      payloadHash: EMPTY_SHA256,
      signedHeaders: 'host;x-amz-content-sha256;x-amz-date',
      signature: 'fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543',
    },
    {
      what: 'GET Bucket (List Objects)',
      method: 'GET',
      url: 'https://examplebucket.s3.amazonaws.com/?max-keys=2&prefix=J',
      headers: {},
      payloadHash: EMPTY_SHA256,
      signedHeaders: 'host;x-amz-content-sha256;x-amz-date',
      signature: '34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7',
    },
  ],
};

describe('Signature Version 4', () => {
  it.each(AWS_EXAMPLES.requests)('signs the S3 reference example $what as the reference does', (example) => {
    expect(example.payloadHash).toHaveLength(64);
    const signed = signRequest({ ...example, credentials: AWS_EXAMPLES.credentials, region: AWS_EXAMPLES.region, now: AWS_EXAMPLES.now });
    expect(signed.signature).toBe(example.signature);
    expect(signed.headers['authorization']).toBe(
      `AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=${example.signedHeaders},Signature=${example.signature}`,
    );
    expect(signed.headers['x-amz-date']).toBe('20130524T000000Z');
    expect(signed.headers['x-amz-content-sha256']).toBe(example.payloadHash);
  });

  it.each(AWS_EXAMPLES.requests)("has the fake S3's own verifier accept the reference example $what, and refuse it altered", (example) => {
    const url = new URL(example.url);
    const headers = {
      ...example.headers,
      host: url.host,
      'x-amz-date': '20130524T000000Z',
      'x-amz-content-sha256': example.payloadHash,
      authorization: `AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=${example.signedHeaders},Signature=${example.signature}`,
    };
    const rawUrl = url.pathname + url.search;
    const secretAccessKey = AWS_EXAMPLES.credentials.secretAccessKey;
    expect(verifySignature({ method: example.method, rawUrl, headers, secretAccessKey })).toMatchObject({
      ok: true,
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
    });
    expect(verifySignature({ method: example.method, rawUrl, headers, secretAccessKey: `${secretAccessKey}x` })).toEqual({
      ok: false,
      reason: 'SignatureDoesNotMatch',
    });
    expect(verifySignature({ method: 'DELETE', rawUrl, headers, secretAccessKey })).toEqual({ ok: false, reason: 'SignatureDoesNotMatch' });
    expect(verifySignature({ method: example.method, rawUrl: `${url.pathname}x${url.search}`, headers, secretAccessKey })).toEqual({
      ok: false,
      reason: 'SignatureDoesNotMatch',
    });
  });

  it('encodes as SigV4 wants: every byte but the unreserved characters', () => {
    expect(awsEncode("a b+c/d!'()*~._-é")).toBe('a%20b%2Bc%2Fd%21%27%28%29%2A~._-%C3%A9');
  });
});

describe('S3 URLs', () => {
  it('takes the endpoint, bucket and prefix of a path-style URL', () => {
    expect(parseS3Url('https://s3.example.com/bucket/parley/prod/')).toEqual({
      endpoint: 'https://s3.example.com',
      bucket: 'bucket',
      prefix: 'parley/prod',
    });
    expect(parseS3Url('http://minio:9000/backups')).toEqual({ endpoint: 'http://minio:9000', bucket: 'backups', prefix: '' });
  });

  it('refuses what is not one, saying why', () => {
    expect(parseS3Url('s3://bucket/prefix')).toMatch(/https:\/\//);
    expect(parseS3Url('https://s3.example.com/')).toMatch(/bucket/);
    expect(parseS3Url('https://key:secret@s3.example.com/b')).toMatch(/BACKUP_S3_ACCESS_KEY_ID/);
  });

  it('prints URLs without their credentials', () => {
    expect(maskUrl('postgres://parley:hunter2@db:5432/parley')).toBe('postgres://***:***@db:5432/parley');
  });
});

describe('backup names and retention', () => {
  const at = (iso: string) => new Date(iso);
  const names = (list: { name: string }[]) => list.map((b) => b.name);

  it('names a backup by its UTC time, to the second, and reads the name back', () => {
    const takenAt = at('2026-01-15T03:04:05.678Z');
    expect(backupName(takenAt, false)).toBe('parley-20260115T030405Z.dump');
    expect(backupName(takenAt, true)).toBe('parley-20260115T030405Z.dump.enc');
    expect(parseBackupName('parley-20260115T030405Z.dump.enc')).toEqual({
      name: 'parley-20260115T030405Z.dump.enc',
      takenAt: at('2026-01-15T03:04:05Z'),
      encrypted: true,
    });
    for (const other of [
      'parley-20260115T030405Z.dump.sha256',
      '.parley-20260115T030405Z.dump.partial-ab12',
      'parley-20261399T000000Z.dump',
      'notes.txt',
      'parley-latest.dump',
    ]) {
      expect(parseBackupName(other), other).toBeNull();
    }
    expect(timestampOf(at('2026-12-31T23:59:59Z'))).toBe('20261231T235959Z');
  });

  const backups = backupsAmong([
    'parley-20260101T000000Z.dump',
    'parley-20260110T000000Z.dump.enc',
    'parley-20260105T000000Z.dump',
    'parley-20260105T000000Z.dump.sha256',
    'parley-20260114T000000Z.dump',
    'README',
  ]);
  const now = at('2026-01-15T00:00:00Z');

  it('lists backups newest first, ignoring anything else', () => {
    expect(names(backups)).toEqual([
      'parley-20260114T000000Z.dump',
      'parley-20260110T000000Z.dump.enc',
      'parley-20260105T000000Z.dump',
      'parley-20260101T000000Z.dump',
    ]);
  });

  it('keeps the last N', () => {
    expect(names(expiredBackups(backups, { keepLast: 2 }, now))).toEqual(['parley-20260105T000000Z.dump', 'parley-20260101T000000Z.dump']);
  });

  it('deletes what is older than the retention days', () => {
    expect(names(expiredBackups(backups, { retentionDays: 7 }, now))).toEqual([
      'parley-20260105T000000Z.dump',
      'parley-20260101T000000Z.dump',
    ]);
    expect(names(expiredBackups(backups, { retentionDays: 12 }, now))).toEqual(['parley-20260101T000000Z.dump']);
  });

  it('with both, keeps the last N however old they are', () => {
    expect(names(expiredBackups(backups, { retentionDays: 1, keepLast: 3 }, now))).toEqual(['parley-20260101T000000Z.dump']);
    expect(names(expiredBackups(backups, { retentionDays: 365, keepLast: 1 }, now))).toEqual([]);
  });

  it('deletes nothing without a policy, and never the backup just taken', () => {
    expect(expiredBackups(backups, {}, now)).toEqual([]);
    expect(names(expiredBackups(backups, { retentionDays: 1 }, at('2027-01-01T00:00:00Z'), 'parley-20260114T000000Z.dump'))).not.toContain(
      'parley-20260114T000000Z.dump',
    );
  });

  it('writes and reads checksum files as sha256sum does', () => {
    const sha = 'ab'.repeat(32);
    expect(checksumLine(sha, 'parley-20260114T000000Z.dump')).toBe(`${sha}  parley-20260114T000000Z.dump\n`);
    expect(parseChecksumFile(checksumLine(sha, 'parley-20260114T000000Z.dump'), 'parley-20260114T000000Z.dump')).toBe(sha);
    expect(parseChecksumFile(checksumLine(sha, 'other.dump'), 'parley-20260114T000000Z.dump')).toBeNull();
  });
});

describe('backup encryption', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-backup-unit-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const key = randomBytes(32);
  const plaintext = randomBytes(3 * 1024 * 1024 + 17);

  async function encrypted(name: string, withKey = key): Promise<string> {
    const path = join(dir, name);
    await pipeline(encryptStream(Readable.from([plaintext.subarray(0, 1000), plaintext.subarray(1000)]), withKey), createWriteStream(path));
    return path;
  }
  async function decrypt(path: string, withKey = key): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of decryptFile(path, withKey)) chunks.push(chunk);
    return Buffer.concat(chunks);
  }
  const altered = (path: string, at: number) => {
    const bytes = readFileSync(path);
    bytes[at] = bytes[at]! ^ 0x01;
    const out = `${path}.altered-${at}`;
    writeFileSync(out, bytes);
    return out;
  };

  it('round-trips, with a versioned header, a random IV and the GCM tag at the end', async () => {
    const path = await encrypted('a.enc');
    const bytes = readFileSync(path);
    expect(bytes.length).toBe(HEADER_LENGTH + plaintext.length + TAG_LENGTH);
    expect(bytes.subarray(0, 9)).toEqual(Buffer.from('PARLEYBK\x01', 'latin1'));
    expect(bytes.subarray(9, 17).toString('hex')).toBe(keyId(key));
    expect(bytes.includes(plaintext.subarray(0, 64))).toBe(false);
    expect(await isEncryptedFile(path)).toBe(true);
    expect((await decrypt(path)).equals(plaintext)).toBe(true);
    // The same archive encrypted twice differs (a fresh IV each time).
    expect(
      readFileSync(await encrypted('b.enc'))
        .subarray(17, 29)
        .equals(bytes.subarray(17, 29)),
    ).toBe(false);
  });

  it('refuses a backup altered anywhere: its ciphertext, its tag or its header', async () => {
    const path = await encrypted('c.enc');
    const size = readFileSync(path).length;
    for (const at of [HEADER_LENGTH + 5, size - 1, HEADER_LENGTH - 1]) {
      await expect(decrypt(altered(path, at)), `byte ${at}`).rejects.toThrow(/does not authenticate: the encrypted backup was altered/);
    }
    await expect(decrypt(altered(path, 8))).rejects.toThrow(/format 0; this restore reads format 1/);
  });

  it('tells a wrong key from a damaged file', async () => {
    const path = await encrypted('d.enc');
    const other = randomBytes(32);
    await expect(decrypt(path, other)).rejects.toThrow(
      `encrypted with another key (key id ${keyId(key)}; BACKUP_ENCRYPTION_KEY has key id ${keyId(other)})`,
    );
  });

  it('refuses a plain file and a truncated one', async () => {
    writeFileSync(join(dir, 'plain'), `PGDMP not encrypted at all${' just some bytes'.repeat(10)}`);
    expect(await isEncryptedFile(join(dir, 'plain'))).toBe(false);
    await expect(decrypt(join(dir, 'plain'))).rejects.toThrow(/not an encrypted Parley backup/);
    writeFileSync(join(dir, 'short'), 'PARLEYBK');
    await expect(decrypt(join(dir, 'short'))).rejects.toThrow(/too short/);
  });

  it('reads keys as 32 bytes of base64', () => {
    expect(parseEncryptionKey(key.toString('base64'))).toEqual(key);
    expect(parseEncryptionKey(randomBytes(16).toString('base64'))).toMatch(/decodes to 16 bytes/);
    expect(parseEncryptionKey('not base64!')).toMatch(/32 random bytes in base64/);
  });
});

describe("Parley's schemas", () => {
  it("are every subgraph's schema, as npm run migrate creates them", () => {
    expect([...PARLEY_SCHEMAS].sort()).toEqual(
      [usersSubgraph, chatSubgraph, modelsSubgraph, translationSubgraph].map((s) => s.schemaName).sort(),
    );
  });
});

describe('backup settings', () => {
  const problems = (schema: typeof backupSettingsSchema | typeof restoreSettingsSchema, env: Record<string, string>) => {
    try {
      loadConfig(schema, env);
      return [];
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      return error.problems;
    }
  };
  const database = 'postgres://parley:hunter2@db:5432/parley';

  it('needs a database and somewhere to put backups', () => {
    expect(problems(backupSettingsSchema, {})).toEqual([
      expect.stringMatching(/^DATABASE_URL: must be a postgres:\/\/ URL .*it is not set/),
    ]);
    expect(problems(backupSettingsSchema, { DATABASE_URL: database, BACKUP_DIR: '' })).toEqual([
      expect.stringMatching(/^BACKUP_DIR: set BACKUP_DIR .* or BACKUP_S3_URL/),
    ]);
  });

  it('needs the S3 credentials with an S3 URL, and a real key', () => {
    const found = problems(backupSettingsSchema, {
      DATABASE_URL: database,
      BACKUP_S3_URL: 'https://s3.example.com/bucket',
      BACKUP_ENCRYPTION_KEY: 'c2hvcnQ=',
      BACKUP_KEEP_LAST: '0',
      BACKUP_RETENTION_DAYS: 'a week',
    });
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^BACKUP_KEEP_LAST: must be at least 1/),
        expect.stringMatching(/^BACKUP_RETENTION_DAYS: must be a whole number of days/),
      ]),
    );
    const refined = problems(backupSettingsSchema, {
      DATABASE_URL: database,
      BACKUP_S3_URL: 'https://s3.example.com/bucket',
      BACKUP_ENCRYPTION_KEY: 'c2hvcnQ=',
    });
    expect(refined).toEqual([
      expect.stringMatching(/^BACKUP_S3_ACCESS_KEY_ID: must be set when BACKUP_S3_URL is/),
      expect.stringMatching(/^BACKUP_S3_SECRET_ACCESS_KEY: must be set when BACKUP_S3_URL is/),
      expect.stringMatching(/^BACKUP_ENCRYPTION_KEY: .*decodes to 5 bytes \(got "<redacted>"\)/),
    ]);
  });

  it('never repeats a secret or a password in its messages', () => {
    const found = problems(backupSettingsSchema, { DATABASE_URL: 'mysql://parley:hunter2@db/parley', BACKUP_DIR: '/backups' }).join('\n');
    expect(found).toMatch(/DATABASE_URL/);
    expect(found).not.toContain('hunter2');
  });

  it('lets restore --verify run without a database', () => {
    expect(problems(restoreSettingsSchema, {})).toEqual([]);
  });
});
