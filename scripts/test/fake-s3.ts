import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An S3-compatible object store over real HTTP, for the backup suites: path-style
 * PUT, GET, DELETE and ListObjectsV2 of one bucket, in memory. It checks every
 * request's Signature Version 4 the way S3 does, with its own implementation of
 * the algorithm (written from the S3 API reference, not the client's code, and
 * checked against the reference's examples in backups.test.ts), and the payload's
 * SHA-256 against x-amz-content-sha256.
 */

export interface StoredObject {
  body: Buffer;
  metadata: Record<string, string>;
  lastModified: Date;
}

export interface SeenRequest {
  method: string;
  url: string;
  authorization: string | undefined;
  /** Why the store refused it, when it did. */
  refused?: string;
}

export interface FakeS3 {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  /** Objects by key (without the bucket). */
  objects: Map<string, StoredObject>;
  requests: SeenRequest[];
  close(): Promise<void>;
}

export interface FakeS3Options {
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** ListObjectsV2 pages this long (S3's is 1000), so a suite sees continuation tokens. */
  pageSize?: number;
}

export interface VerifyInput {
  method: string;
  /** The request target as sent: path and query, percent-encoded. */
  rawUrl: string;
  headers: IncomingHttpHeaders | Record<string, string>;
  secretAccessKey: string;
}

const hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
/** UriEncode() of the S3 reference: unreserved characters stay, every other byte is %XX. */
const uriEncode = (text: string) =>
  [...Buffer.from(text, 'utf8')]
    .map((byte) => {
      const c = String.fromCharCode(byte);
      return /[A-Za-z0-9\-._~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/;

/**
 * Recomputes a request's signature from what arrived (S3's "Authorization
 * header" signing, https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html).
 */
export function verifySignature({
  method,
  rawUrl,
  headers,
  secretAccessKey,
}: VerifyInput): { ok: true; accessKeyId: string; region: string; canonicalRequest: string } | { ok: false; reason: string } {
  const header = (name: string) => {
    const value = headers[name];
    return Array.isArray(value) ? value.join(',') : value;
  };
  const match = AUTHORIZATION.exec(header('authorization') ?? '');
  if (!match) return { ok: false, reason: `malformed Authorization header: ${header('authorization')}` };
  const [, accessKeyId, day, region, service, signedHeaders, signature] = match as unknown as string[];
  const date = header('x-amz-date');
  if (!date || !/^\d{8}T\d{6}Z$/.test(date)) return { ok: false, reason: 'no x-amz-date' };
  if (date.slice(0, 8) !== day) return { ok: false, reason: 'the credential scope is not the x-amz-date day' };
  const names = signedHeaders!.split(';');
  if ([...names].sort().join(';') !== signedHeaders) return { ok: false, reason: 'SignedHeaders are not sorted' };
  for (const required of ['host', 'x-amz-date', 'x-amz-content-sha256']) {
    if (!names.includes(required)) return { ok: false, reason: `${required} is not signed` };
  }
  const [path, query = ''] = rawUrl.split('?', 2) as [string, string?];
  const canonicalUri = path
    .split('/')
    .map((segment) => uriEncode(decodeURIComponent(segment)))
    .join('/');
  const canonicalQuery = query
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const [k, v = ''] = pair.split('=', 2) as [string, string?];
      return [uriEncode(decodeURIComponent(k)), uriEncode(decodeURIComponent(v))] as const;
    })
    .sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonicalHeaders = names.map((name) => `${name}:${(header(name) ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const canonicalRequest = [method, canonicalUri, canonicalQuery, canonicalHeaders, signedHeaders, header('x-amz-content-sha256')].join(
    '\n',
  );
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = `AWS4-HMAC-SHA256\n${date}\n${scope}\n${hex(canonicalRequest)}`;
  const key = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, day!), region!), service!), 'aws4_request');
  const expected = createHmac('sha256', key).update(stringToSign).digest();
  if (!timingSafeEqual(expected, Buffer.from(signature!, 'hex'))) return { ok: false, reason: 'SignatureDoesNotMatch' };
  return { ok: true, accessKeyId: accessKeyId!, region: region!, canonicalRequest };
}

const xml = (text: string) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
const error = (code: string, message: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${xml(message)}</Message></Error>`;

export async function startFakeS3({ bucket, accessKeyId, secretAccessKey, region, pageSize = 1000 }: FakeS3Options): Promise<FakeS3> {
  const objects = new Map<string, StoredObject>();
  const requests: SeenRequest[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const seen: SeenRequest = { method: req.method!, url: req.url!, authorization: req.headers.authorization };
    requests.push(seen);
    const refuse = (status: number, code: string, message: string) => {
      seen.refused = `${code}: ${message}`;
      res.writeHead(status, { 'content-type': 'application/xml' }).end(error(code, message));
    };

    const verified = verifySignature({ method: req.method!, rawUrl: req.url!, headers: req.headers, secretAccessKey });
    if (!verified.ok)
      return refuse(403, verified.reason === 'SignatureDoesNotMatch' ? 'SignatureDoesNotMatch' : 'AccessDenied', verified.reason);
    if (verified.accessKeyId !== accessKeyId)
      return refuse(403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
    if (verified.region !== region)
      return refuse(400, 'AuthorizationHeaderMalformed', `the region '${verified.region}' is wrong; expecting '${region}'`);
    const date = req.headers['x-amz-date'] as string;
    const sent = Date.parse(`${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 11)}:${date.slice(11, 13)}:${date.slice(13)}`);
    if (Math.abs(Date.now() - sent) > 15 * 60 * 1000)
      return refuse(403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.');
    const payloadHash = req.headers['x-amz-content-sha256'];
    if (payloadHash !== 'UNSIGNED-PAYLOAD' && payloadHash !== hex(body)) {
      return refuse(400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.");
    }

    const url = new URL(req.url!, 'http://fake');
    const [, bucketName, ...rest] = url.pathname.split('/');
    if (decodeURIComponent(bucketName ?? '') !== bucket) return refuse(404, 'NoSuchBucket', 'The specified bucket does not exist');
    const key = rest.map(decodeURIComponent).join('/');

    if (req.method === 'GET' && key === '' && url.searchParams.get('list-type') === '2') {
      const prefix = url.searchParams.get('prefix') ?? '';
      const after = url.searchParams.get('continuation-token');
      const keys = [...objects.keys()]
        .filter((k) => k.startsWith(prefix))
        .sort()
        .filter((k) => !after || k > Buffer.from(after, 'base64').toString('utf8'));
      const page = keys.slice(0, pageSize);
      const truncated = keys.length > page.length;
      const contents = page
        .map((k) => {
          const object = objects.get(k)!;
          return `<Contents><Key>${xml(k)}</Key><LastModified>${object.lastModified.toISOString()}</LastModified><Size>${object.body.length}</Size></Contents>`;
        })
        .join('');
      const token = truncated ? `<NextContinuationToken>${Buffer.from(page.at(-1)!).toString('base64')}</NextContinuationToken>` : '';
      res
        .writeHead(200, { 'content-type': 'application/xml' })
        .end(
          `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>${bucket}</Name><Prefix>${xml(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><IsTruncated>${truncated}</IsTruncated>${contents}${token}</ListBucketResult>`,
        );
      return;
    }
    if (key === '') return refuse(400, 'InvalidRequest', 'this fake only lists with list-type=2');
    if (req.method === 'PUT') {
      if (req.headers['content-length'] === undefined)
        return refuse(411, 'MissingContentLength', 'You must provide the Content-Length HTTP header.');
      const metadata = Object.fromEntries(
        Object.entries(req.headers)
          .filter(([name]) => name.startsWith('x-amz-meta-'))
          .map(([name, value]) => [name.slice('x-amz-meta-'.length), String(value)]),
      );
      objects.set(key, { body, metadata, lastModified: new Date() });
      res.writeHead(200, { etag: `"${createHash('md5').update(body).digest('hex')}"` }).end();
      return;
    }
    if (req.method === 'GET') {
      const object = objects.get(key);
      if (!object) return refuse(404, 'NoSuchKey', 'The specified key does not exist.');
      const meta = Object.fromEntries(Object.entries(object.metadata).map(([name, value]) => [`x-amz-meta-${name}`, value]));
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': object.body.length, ...meta }).end(object.body);
      return;
    }
    if (req.method === 'DELETE') {
      objects.delete(key);
      res.writeHead(204).end();
      return;
    }
    refuse(405, 'MethodNotAllowed', `${req.method} is not supported here`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    objects,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
