import { captureLogs } from '@parley/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayOverStandIns, startStandInSubgraphs, type StandInSubgraphs } from '../support/stand-in-subgraphs';

type Answer = { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] };

const SETTINGS = 'mutation { updateSettings(input: { autoTranslate: true }) { autoTranslate } }';

/**
 * Over stand-in subgraphs whose "parley" can stop listening and start again on the same port (a restart), or cut
 * a request's connection once it has read it (a process dying mid-request).
 */
describe('a subgraph that restarts or drops a connection', () => {
  let standIns: StandInSubgraphs;
  let token: string;
  let gateway: { url: string; close(): Promise<void> };
  const logs = captureLogs('warn');

  const post = (query: string): Promise<Answer> =>
    fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query }),
    }).then((r) => r.json() as Promise<Answer>);
  const sentToParley = (fragment: string) => standIns.received.parley.filter((body) => body.includes(fragment)).length;
  /** Resolves once the gateway has found "parley" unreachable and is waiting to try again: the gap is then real. */
  const retrying = (since: number) =>
    expect
      .poll(
        () =>
          logs
            .lines()
            .slice(since)
            .filter((line) => line['msg'] === 'subgraph could not be reached; retrying' && line['subgraph'] === 'parley').length,
        { timeout: 10_000 },
      )
      .toBeGreaterThan(0);

  beforeAll(async () => {
    standIns = await startStandInSubgraphs();
    token = await standIns.signIn('restarts@example.com');
    // A budget far longer than any gap below, so that a busy machine never turns a wait into a failure.
    gateway = await startGatewayOverStandIns(standIns, {
      logger: logs.logger,
      protection: { subgraphTimeoutMs: 25_000, subgraphRetryBudgetMs: 20_000 },
    });
  });
  afterEach(async () => {
    await standIns.subgraphs.parley.start().catch(() => undefined);
    standIns.subgraphs.parley.cutNext(0);
  });
  afterAll(async () => {
    await gateway?.close();
    await standIns?.close();
  });

  it('answers a query sent while the subgraph is down once it is back', async () => {
    await standIns.subgraphs.parley.stop();
    const since = logs.lines().length;
    const answer = post('{ me { email } }');
    await retrying(since);
    await standIns.subgraphs.parley.start();
    expect(await answer).toEqual({ data: { me: { email: 'restarts@example.com' } } });
  });

  it('runs a mutation sent while the subgraph refused connections once it is back, and once only', async () => {
    const before = sentToParley('updateSettings');
    await standIns.subgraphs.parley.stop();
    const since = logs.lines().length;
    const answer = post(SETTINGS);
    await retrying(since);
    await standIns.subgraphs.parley.start();
    expect(await answer).toEqual({ data: { updateSettings: { autoTranslate: true } } });
    expect(sentToParley('updateSettings') - before).toBe(1);
  });

  it('sends a read again when the connection broke after the subgraph had read it', async () => {
    const before = sentToParley('email');
    standIns.subgraphs.parley.cutNext(1);
    expect(await post('{ me { email } }')).toEqual({ data: { me: { email: 'restarts@example.com' } } });
    expect(sentToParley('email') - before).toBe(2);
  });

  it('never sends a mutation twice when the connection broke after the subgraph had read it: it may have run', async () => {
    const before = sentToParley('updateSettings');
    standIns.subgraphs.parley.cutNext(1);
    const answer = await post(SETTINGS);
    expect(answer.data).toBeNull();
    expect(answer.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/parley service could not be reached/),
      extensions: { code: 'UPSTREAM_UNAVAILABLE' },
    });
    expect(sentToParley('updateSettings') - before).toBe(1);
  });
});

describe('a subgraph down for longer than the retry budget', () => {
  let standIns: StandInSubgraphs;
  let gateway: { url: string; close(): Promise<void> };

  beforeAll(async () => {
    standIns = await startStandInSubgraphs();
    gateway = await startGatewayOverStandIns(standIns, { protection: { subgraphTimeoutMs: 10_000, subgraphRetryBudgetMs: 300 } });
  });
  afterAll(async () => {
    await gateway?.close();
    await standIns?.close();
  });

  it('is reported as retriable UPSTREAM_UNAVAILABLE naming it once the budget is spent, long before the timeout', async () => {
    await standIns.subgraphs.parley.stop();
    const token = await standIns.signIn('budget@example.com');
    const started = Date.now();
    const answer = (await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ me { email } }' }),
    }).then((r) => r.json())) as Answer;
    // The 300 ms budget, not the 10 s timeout: generous for a busy machine, far below the timeout.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(answer.errors?.[0]).toMatchObject({
      message: 'The parley service could not be reached; its part of the answer is missing.',
      extensions: { code: 'UPSTREAM_UNAVAILABLE' },
    });
    expect(standIns.received.parley).toEqual([]);
  });
});
