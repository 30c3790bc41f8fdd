import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkReadiness, createHttpService, type HttpService } from '@parley/runtime';
import { captureLogs, createManualClock } from '@parley/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { subgraphReadiness } from '../../src/subgraphs/subgraph-readiness';

type Mode = 'ready' | 'unready' | 'hangs';
const NAMES = ['users', 'chat', 'models', 'translation'] as const;

/**
 * Four subgraphs over real HTTP whose /readyz answers as each test sets it (200; 503 naming a dependency of
 * theirs that is down, as Parley's do; or never), behind the gateway's /readyz.
 */
describe("the gateway's readiness over its subgraphs' /readyz", () => {
  const modes: Record<string, Mode> = {};
  const probes: Record<string, number> = {};
  const servers: Server[] = [];
  const subgraphUrls: Record<string, string> = {};
  let gateway: HttpService;
  let gatewayPort: number;

  const readyz = async () => {
    const response = await fetch(`http://127.0.0.1:${gatewayPort}/readyz`);
    return { status: response.status, body: (await response.json()) as any };
  };

  beforeAll(async () => {
    for (const name of NAMES) {
      const server = createServer((req, res) => {
        if (req.url !== '/readyz') return void res.writeHead(404).end();
        probes[name] = (probes[name] ?? 0) + 1;
        if (modes[name] === 'hangs') return;
        const ready = modes[name] === 'ready';
        res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ready, checks: { postgres: { status: ready ? 'up' : 'down', address: '127.0.0.1:5432' } } }));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      servers.push(server);
      subgraphUrls[name] = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
    }
    // A fresh round for every /readyz (maxAgeMs 0), so each test sees the modes it set.
    gateway = createHttpService({
      logger: captureLogs('silent').logger,
      routes: {},
      readiness: subgraphReadiness({ subgraphUrls, probeTimeoutMs: 1_500, maxAgeMs: 0 }),
    });
    gatewayPort = (await gateway.listen(0)).port;
  });
  beforeEach(() => {
    for (const name of NAMES) modes[name] = 'ready';
  });
  afterAll(async () => {
    await gateway?.close();
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('is ready when every subgraph is, and reports each', async () => {
    const { status, body } = await readyz();
    expect(status).toBe(200);
    expect(body.degraded).toEqual([]);
    expect(Object.keys(body.checks).sort()).toEqual(['chat', 'models', 'subgraphs', 'translation', 'users']);
    expect(body.checks.chat).toEqual({ status: 'up', address: subgraphUrls['chat'], required: false });
  });

  it('stays ready with one subgraph of four not ready, naming it and why: every replica would go out with it', async () => {
    modes['chat'] = 'unready';
    const { status, body } = await readyz();
    expect(status).toBe(200);
    expect(body.ready).toBe(true);
    expect(body.degraded).toEqual(['chat']);
    expect(body.checks.chat).toMatchObject({ status: 'down', error: 'answered 503 (postgres down)' });
    expect(body.checks.users.status).toBe('up');
  });

  it('is not ready when no subgraph is, naming every one of them', async () => {
    for (const name of NAMES) modes[name] = 'unready';
    modes['translation'] = 'hangs';
    const { status, body } = await readyz();
    expect(status).toBe(503);
    expect(body.ready).toBe(false);
    expect(body.degraded).toEqual(['users', 'chat', 'models', 'translation']);
    expect(body.checks.subgraphs.status).toBe('down');
    expect(body.checks.subgraphs.error).toMatch(/^no subgraph is ready/);
    for (const name of NAMES) expect(body.checks.subgraphs.error).toContain(`${name}: `);
    expect(body.checks.translation.error).toBe('did not answer /readyz within 1500 ms');
  });

  it('asks the subgraphs once per round however often it is asked', async () => {
    const clock = createManualClock();
    const checks = subgraphReadiness({ subgraphUrls, maxAgeMs: 1_000, now: clock.millis });
    const before = { ...probes };
    for (let i = 0; i < 5; i++) await checkReadiness(checks);
    clock.advance(1_000);
    await checkReadiness(checks);
    for (const name of NAMES) expect(probes[name]! - (before[name] ?? 0)).toBe(2);
  });
});
