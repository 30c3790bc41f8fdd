import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import vm from 'node:vm';
import { parseCsp, rawHttpRequest } from '@parley/testing';
import { registerUser, sendMessage } from '@parley/testing/parley-client';
import * as graphql from 'graphql';
import { createClient, type Client, type ClientOptions } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startPlatformUnderTest, type PlatformUnderTest } from '../../src/testing/platform-under-test';

const require = createRequire(import.meta.url);
/** A file of an installed package, as the gateway is expected to serve it. */
const packageFile = (name: string, file: string) => readFileSync(join(dirname(require.resolve(`${name}/package.json`)), file));
const installedVersion = (name: string) => (JSON.parse(packageFile(name, 'package.json').toString('utf8')) as { version: string }).version;

const SANDBOX_CDN = 'https://embeddable-sandbox.cdn.apollographql.com/_latest/embeddable-sandbox.umd.production.min.js';

/** The src of every <script> and the href of every <link>, in document order. */
const references = (html: string) =>
  [...html.matchAll(/<(?:script|link)\b[^>]*?\b(?:src|href)="([^"]*)"/g)].map((m) => m[1]!.replaceAll('&amp;', '&'));

/** The URL of each of Monaco's workers, by name, from the data-*-worker attributes graphiql.js starts them from. */
const workerReferences = (html: string) =>
  Object.fromEntries([...html.matchAll(/\bdata-([a-z]+-worker)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!.replaceAll('&amp;', '&')]));

describe('the explorer', () => {
  let platform: PlatformUnderTest;
  let origin: string;
  let host: string;
  const get = (path: string, headers: Record<string, string> = {}) => fetch(new URL(path, origin), { headers });

  beforeAll(async () => {
    platform = await startPlatformUnderTest();
    ({ origin, host } = new URL(platform.url));
    // The first /graphiql builds GraphiQL's bundle, seconds of CPU on a busy machine: here, under the
    // hooks' timeout, rather than in whichever test happens to ask first.
    expect((await get('/graphiql')).status).toBe(200);
  });
  afterAll(async () => {
    await platform?.stop();
  });

  describe('GET /graphiql', () => {
    it('is GraphiQL whose every script and stylesheet the gateway serves itself, in the order they must run', async () => {
      const res = await get('/graphiql');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const refs = references(await res.text());
      for (const ref of refs) expect(new URL(ref, origin).origin).toBe(origin);
      expect(refs.map((ref) => new URL(ref, origin).pathname)).toEqual([
        '/graphiql/assets/graphiql.css',
        '/graphiql/assets/explorer.css',
        '/graphiql/assets/graphiql.js',
        '/graphiql/assets/introspection-depth.js',
        '/graphiql/assets/graphiql-bootstrap.js',
      ]);
    });

    it("names Monaco's workers on #graphiql, each a script the gateway serves", async () => {
      const workers = workerReferences(await (await get('/graphiql')).text());
      expect(Object.keys(workers).sort()).toEqual(['editor-worker', 'graphql-worker', 'json-worker']);
      for (const [name, ref] of Object.entries(workers)) {
        expect(new URL(ref, origin).origin).toBe(origin);
        expect(new URL(ref, origin).pathname).toBe(`/graphiql/assets/${name.replace(/-worker$/, '.worker.js')}`);
      }
    });

    it('serves each asset with its content type, a year-long immutable cache and an ETag, bytes as installed', async () => {
      const html = await (await get('/graphiql')).text();
      const refs = [...references(html), ...Object.values(workerReferences(html))];
      // graphiql.js and the workers are built from the installed packages (explorer-bundles.ts): no file to compare with.
      const installed: Record<string, Buffer> = {
        'graphiql.css': packageFile('graphiql', 'dist/style.css'),
      };
      for (const ref of refs) {
        const res = await get(ref, { 'accept-encoding': 'identity' });
        const name = new URL(ref, origin).pathname.split('/').at(-1)!;
        expect(res.status, ref).toBe(200);
        expect(res.headers.get('content-type'), ref).toBe(
          name.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8',
        );
        expect(res.headers.get('cache-control'), ref).toBe('public, max-age=31536000, immutable');
        expect(res.headers.get('etag'), ref).toMatch(/^"[0-9a-f]{32}"$/);
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        // What a script may do when it runs as a worker, which takes its policy from its own response.
        expect(res.headers.get('content-security-policy'), ref).toBe("default-src 'none'");
        const body = Buffer.from(await res.arrayBuffer());
        if (installed[name]) expect(body.equals(installed[name]), `${name} as installed`).toBe(true);
        else expect(body.length, ref).toBeGreaterThan(0);
        // ReactDOM checks at start that React is its own version: both are the installed one.
        if (name === 'graphiql.js')
          expect(body.toString('utf8'), 'React as installed').toContain(JSON.stringify(installedVersion('react')));
      }
    });

    it('answers 304 to a matching If-None-Match, gzips for clients that accept it, and asks unversioned URLs to revalidate', async () => {
      const first = await get('/graphiql/assets/graphiql.js', { 'accept-encoding': 'identity' });
      const etag = first.headers.get('etag')!;
      expect(first.headers.get('cache-control')).toBe('public, max-age=0, must-revalidate');
      const plain = Buffer.from(await first.arrayBuffer());

      const again = await get('/graphiql/assets/graphiql.js', { 'accept-encoding': 'identity', 'if-none-match': `W/${etag}` });
      expect(again.status).toBe(304);
      expect(await again.text()).toBe('');

      const zipped = await get('/graphiql/assets/graphiql.js', { 'accept-encoding': 'br;q=1, gzip;q=0.8' });
      expect(zipped.headers.get('content-encoding')).toBe('gzip');
      expect(zipped.headers.get('vary')).toBe('accept-encoding');
      expect(zipped.headers.get('etag')).not.toBe(etag);
      expect(Buffer.from(await zipped.arrayBuffer()).equals(plain)).toBe(true);

      const refused = await get('/graphiql/assets/graphiql.js', { 'accept-encoding': 'gzip;q=0' });
      expect(refused.headers.get('content-encoding')).toBeNull();
      await refused.arrayBuffer();
    });

    it('names no other origin anywhere in the page', async () => {
      const html = await (await get('/graphiql')).text();
      const urls = [...html.matchAll(/(?:\b[a-z][a-z0-9+.-]*:)?\/\/[^\s"'<>]+/gi)].map((m) => m[0]);
      expect(urls.filter((url) => new URL(url, origin).origin !== origin)).toEqual([]);
      expect(html).not.toMatch(/\bhttps?:/);
    });

    it('sends a Content-Security-Policy that allows scripts from the gateway alone', async () => {
      const res = await get('/graphiql');
      const csp = parseCsp(res.headers.get('content-security-policy'));
      expect(csp.get('default-src')).toEqual(["'none'"]);
      expect(csp.get('script-src')).toEqual(["'self'"]);
      // Monaco's workers are served files, started by URL: no blob: or data: workers.
      expect(csp.get('worker-src')).toEqual(["'self'"]);
      // No PUBLIC_URL here: 'self' alone, which covers ws: and wss: on the page's own host in CSP Level 3.
      expect(csp.get('connect-src')).toEqual(["'self'"]);
      expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
      expect(csp.get('base-uri')).toEqual(["'none'"]);
      expect(res.headers.get('content-security-policy')).not.toContain('unsafe-eval');
      const html = await res.text();
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(html).not.toMatch(/\son[a-z]+=/i);
    });

    it('names in its policy no host the request chose (a Host header is the client’s to send)', async () => {
      for (const path of ['/graphiql', '/sandbox']) {
        const res = await rawHttpRequest(origin, path, { headers: { host: 'evil.example' } });
        expect(res.status, path).toBe(200);
        expect(res.headers['content-security-policy'], path).not.toContain('evil.example');
      }
    });

    it('answers 404 for an asset it does not have, and 405 to anything but GET and HEAD', async () => {
      expect((await get('/graphiql/assets/secrets.js')).status).toBe(404);
      expect((await get('/graphiql/assets/..%2F..%2Fpackage.json')).status).toBe(404);
      const post = await fetch(new URL('/graphiql', origin), { method: 'POST', body: '{}' });
      expect(post.status).toBe(405);
      expect(post.headers.get('allow')).toBe('GET, HEAD');
      const head = await fetch(new URL('/graphiql', origin), { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(await head.text()).toBe('');
    });
  });

  describe('GET /sandbox', () => {
    it("embeds Apollo Sandbox pointed at the gateway's /graphql, with a link to the offline GraphiQL", async () => {
      const res = await get('/sandbox');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const html = await res.text();
      expect(html).toContain(`<script defer src="${SANDBOX_CDN}"></script>`);
      expect(html).toContain('data-graphql-path="/graphql"');
      expect(html).toContain('<a href="/graphiql">');
      for (const ref of references(html).filter((r) => r.startsWith('/'))) expect((await get(ref)).status, ref).toBe(200);
      const csp = parseCsp(res.headers.get('content-security-policy'));
      expect(csp.get('default-src')).toEqual(["'none'"]);
      expect(csp.get('script-src')).toEqual(["'self'", 'https://embeddable-sandbox.cdn.apollographql.com']);
      expect(csp.get('frame-src')).toEqual(['https://sandbox.embed.apollographql.com']);
    });

    /** The page's own scripts as the gateway serves them, in order (the CDN's is stood in for by `EmbeddedSandbox`). */
    const sandboxScripts = async () => {
      const html = await (await get('/sandbox')).text();
      return Promise.all(
        references(html)
          .filter((r) => r.startsWith('/') && new URL(r, origin).pathname.endsWith('.js'))
          .map(async (r) => (await get(r)).text()),
      );
    };
    const sandboxPage = () => ({ sandbox: { dataset: { graphqlPath: '/graphql' } }, unavailable: { hidden: true } });

    it("starts the Sandbox on the page's own /graphql, sending its requests from the page with the introspection cut to fit", async () => {
      const page = sandboxPage();
      const embeds: { target: unknown; initialEndpoint: string; endpointIsEditable: boolean; handleRequest: typeof fetch }[] = [];
      const sent: string[] = [];
      runInBrowserLike(await sandboxScripts(), origin, {
        document: { getElementById: (id: string) => (id === 'sandbox' ? page.sandbox : page.unavailable) },
        EmbeddedSandbox: function (options: (typeof embeds)[number]) {
          embeds.push(options);
        },
        fetch: (url: string, init: RequestInit) => {
          sent.push(String(init.body));
          return fetch(url, init);
        },
      });
      expect(embeds).toEqual([
        expect.objectContaining({ target: page.sandbox, initialEndpoint: `${origin}/graphql`, endpointIsEditable: false }),
      ]);
      expect(page.unavailable.hidden).toBe(true);

      const { handleRequest } = embeds[0]!;
      const post = (body: unknown) =>
        handleRequest(`${origin}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const introspection = (await (
        await post({ query: graphql.getIntrospectionQuery(), operationName: 'IntrospectionQuery' })
      ).json()) as any;
      expect(introspection.errors).toBeUndefined();
      expect(JSON.parse(sent[0]!).query).not.toBe(graphql.getIntrospectionQuery());
      expect(graphql.buildClientSchema(introspection.data).getType('MessageStreamEvent')).toBeDefined();
      const plain = { query: '{ models { id } }' };
      expect(((await (await post(plain)).json()) as any).data.models).toContainEqual({ id: 'dev/echo' });
      expect(sent[1]).toBe(JSON.stringify(plain));
    });

    it("says where to go instead when Apollo's CDN cannot be reached", async () => {
      const page = sandboxPage();
      runInBrowserLike(await sandboxScripts(), origin, {
        document: { getElementById: (id: string) => (id === 'sandbox' ? page.sandbox : page.unavailable) },
      });
      expect(page.unavailable.hidden).toBe(false);
    });
  });

  /**
   * graphiql-bootstrap.js (after introspection-depth.js) as the gateway serves them, run in a bare VM context:
   * React, ReactDOM and GraphiQL are stand-ins that record what the script
   * asks of them; graphql-ws is the real client (given `ws` as the socket, as
   * Node has no browser WebSocket), talking to the real gateway.
   */
  describe('graphiql-bootstrap.js', () => {
    let scripts: string[];
    beforeAll(async () => {
      const html = await (await get('/graphiql')).text();
      const ours = references(html).filter((r) => /introspection-depth\.js|graphiql-bootstrap\.js/.test(r));
      scripts = await Promise.all(ours.map(async (r) => (await get(r)).text()));
    });

    type Fetcher = (params: Record<string, unknown>, options?: Record<string, unknown>) => unknown;
    const start = () => {
      const root = { dataset: { graphqlPath: '/graphql' }, textContent: 'Loading' };
      const sockets: { options: ClientOptions; client: Client; disposed: boolean; connections: number }[] = [];
      const http: { url?: string; calls: Record<string, unknown>[] } = { calls: [] };
      let rendered: { type: unknown; props: { fetcher: Fetcher; defaultQuery: string } } | undefined;
      runInBrowserLike(scripts, origin, {
        document: { getElementById: () => root },
        React: { createElement: (type: unknown, props: never) => ({ type, props }) },
        ReactDOM: { createRoot: (element: unknown) => ({ render: (tree: typeof rendered) => element === root && (rendered = tree) }) },
        GraphiQL: Object.assign(function GraphiQL() {}, {
          GraphQL: graphql,
          // What @graphiql/toolkit's simple fetcher does.
          createFetcher: (options: { url: string }) => {
            http.url = options.url;
            return async (params: Record<string, unknown>, fetcherOptions?: { headers?: Record<string, string> }) => {
              http.calls.push(params);
              const res = await fetch(options.url, {
                method: 'POST',
                headers: { 'content-type': 'application/json', ...fetcherOptions?.headers },
                body: JSON.stringify(params),
              });
              return res.json();
            };
          },
        }),
        graphqlWs: {
          createClient: (options: ClientOptions) => {
            const entry = { options, client: undefined as unknown as Client, disposed: false, connections: 0 };
            // Counts the sockets the client opens: a retry is a second one.
            class CountedWebSocket extends WebSocket {
              constructor(address: string | URL, protocols?: string | string[]) {
                super(address, protocols);
                entry.connections++;
              }
            }
            const client = createClient({ ...options, webSocketImpl: CountedWebSocket });
            entry.client = client;
            sockets.push(entry);
            return {
              iterate: client.iterate.bind(client),
              dispose: async () => {
                entry.disposed = true;
                await client.dispose();
              },
            };
          },
        },
      });
      if (!rendered) throw new Error('graphiql-bootstrap.js rendered nothing');
      return { root, sockets, http, props: rendered.props };
    };
    const fetcherOptions = (query: string, headers: Record<string, string> = {}) => ({ headers, documentAST: graphql.parse(query) });
    const collect = async (results: unknown) => {
      const all: graphql.FormattedExecutionResult<Record<string, any>>[] = [];
      for await (const result of results as AsyncIterable<(typeof all)[number]>) all.push(result);
      return all;
    };

    it('renders GraphiQL on #graphiql, sending queries over HTTP to /graphql with the headers as given', async () => {
      const { props, http, sockets } = start();
      expect(http.url).toBe(`${origin}/graphql`);
      expect(props.defaultQuery).toContain('subscription');
      const query = '{ models { id } }';
      const result = (await props.fetcher({ query }, fetcherOptions(query))) as graphql.ExecutionResult;
      expect(result.errors).toBeUndefined();
      expect(result.data?.['models']).toContainEqual({ id: 'dev/echo' });
      expect(sockets).toEqual([]);
    });

    it("loads the schema in spite of the gateway's depth limit, with every wrapper of every type", async () => {
      const { props, http } = start();
      const query = graphql.getIntrospectionQuery();
      const result = (await props.fetcher({ query, operationName: 'IntrospectionQuery' }, { headers: {} })) as graphql.ExecutionResult;
      expect(result.errors).toBeUndefined();
      expect(http.calls[0]!['query']).not.toBe(query);
      // buildClientSchema throws on a type reference cut short ("Decorated type deeper than introspection query").
      const schema = graphql.buildClientSchema(result.data as unknown as graphql.IntrospectionQuery);
      expect(String(schema.getQueryType()!.getFields()['models']!.type)).toBe('[Model!]!');
      expect(String((schema.getType('User') as graphql.GraphQLObjectType).getFields()['roles']!.type)).toBe('[String!]!');
    });

    it("runs subscriptions over graphql-ws on ws://host/graphql, with the Headers tab's token in connection_init", async () => {
      const token = (await registerUser(platform.url, 'explorer-stream@example.com')).token;
      const replyId = (await sendMessage(platform.url, token, { content: 'What is a tree?' })).assistantMessage.id;
      const { props, sockets } = start();
      const query = `subscription Follow($id: ID!) {
        messageStream(messageId: $id) { seq ... on MessageDelta { delta } ... on MessageCompleted { message { status content } } }
      }`;
      const events = await collect(
        props.fetcher(
          { query, variables: { id: replyId }, operationName: 'Follow' },
          fetcherOptions(query, { AUTHORIZATION: `Bearer ${token}` }),
        ),
      );
      expect(sockets).toHaveLength(1);
      expect(sockets[0]!.options.url).toBe(`ws://${host}/graphql`);
      expect(sockets[0]!.options.connectionParams).toEqual({ authorization: `Bearer ${token}` });
      expect(events.map((e) => e.data?.['messageStream'].seq)).toEqual(events.map((_, i) => i + 1));
      expect(events.at(-1)!.data!['messageStream'].message).toEqual({ status: 'COMPLETED', content: 'Echo: What is a tree?' });
      await sockets[0]!.client.dispose();
    });

    it('opens a new connection when the token changes, and ends at once with the reason when the gateway refuses a token', async () => {
      const { props, sockets } = start();
      const query = 'subscription { messageStream(messageId: "m") { seq } }';
      await expect(collect(props.fetcher({ query }, fetcherOptions(query, { Authorization: 'Bearer not-a-token' })))).rejects.toThrow(
        /4403.*refused the token.*Headers tab/,
      );
      // At once: it gave up on its first socket, where a client that retried would have opened more before failing
      // (timing the refusal against 2 s was a stand-in for this that a busy machine could break).
      expect(sockets[0]!.connections).toBe(1);
      const token = (await registerUser(platform.url, 'explorer-refused@example.com')).token;
      const invalid = 'subscription { messageStream(messageId: "m") { nope } }';
      const [refusal] = await collect(props.fetcher({ query: invalid }, fetcherOptions(invalid, { Authorization: `Bearer ${token}` })));
      // The gateway's own refusal of an operation reaches GraphiQL as a result, to show in its pane.
      expect(refusal!.errors![0]!.message).toContain('nope');
      expect(sockets.map((s) => s.options.connectionParams)).toEqual([
        { authorization: 'Bearer not-a-token' },
        { authorization: `Bearer ${token}` },
      ]);
      expect(sockets[0]!.disposed).toBe(true);
      await sockets[1]!.client.dispose();
    });

    it('says so on the page when one of the scripts before it did not load', () => {
      const root = { dataset: {}, textContent: 'Loading' };
      runInBrowserLike(scripts, origin, { document: { getElementById: () => root }, React: {}, ReactDOM: {} });
      expect(root.textContent).toMatch(/could not start/);
    });
  });
});

/** Runs a page's scripts, in order, in a fresh VM context whose `window` holds `globals`, at `origin`/graphiql. */
function runInBrowserLike(scripts: string[], origin: string, globals: Record<string, unknown>): void {
  const window: Record<string, unknown> = { URL, console, location: new URL('/graphiql', origin), ...globals };
  window['window'] = window;
  const context = vm.createContext(window);
  for (const script of scripts) vm.runInContext(script, context);
}
