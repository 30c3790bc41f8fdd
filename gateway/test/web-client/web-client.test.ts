import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { captureLogs, rawHttpRequest } from '@parley/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayOverStandIns, startStandInSubgraphs, type StandInSubgraphs } from '../support/stand-in-subgraphs';

const INDEX =
  '<!doctype html><html><head><script type="module" src="/assets/index-3f2a9c1b.js"></script></head><body><div id="root"></div></body></html>\n';
const SCRIPT = `console.log(${JSON.stringify('Parley '.repeat(200))});\n`;
const SECRET = 'not for the web';

/** Content-Security-Policy as directive name → sources. */
const parseCsp = (header: unknown) =>
  new Map(
    String(header ?? '')
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((parts) => parts[0])
      .map(([name, ...sources]) => [name!, sources]),
  );

/** A build as Vite writes one: index.html, hashed files under assets/, a few unhashed ones, and npm start's marker. */
function writeBuild(dir: string): void {
  mkdirSync(join(dir, 'assets'), { recursive: true });
  writeFileSync(join(dir, 'index.html'), INDEX);
  writeFileSync(join(dir, 'assets', 'index-3f2a9c1b.js'), SCRIPT);
  writeFileSync(join(dir, 'assets', 'index-77aa01fe.css'), 'body { margin: 0 }\n');
  writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>\n');
  writeFileSync(join(dir, 'manifest.webmanifest'), '{"name":"Parley"}\n');
  writeFileSync(join(dir, '.parley-build.json'), '{"sourcesHash":"abc"}\n');
}

/** PUBLIC_URL's origin: where browsers reach this gateway. */
const PUBLIC_ORIGIN = 'https://chat.example.com';

describe('the web client at /', () => {
  let standIns: StandInSubgraphs;
  let gateway: { url: string; close(): Promise<void> };
  let origin: string;
  let scratch: string;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'parley-web-client-'));
    // Beside the build, where a traversal would land.
    writeFileSync(join(scratch, 'secret.txt'), SECRET);
    writeFileSync(join(scratch, 'package.json'), `{"secret":"${SECRET}"}`);
    writeBuild(join(scratch, 'dist'));
    symlinkSync(join(scratch, 'secret.txt'), join(scratch, 'dist', 'linked.txt'));
    standIns = await startStandInSubgraphs();
    gateway = await startGatewayOverStandIns(standIns, {
      webClientDir: join(scratch, 'dist'),
      protection: { publicOrigin: PUBLIC_ORIGIN },
    });
    ({ origin } = new URL(gateway.url));
  });
  afterAll(async () => {
    await gateway?.close();
    await standIns?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('answers / with index.html, revalidated every time, under a strict policy', async () => {
    const res = await rawHttpRequest(origin, '/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body.toString()).toBe(INDEX);
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['etag']).toMatch(/^"[0-9a-f]{32}"$/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    const csp = parseCsp(res.headers['content-security-policy']);
    expect(Object.fromEntries(csp)).toEqual({
      'default-src': ["'none'"],
      'script-src': ["'self'"],
      'style-src': ["'self'"],
      'img-src': ["'self'", 'data:'],
      'font-src': ["'self'"],
      'connect-src': ["'self'", 'wss://chat.example.com'],
      'manifest-src': ["'self'"],
      'base-uri': ["'none'"],
      'form-action': ["'self'"],
      'frame-ancestors': ["'none'"],
    });
    expect([...csp.values()].flat()).not.toContain("'unsafe-inline'");

    const again = await rawHttpRequest(origin, '/', { headers: { 'if-none-match': String(res.headers['etag']) } });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
  });

  it("lets the app open graphql-ws to its public URL's origin, whatever Host the request names", async () => {
    for (const path of ['/', '/assets/index-3f2a9c1b.js', '/c/123']) {
      const res = await rawHttpRequest(origin, path, { headers: { host: 'evil.example' } });
      expect(res.status, path).toBe(200);
      expect(res.headers['content-security-policy'], path).not.toContain('evil.example');
      expect(parseCsp(res.headers['content-security-policy']).get('connect-src'), path).toEqual(["'self'", 'wss://chat.example.com']);
    }
  });

  it("answers a deep link with the app's page, so the app opens there", async () => {
    for (const path of ['/c/123', '/settings', '/settings/', '/c/123?tab=thread', '/u/someone.else', '/index.html']) {
      const res = await rawHttpRequest(origin, path, { headers: { accept: 'text/html' } });
      expect(res.status, path).toBe(200);
      expect(res.body.toString(), path).toBe(INDEX);
      expect(res.headers['cache-control'], path).toBe('no-cache');
    }
    const head = await rawHttpRequest(origin, '/c/123', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers['content-length'])).toBe(Buffer.byteLength(INDEX));
    expect(head.body.length).toBe(0);
  });

  it('serves the hashed files for a year, immutable, gzipped for a client that takes it, with 304 for a copy it has', async () => {
    const zipped = await rawHttpRequest(origin, '/assets/index-3f2a9c1b.js', { headers: { 'accept-encoding': 'gzip, br' } });
    expect(zipped.status).toBe(200);
    expect(zipped.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(zipped.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers['vary']).toBe('accept-encoding');
    expect(zipped.body.length).toBeLessThan(Buffer.byteLength(SCRIPT));
    expect(gunzipSync(zipped.body).toString()).toBe(SCRIPT);

    const plain = await rawHttpRequest(origin, '/assets/index-3f2a9c1b.js', { headers: { 'accept-encoding': 'gzip;q=0' } });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString()).toBe(SCRIPT);
    expect(plain.headers['etag']).not.toBe(zipped.headers['etag']);

    const cached = await rawHttpRequest(origin, '/assets/index-3f2a9c1b.js', {
      headers: { 'accept-encoding': 'gzip', 'if-none-match': `W/${String(zipped.headers['etag'])}` },
    });
    expect(cached.status).toBe(304);
    expect(cached.body.length).toBe(0);

    const css = await rawHttpRequest(origin, '/assets/index-77aa01fe.css');
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
  });

  it('serves the unhashed files with revalidation, each with its type', async () => {
    const icon = await rawHttpRequest(origin, '/favicon.svg');
    expect(icon.status).toBe(200);
    expect(icon.headers['content-type']).toBe('image/svg+xml');
    expect(icon.headers['cache-control']).toBe('no-cache');
    const manifest = await rawHttpRequest(origin, '/manifest.webmanifest');
    expect(manifest.headers['content-type']).toBe('application/manifest+json; charset=utf-8');
  });

  it("answers 404 for a file the build does not have, rather than the app's page in its place", async () => {
    for (const path of ['/assets/index-00000000.js', '/assets/', '/robots.txt', '/.parley-build.json']) {
      const res = await rawHttpRequest(origin, path);
      expect(res.status, path).toBe(404);
      expect(JSON.parse(res.body.toString()), path).toMatchObject({ error: 'not_found' });
    }
  });

  it("never shadows the gateway's own paths: what nothing serves under them is still the JSON 404", async () => {
    for (const path of [
      '/api/nope',
      '/api',
      '/graphql/',
      '/graphql/nope',
      '/graphiql/nope',
      '/graphiql/assets/nope.js',
      '/sandbox/x',
      '/v1/nope',
      '/healthz/x',
      '/readyz/x',
      '/metrics',
      '/ws/chat',
      '/%61pi/nope',
    ]) {
      const res = await rawHttpRequest(origin, path, { headers: { accept: 'text/html' } });
      expect(res.status, path).toBe(404);
      expect(res.headers['content-type'], path).toBe('application/json; charset=utf-8');
      expect(JSON.parse(res.body.toString()).error, path).toBe('not_found');
    }
    expect(JSON.parse((await rawHttpRequest(origin, '/api/nope')).body.toString())).toEqual({
      error: 'not_found',
      message: 'No route for /api/nope',
    });
    // Not under /graphql: a path of the app's.
    expect((await rawHttpRequest(origin, '/graphqlx')).body.toString()).toBe(INDEX);
    // And what is served there still is.
    expect((await rawHttpRequest(origin, '/healthz')).status).toBe(200);
    const graphql = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(await graphql.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('never answers from outside the build, however the path is written', async () => {
    for (const path of [
      '/../package.json',
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/%2E%2E%2Fsecret.txt',
      '/assets/../../secret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/..\\secret.txt',
      '/%5c..%5csecret.txt',
      '/secret.txt%00.html',
      '/%00',
      '/%E0%A4%A',
      '/./index.html',
      '/linked.txt',
    ]) {
      const res = await rawHttpRequest(origin, path);
      expect(res.status, path).toBe(404);
      expect(res.body.toString(), path).not.toContain(SECRET);
    }
  });

  it('refuses anything but GET and HEAD on its paths with 405', async () => {
    for (const path of ['/', '/c/123', '/assets/index-3f2a9c1b.js', '/graphqlx']) {
      for (const method of ['POST', 'PUT', 'DELETE']) {
        const res = await rawHttpRequest(origin, path, { method });
        expect(res.status, `${method} ${path}`).toBe(405);
        expect(res.headers['allow']).toBe('GET, HEAD');
      }
    }
    // A path of the gateway's keeps its own answer.
    expect((await rawHttpRequest(origin, '/api/nope', { method: 'POST' })).status).toBe(404);
  });
});

describe('the web client before it is built', () => {
  let standIns: StandInSubgraphs;
  let gateway: { url: string; close(): Promise<void> };
  let origin: string;
  let scratch: string;
  const logs = captureLogs('info');

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'parley-web-client-'));
    standIns = await startStandInSubgraphs();
    gateway = await startGatewayOverStandIns(standIns, { webClientDir: join(scratch, 'dist'), logger: logs.logger });
    ({ origin } = new URL(gateway.url));
  });
  afterAll(async () => {
    await gateway?.close();
    await standIns?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('answers 503 saying how to build it, a page for a browser and JSON otherwise, and logs it once', async () => {
    const page = await rawHttpRequest(origin, '/', { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    expect(page.status).toBe(503);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.body.toString()).toContain('npm run build -w web');
    expect(parseCsp(page.headers['content-security-policy']).get('default-src')).toEqual(["'none'"]);

    const json = await rawHttpRequest(origin, '/c/123', { headers: { accept: 'application/json' } });
    expect(json.status).toBe(503);
    expect(JSON.parse(json.body.toString())).toEqual({
      error: 'web_client_not_built',
      message: expect.stringContaining('npm run build -w web'),
    });

    // A directory without index.html is no build either.
    mkdirSync(join(scratch, 'dist', 'assets'), { recursive: true });
    expect((await rawHttpRequest(origin, '/')).status).toBe(503);
    expect(logs.lines().filter((line) => String(line['msg']).startsWith('the web client is not built'))).toHaveLength(1);
  });

  it('serves a build made while the gateway runs, at the next request', async () => {
    writeBuild(join(scratch, 'dist'));
    const res = await rawHttpRequest(origin, '/');
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe(INDEX);
    expect(logs.lines().some((line) => line['msg'] === 'loaded the web client' && line['files'] === 5)).toBe(true);
  });
});
