import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayOverStandIns, startStandInSubgraphs, type StandInSubgraphs } from '../support/stand-in-subgraphs';

type Report = { ready: boolean; degraded: string[]; checks: Record<string, { status: string; error?: string }> };

/**
 * The gateway's /readyz over stand-in subgraphs whose own /readyz can be made to answer 503 (a dependency of
 * theirs is down) and which can stop listening. A load balancer takes a gateway out on 503.
 */
describe("the gateway's /readyz", () => {
  let standIns: StandInSubgraphs;
  let gateway: { url: string; close(): Promise<void> };
  const readyz = async () => {
    const response = await fetch(new URL('/readyz', gateway.url));
    return { status: response.status, report: (await response.json()) as Report };
  };
  // The gateway probes its subgraphs at most once a second: what a test changed shows within a round or two.
  const eventually = (check: (answer: Awaited<ReturnType<typeof readyz>>) => boolean) =>
    expect.poll(async () => check(await readyz()), { timeout: 15_000, interval: 200 }).toBe(true);

  beforeAll(async () => {
    standIns = await startStandInSubgraphs();
    gateway = await startGatewayOverStandIns(standIns);
  });
  afterEach(async () => {
    standIns.subgraphs.parley.setReady(true);
    standIns.subgraphs.translation.setReady(true);
    await standIns.subgraphs.parley.start().catch(() => undefined);
    await eventually(({ status, report }) => status === 200 && report.degraded.length === 0);
  });
  afterAll(async () => {
    await gateway?.close();
    await standIns?.close();
  });

  it('reports every subgraph as up when they all are', async () => {
    const { status, report } = await readyz();
    expect(status).toBe(200);
    expect(report.checks['parley']?.status).toBe('up');
    expect(report.checks['translation']?.status).toBe('up');
  });

  it("stays ready while one subgraph's /readyz answers 503, naming it as degraded", async () => {
    standIns.subgraphs.translation.setReady(false);
    await eventually(({ report }) => report.degraded.includes('translation'));
    const { status, report } = await readyz();
    expect(status).toBe(200);
    expect(report.degraded).toEqual(['translation']);
    expect(report.checks['translation']).toMatchObject({ status: 'down', error: 'answered 503 (stand-in-dependency down)' });
    expect(report.checks['parley']?.status).toBe('up');
  });

  it('answers 503 naming the subgraphs when none can serve: one not ready, the other not listening', async () => {
    standIns.subgraphs.translation.setReady(false);
    await standIns.subgraphs.parley.stop();
    await eventually(({ status }) => status === 503);
    const { report } = await readyz();
    expect(report.ready).toBe(false);
    expect(report.degraded.sort()).toEqual(['parley', 'translation']);
    expect(report.checks['subgraphs']?.error).toMatch(/^no subgraph is ready, so nothing can be served/);
    expect(report.checks['subgraphs']?.error).toContain('parley: cannot be reached (ECONNREFUSED)');
    expect(report.checks['subgraphs']?.error).toContain('translation: answered 503');
  });

  it('is ready again as soon as one subgraph is', async () => {
    standIns.subgraphs.translation.setReady(false);
    standIns.subgraphs.parley.setReady(false);
    await eventually(({ status }) => status === 503);
    standIns.subgraphs.parley.setReady(true);
    await eventually(({ status, report }) => status === 200 && report.degraded.join() === 'translation');
  });
});
