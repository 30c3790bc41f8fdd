import { createHash, createHmac } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';
import { BackupError, maskUrl } from './backup-error';

/**
 * The few S3 calls backups need (PUT, GET, LIST, DELETE of objects), signed
 * with AWS Signature Version 4 as the S3 API reference describes it
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html),
 * on path-style URLs (`https://host/bucket/key`), so AWS S3, MinIO, Ceph RGW,
 * Cloudflare R2 and the like all work. No SDK.
 */

export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface S3Location {
  /** scheme://host[:port] */
  endpoint: string;
  bucket: string;
  /** Keys' common prefix, without leading or trailing slashes ('' for the bucket's top). */
  prefix: string;
}

export interface S3Target extends S3Location, S3Credentials {
  region: string;
}

/** https://s3.example.com/bucket/some/prefix → its endpoint, bucket and prefix. */
export function parseS3Url(url: string): S3Location | string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be a URL like https://s3.example.com/bucket/prefix';
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    return 'must be an https:// (or http://) URL like https://s3.example.com/bucket/prefix';
  if (parsed.username || parsed.password) return 'must not carry credentials (set BACKUP_S3_ACCESS_KEY_ID and BACKUP_S3_SECRET_ACCESS_KEY)';
  if (parsed.search || parsed.hash) return 'must not have a query or a fragment';
  const [bucket, ...rest] = parsed.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (!bucket) return 'must name a bucket in its path (path-style: https://s3.example.com/bucket/prefix)';
  return { endpoint: parsed.origin, bucket, prefix: rest.join('/') };
}

/** RFC 3986 encoding as SigV4 wants it: everything but A–Z a–z 0–9 - . _ ~ is percent-encoded. */
export const awsEncode = (value: string) =>
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/** 2013-05-24T00:00:00.000Z → 20130524T000000Z */
export const amzDate = (date: Date) =>
  date
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');

export interface SignInput {
  method: string;
  /** The full URL, its path already percent-encoded as it is sent (an S3 path is not encoded twice). */
  url: string;
  /** Headers to sign besides host, x-amz-date and x-amz-content-sha256 (which are added). */
  headers?: Record<string, string>;
  /** Hex SHA-256 of the body (EMPTY_SHA256 for none). */
  payloadHash: string;
  credentials: S3Credentials;
  region: string;
  service?: string;
  now: Date;
}

export interface SignedRequest {
  /** Every header to send, Authorization among them (lowercase names). */
  headers: Record<string, string>;
  canonicalRequest: string;
  stringToSign: string;
  signature: string;
}

/** Signs a request (Signature Version 4, Authorization header). */
export function signRequest({
  method,
  url,
  headers = {},
  payloadHash,
  credentials,
  region,
  service = 's3',
  now,
}: SignInput): SignedRequest {
  const parsed = new URL(url);
  const date = amzDate(now);
  const all: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) all[name.toLowerCase()] = value;
  all['host'] = parsed.host;
  all['x-amz-date'] = date;
  all['x-amz-content-sha256'] = payloadHash;
  const names = Object.keys(all).sort();
  const canonicalHeaders = names.map((name) => `${name}:${all[name]!.trim().replace(/\s+/g, ' ')}\n`).join('');
  const signedHeaders = names.join(';');
  const canonicalQuery = [...parsed.searchParams]
    .map(([k, v]) => [awsEncode(k), awsEncode(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonicalRequest = [method, parsed.pathname || '/', canonicalQuery, canonicalHeaders, signedHeaders, payloadHash].join('\n');
  const scope = `${date.slice(0, 8)}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', date, scope, sha256Hex(canonicalRequest)].join('\n');
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, date.slice(0, 8)), region), service), 'aws4_request');
  const signature = createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
  all['authorization'] =
    `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope},SignedHeaders=${signedHeaders},Signature=${signature}`;
  return { headers: all, canonicalRequest, stringToSign, signature };
}

export interface S3Object {
  key: string;
  size: number;
  lastModified: string;
}

/** The S3 client backups use: every failure is a BackupError that names the call, the object and what to check. */
export class S3Client {
  constructor(
    private readonly target: S3Target,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Where objects go, printable (no credentials). */
  get location(): string {
    return maskUrl(`${this.target.endpoint}/${this.target.bucket}/${this.target.prefix}`);
  }

  /** The key of a name under the prefix. */
  keyOf(name: string): string {
    return this.target.prefix ? `${this.target.prefix}/${name}` : name;
  }

  /** The name of a key under the prefix (null when the key is not directly under it). */
  nameOf(key: string): string | null {
    const start = this.target.prefix ? `${this.target.prefix}/` : '';
    if (!key.startsWith(start)) return null;
    const name = key.slice(start.length);
    return name && !name.includes('/') ? name : null;
  }

  /** The object's path-style URL (the bucket's with `key` null), each path segment encoded once. */
  private objectUrl(key: string | null, query: Record<string, string> = {}): string {
    const path = [this.target.bucket, ...(key === null ? [] : key.split('/'))].map(awsEncode).join('/');
    const search = Object.entries(query)
      .map(([k, v]) => `${awsEncode(k)}=${awsEncode(v)}`)
      .join('&');
    return `${this.target.endpoint}/${path}${search ? `?${search}` : ''}`;
  }

  private async send(
    what: string,
    method: string,
    url: string,
    {
      headers = {},
      payloadHash = EMPTY_SHA256,
      body,
      timeoutMs,
    }: { headers?: Record<string, string>; payloadHash?: string; body?: ReadableStream; timeoutMs?: number } = {},
  ): Promise<Response> {
    const signed = signRequest({
      method,
      url,
      headers,
      payloadHash,
      credentials: this.target,
      region: this.target.region,
      now: this.clock(),
    });
    const { host: _host, ...sent } = signed.headers;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: sent,
        ...(body ? { body, duplex: 'half' } : {}),
        ...(timeoutMs ? { signal: AbortSignal.timeout(timeoutMs) } : {}),
      } as RequestInit);
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new BackupError(
        `${what}: could not reach ${this.target.endpoint} (${cause?.code ?? cause?.message ?? (error as Error).message}); check BACKUP_S3_URL and that the storage is reachable from here`,
      );
    }
    if (response.ok) return response;
    const text = await response.text().catch(() => '');
    const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
    const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1];
    const hint =
      response.status === 403 || code === 'SignatureDoesNotMatch' || code === 'InvalidAccessKeyId'
        ? '; check BACKUP_S3_ACCESS_KEY_ID, BACKUP_S3_SECRET_ACCESS_KEY, BACKUP_S3_REGION and that the key may write under this prefix'
        : response.status === 404 || code === 'NoSuchBucket'
          ? '; check the bucket and key in BACKUP_S3_URL'
          : '';
    throw new BackupError(
      `${what}: S3 answered ${response.status}${code ? ` ${code}` : ''}${message ? ` (${xmlText(message)})` : ''}${hint}`,
    );
  }

  /** Uploads a file as one object (PUT; up to 5 GiB), its SHA-256 both signed as the payload (S3 checks it) and kept as metadata. */
  async putFile(key: string, path: string, sha256: string): Promise<void> {
    const { size } = await stat(path);
    if (size > 5 * 1024 ** 3)
      throw new BackupError(`${path} is ${size} bytes: one S3 PUT takes at most 5 GiB (write it to BACKUP_DIR instead)`);
    await this.send(`Uploading ${key} to ${this.location}`, 'PUT', this.objectUrl(key), {
      headers: { 'content-length': String(size), 'content-type': 'application/octet-stream', 'x-amz-meta-sha256': sha256 },
      payloadHash: sha256,
      body: Readable.toWeb(createReadStream(path)) as ReadableStream,
    });
  }

  /** Downloads an object into a file; answers the SHA-256 of what arrived and the one its metadata recorded. */
  async getFile(key: string, path: string): Promise<{ sha256: string; recorded: string | null }> {
    const response = await this.send(`Downloading ${key} from ${this.location}`, 'GET', this.objectUrl(key));
    const hash = createHash('sha256');
    await pipeline(
      Readable.fromWeb(response.body! as NodeReadableStream),
      new Transform({
        transform(chunk: Buffer, _encoding, done) {
          hash.update(chunk);
          done(null, chunk);
        },
      }),
      createWriteStream(path, { mode: 0o600 }),
    );
    return { sha256: hash.digest('hex'), recorded: response.headers.get('x-amz-meta-sha256') };
  }

  /** Every object under the prefix whose name starts with `startsWith` (ListObjectsV2, page by page). */
  async list(startsWith = ''): Promise<S3Object[]> {
    const objects: S3Object[] = [];
    let token: string | undefined;
    do {
      const query: Record<string, string> = { 'list-type': '2', prefix: this.keyOf(startsWith) };
      if (token) query['continuation-token'] = token;
      const response = await this.send(`Listing ${this.location}`, 'GET', this.objectUrl(null, query), { timeoutMs: 60_000 });
      const xml = await response.text();
      for (const [, contents] of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
        const key = /<Key>([\s\S]*?)<\/Key>/.exec(contents!)?.[1];
        if (key === undefined) continue;
        objects.push({
          key: xmlText(key),
          size: Number(/<Size>(\d+)<\/Size>/.exec(contents!)?.[1] ?? 0),
          lastModified: /<LastModified>([^<]*)<\/LastModified>/.exec(contents!)?.[1] ?? '',
        });
      }
      const truncated = /<IsTruncated>true<\/IsTruncated>/.test(xml);
      token = truncated ? xmlText(/<NextContinuationToken>([\s\S]*?)<\/NextContinuationToken>/.exec(xml)?.[1] ?? '') : undefined;
      if (truncated && !token) throw new BackupError(`Listing ${this.location}: S3 said the list goes on but gave no continuation token`);
    } while (token);
    return objects;
  }

  async delete(key: string): Promise<void> {
    await this.send(`Deleting ${key} from ${this.location}`, 'DELETE', this.objectUrl(key), { timeoutMs: 60_000 });
  }
}

const xmlText = (text: string) =>
  text.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-f]+);/gi, (entity, name: string) => {
    const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
    if (named[name.toLowerCase()]) return named[name.toLowerCase()]!;
    const code = name[1]?.toLowerCase() === 'x' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
    return Number.isFinite(code) ? String.fromCodePoint(code) : entity;
  });
