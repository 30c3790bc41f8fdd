import { request } from 'node:http';
import { captureLogs } from '@parley/testing';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '@parley/telemetry';
import { createHttpService, type RouteHandler } from '../src';

function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the service HTTP shell', () => {
  /** A route that holds each request until the test lets it go; `started` once it has one. */
  function heldRoute() {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let arrived!: () => void;
    const started = new Promise<void>((r) => (arrived = r));
    const handler: RouteHandler = async (_req, res) => {
      arrived();
      await gate;
      res.end('finished');
    };
    return { handler, started, release: () => release() };
  }

  it('keeps answering while it finishes what it held when closed, saying it is draining, then refuses new connections', async () => {
    const slow = heldRoute();
    let seenDraining: boolean | undefined;
    const service = createHttpService({
      logger: captureLogs('silent').logger,
      readiness: [],
      routes: {
        '/slow': slow.handler,
        '/quick': (_req, res, scope) => {
          seenDraining = scope.draining();
          res.end('quick');
        },
      },
    });
    const { port } = await service.listen(0);
    const held = get(port, '/slow');
    // In flight means the route has it (a 50 ms pause could end before the request even connected on a busy machine).
    await slow.started;
    const closed = service.close(5_000);
    // One replica: a caller has nowhere else to go while the held request finishes, so it is answered.
    expect(await get(port, '/quick')).toMatchObject({ status: 200, body: 'quick', headers: { connection: 'close' } });
    expect(seenDraining).toBe(true);
    const readiness = await get(port, '/readyz');
    expect(readiness.status).toBe(503);
    expect(JSON.parse(readiness.body)).toMatchObject({ ready: false, draining: true });
    slow.release();
    expect(await held).toMatchObject({ status: 200, body: 'finished' });
    await closed;
    await expect(get(port, '/healthz')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('cuts a request that outlasts the grace period, and is closed then', async () => {
    const never = heldRoute();
    const service = createHttpService({ logger: captureLogs('silent').logger, readiness: [], routes: { '/never': never.handler } });
    const { port } = await service.listen(0);
    const stuck = get(port, '/never');
    await never.started;
    await service.close(200);
    await expect(stuck).rejects.toThrow(/socket hang up|ECONNRESET/);
    await expect(get(port, '/healthz')).rejects.toThrow(/ECONNREFUSED/);
    never.release();
  });

  it('answers /readyz with 503 and the failing dependency by name', async () => {
    const service = createHttpService({
      logger: captureLogs('silent').logger,
      routes: {},
      readiness: [
        { name: 'postgres', address: '127.0.0.1:5432', check: async () => {} },
        { name: 'redis', address: '127.0.0.1:6390', check: async () => Promise.reject(new Error('connect ECONNREFUSED')) },
      ],
    });
    const { port } = await service.listen(0);
    try {
      const { status, body } = await get(port, '/readyz');
      expect(status).toBe(503);
      expect(JSON.parse(body)).toEqual({
        ready: false,
        checks: {
          postgres: { status: 'up', address: '127.0.0.1:5432' },
          redis: { status: 'down', address: '127.0.0.1:6390', error: 'connect ECONNREFUSED' },
        },
      });
    } finally {
      await service.close();
    }
  });

  it('stays ready while a check that is not required is down, and lists it as degraded', async () => {
    const service = createHttpService({
      logger: captureLogs('silent').logger,
      routes: {},
      readiness: [
        { name: 'redis', address: '127.0.0.1:6379', check: async () => {} },
        { name: 'chat', address: 'http://chat/graphql', required: false, check: async () => Promise.reject(new Error('answered 503')) },
        { name: 'users', address: 'http://users/graphql', required: false, check: async () => {} },
      ],
    });
    const { port } = await service.listen(0);
    try {
      const { status, body } = await get(port, '/readyz');
      expect(status).toBe(200);
      expect(JSON.parse(body)).toEqual({
        ready: true,
        degraded: ['chat'],
        checks: {
          redis: { status: 'up', address: '127.0.0.1:6379' },
          chat: { status: 'down', address: 'http://chat/graphql', error: 'answered 503', required: false },
          users: { status: 'up', address: 'http://users/graphql', required: false },
        },
      });
    } finally {
      await service.close();
    }
  });

  it('keeps a safe caller request id and replaces an unsafe one', async () => {
    const service = createHttpService({ logger: captureLogs('silent').logger, routes: {}, readiness: [] });
    const { port } = await service.listen(0);
    try {
      const echoed = await new Promise<string>((resolve) => {
        request({ host: '127.0.0.1', port, path: '/healthz', headers: { 'x-request-id': 'abc-123' } }, (res) => {
          res.resume();
          resolve(String(res.headers['x-request-id']));
        }).end();
      });
      expect(echoed).toBe('abc-123');
      const replaced = await new Promise<string>((resolve) => {
        request({ host: '127.0.0.1', port, path: '/healthz', headers: { 'x-request-id': 'bad id; drop table' } }, (res) => {
          res.resume();
          resolve(String(res.headers['x-request-id']));
        }).end();
      });
      expect(replaced).toMatch(/^[0-9a-f-]{36}$/);
    } finally {
      await service.close();
    }
  });
  it('answers an unknown path 404 and a failed route 500 in the plain HTTP error shape, without the failure’s text', async () => {
    const logs = captureLogs('silent');
    const service = createHttpService({
      logger: logs.logger,
      routes: {
        '/boom': () => {
          throw new Error('connect ECONNREFUSED 10.0.0.5:5432');
        },
      },
      readiness: [],
    });
    const { port } = await service.listen(0);
    try {
      const missing = await get(port, '/nowhere');
      expect(missing.status).toBe(404);
      expect(JSON.parse(missing.body)).toEqual({ error: 'not_found', message: 'No route for /nowhere' });
      const failed = await get(port, '/boom');
      expect(failed.status).toBe(500);
      expect(JSON.parse(failed.body)).toEqual({
        error: 'internal',
        message: 'Internal server error',
        requestId: failed.headers['x-request-id'],
      });
    } finally {
      await service.close();
    }
  });

  describe('/metrics', () => {
    async function serving(telemetry: { scrapeToken?: string; publicPort?: boolean }) {
      const metrics = createMetrics({ service: 'test', runtime: false });
      const service = createHttpService({
        logger: captureLogs('silent').logger,
        readiness: [],
        routes: { '/hello': (_req, res) => void res.end('hi') },
        telemetry: { metrics, service: 'test', ...telemetry },
      });
      const { port } = await service.listen(0);
      return { port, close: () => service.close() };
    }

    it('counts each request by the route it matched, and unknown paths as one route', async () => {
      const { port, close } = await serving({});
      try {
        await get(port, '/hello');
        await get(port, '/no/such/path/123');
        const text = (await get(port, '/metrics')).body;
        expect(text).toMatch(/^parley_http_requests_total\{service="test",route="\/hello",method="GET",status="200"\} 1$/m);
        expect(text).toMatch(/^parley_http_requests_total\{service="test",route="other",method="GET",status="404"\} 1$/m);
        expect(text).not.toContain('/no/such/path');
      } finally {
        await close();
      }
    });

    it('on a public port without a token, answers its own network but not what came through a proxy', async () => {
      const { port, close } = await serving({ publicPort: true });
      try {
        expect((await get(port, '/metrics')).status).toBe(200);
        const proxied = await get(port, '/metrics', { 'x-forwarded-for': '203.0.113.9' });
        expect(proxied.status).toBe(403);
        expect(JSON.parse(proxied.body).message).toContain('METRICS_TOKEN');
      } finally {
        await close();
      }
    });

    it('with a token, answers only the bearer of that token', async () => {
      const { port, close } = await serving({ scrapeToken: 'a-long-enough-scrape-token', publicPort: true });
      try {
        expect((await get(port, '/metrics')).status).toBe(401);
        expect((await get(port, '/metrics', { authorization: 'Bearer a-long-enough-scrape-tokeX' })).status).toBe(401);
        expect(
          (await get(port, '/metrics', { authorization: 'Bearer a-long-enough-scrape-token', 'x-forwarded-for': '203.0.113.9' })).status,
        ).toBe(200);
      } finally {
        await close();
      }
    });
  });
});
