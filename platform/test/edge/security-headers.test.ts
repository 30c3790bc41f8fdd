import { connect } from 'node:net';
import { startPlatformUnderTest, type PlatformUnderTest } from '@parley/platform/testing';
import { parseCsp } from '@parley/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** What every answer carries, whatever it is (libs/runtime's security-headers.ts). */
const BASELINE = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

function expectBaseline(headers: Headers, what: string): Map<string, string[]> {
  for (const [name, value] of Object.entries(BASELINE)) expect(headers.get(name), `${name} on ${what}`).toBe(value);
  // Served over plain HTTP: HSTS is for a shell that terminates TLS itself.
  expect(headers.get('strict-transport-security'), what).toBeNull();
  const csp = parseCsp(headers.get('content-security-policy'));
  expect(csp.get('frame-ancestors'), `frame-ancestors on ${what}`).toEqual(["'none'"]);
  expect(csp.get('default-src'), `default-src on ${what}`).toEqual(["'none'"]);
  return csp;
}

/** A WebSocket upgrade as written on the wire, and the answer's head as it came back. */
function upgrade(origin: string, path: string): Promise<string> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () =>
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      ),
    );
    let head = '';
    socket.on('data', (chunk: Buffer) => (head += chunk.toString('latin1')));
    socket.on('end', () => resolve(head));
    socket.on('error', reject);
  });
}

describe('the security headers of every answer', () => {
  let platform: PlatformUnderTest;
  let origin: string;
  const get = (path: string, init: RequestInit = {}) => fetch(new URL(path, origin), init);

  beforeAll(async () => {
    platform = await startPlatformUnderTest();
    origin = new URL(platform.url).origin;
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it("are on the gateway's GraphQL answers, POST and GET, successes and refusals", async () => {
    const post = (body: string) => get('/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const answers = {
      'POST /graphql': await post(JSON.stringify({ query: '{ supportedLanguages { code } }' })),
      'POST /graphql, not JSON': await post('{'),
      // Apollo's CSRF prevention takes a GET only with a header a simple request cannot carry.
      'GET /graphql': await get(`/graphql?query=${encodeURIComponent('{ supportedLanguages { code } }')}`, {
        headers: { 'apollo-require-preflight': 'true' },
      }),
    };
    expect(answers['POST /graphql'].status).toBe(200);
    expect(answers['POST /graphql, not JSON'].status).toBe(400);
    expect(answers['GET /graphql'].status).toBe(200);
    for (const [what, res] of Object.entries(answers)) expectBaseline(res.headers, what);
  });

  it('are on the REST API, the OpenAI-compatible /v1, the probes, the metrics and a path nothing serves', async () => {
    const answers = {
      'GET /api/v1/openapi.json': await get('/api/v1/openapi.json'),
      'POST /api/v1/auth/login, refused': await get('/api/v1/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'nobody@example.com', password: 'wrong password here' }),
      }),
      'GET /v1/models, signed out': await get('/v1/models'),
      'GET /healthz': await get('/healthz'),
      'GET /readyz': await get('/readyz'),
      'GET /metrics': await get('/metrics'),
      'GET /graphql-nothing/here': await get('/graphql-nothing/here'),
      'GET /api/v1/nothing': await get('/api/v1/nothing'),
    };
    expect(answers['GET /api/v1/openapi.json'].status).toBe(200);
    expect(answers['POST /api/v1/auth/login, refused'].status).toBe(401);
    expect(answers['GET /v1/models, signed out'].status).toBe(401);
    expect(answers['GET /healthz'].status).toBe(200);
    expect(answers['GET /api/v1/nothing'].status).toBe(404);
    for (const [what, res] of Object.entries(answers)) expectBaseline(res.headers, what);
  });

  it("are on the pages, which keep their own policies: the web client's and GraphiQL's", async () => {
    const app = await get('/', { headers: { accept: 'text/html' } });
    const appCsp = expectBaseline(app.headers, 'GET /');
    // The app's own policy (built or not) replaces the baseline's; it is no looser about framing or defaults.
    expect(app.headers.get('content-security-policy')).not.toBe("default-src 'none'; frame-ancestors 'none'");
    expect([...appCsp.keys()].length).toBeGreaterThan(2);

    const graphiql = await get('/graphiql');
    expect(graphiql.status).toBe(200);
    const csp = expectBaseline(graphiql.headers, 'GET /graphiql');
    expect(csp.get('script-src')).toEqual(["'self'"]);
  });

  it("are on every subgraph's own port", async () => {
    for (const [name, url] of Object.entries(platform.subgraphUrls)) {
      expectBaseline((await fetch(new URL('/healthz', url))).headers, `${name}'s /healthz`);
      expectBaseline((await fetch(new URL('/nothing', url))).headers, `${name}'s 404`);
    }
  });

  it('are on a refused WebSocket upgrade', async () => {
    const head = await upgrade(origin, '/not-a-socket');
    expect(head).toMatch(/^HTTP\/1\.1 404 /);
    for (const [name, value] of Object.entries(BASELINE)) expect(head.toLowerCase()).toContain(`\r\n${name}: ${value.toLowerCase()}\r\n`);
  });
});
