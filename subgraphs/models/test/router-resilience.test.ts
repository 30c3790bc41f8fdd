import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSkipAheadClock, startFakeUpstream } from '@parley/testing';
import { fakeDeployment, startModelsHarness, type ModelsHarness } from './support/models-harness';

/**
 * Longer than any test here runs, so the circuit stays open until the test
 * skips the service's clock past it (a 400 ms pause once ran out mid-test on a
 * busy machine, and a fourth request reached the failing deployment).
 */
const OPEN_MS = 60_000;
/** The slow deployment's first token, in the service's time: no stall of a busy machine comes near it. */
const SLOW_FIRST_TOKEN_MS = 10_000;

type Fake = Awaited<ReturnType<typeof startFakeUpstream>>;
const ask = (models: ModelsHarness, model: string, content = 'hi') =>
  models.client().chat.completions.create({ model, messages: [{ role: 'user', content }] });

describe('routing that survives failing and slow deployments', () => {
  let flaky: Fake;
  let steady: Fake;
  let slow: Fake;
  let fast: Fake;
  let models: ModelsHarness;
  const clock = createSkipAheadClock();

  beforeAll(async () => {
    flaky = await startFakeUpstream({ tokens: ['flaky'] });
    steady = await startFakeUpstream({ tokens: ['steady'] });
    // The router times first tokens on the service's clock: the slow deployment's takes ten seconds of it.
    slow = await startFakeUpstream({ tokens: ['slow'], beforeFirstToken: () => clock.skip(SLOW_FIRST_TOKEN_MS) });
    fast = await startFakeUpstream({ tokens: ['fast'] });
    models = await startModelsHarness(
      {
        deployments: [
          fakeDeployment('flaky', flaky.baseUrl, { priority: 1 }),
          fakeDeployment('steady', steady.baseUrl, { priority: 2 }),
          { ...fakeDeployment('slow', slow.baseUrl), model: 'fake/latency' },
          { ...fakeDeployment('fast', fast.baseUrl), model: 'fake/latency' },
        ],
        aliases: { quickest: { strategy: 'least-latency', targets: ['fake/latency'] } },
      },
      { CIRCUIT_MIN_FAILURES: '3', CIRCUIT_OPEN_MS: String(OPEN_MS), ROUTER_BASE_DELAY_MS: '1', HEALTH_CHECK_INTERVAL_MS: '0' },
      { clock },
    );
  });
  afterAll(async () => {
    await models?.stop();
    for (const fake of [flaky, steady, slow, fast]) await fake?.close();
  });

  it('opens the circuit of a failing deployment, then probes it and closes it when it recovers', async () => {
    flaky.setDefault({ status: 503 });
    for (let i = 0; i < 3; i++) expect((await ask(models, 'fake/chat')).choices[0]!.message.content).toBe('steady');
    expect(flaky.requests).toHaveLength(3);
    expect(models.service.states.get('flaky').breaker.state()).toBe('open');

    // Open: the failing deployment is not even tried.
    for (let i = 0; i < 3; i++) await ask(models, 'fake/chat');
    expect(flaky.requests).toHaveLength(3);

    // After the pause one probe goes through; it succeeds and the circuit closes.
    flaky.setDefault({ status: 0 });
    clock.skip(OPEN_MS);
    expect(models.service.states.get('flaky').breaker.state()).toBe('half-open');
    expect((await ask(models, 'fake/chat')).choices[0]!.message.content).toBe('flaky');
    expect(models.service.states.get('flaky').breaker.state()).toBe('closed');
    expect((await ask(models, 'fake/chat')).choices[0]!.message.content).toBe('flaky');
  });

  it('sends least-latency traffic to the deployment with the faster first token', async () => {
    const served: string[] = [];
    for (let i = 0; i < 8; i++) served.push((await ask(models, 'quickest')).choices[0]!.message.content!);
    // Both get measured first, then the fast one takes everything.
    expect(new Set(served.slice(0, 2))).toEqual(new Set(['slow', 'fast']));
    expect(served.slice(2)).toEqual(Array(6).fill('fast'));
    expect(models.service.states.get('slow').ttftMs!).toBeGreaterThan(models.service.states.get('fast').ttftMs!);
  });

  it('takes a deployment that fails its health check out of rotation, and back when it passes', async () => {
    steady.setHealth(500);
    await models.service.checkHealthNow();
    expect(models.service.states.get('steady').healthy).toBe(false);
    flaky.setDefault({ status: 503 });
    const error = await ask(models, 'fake/chat').catch((e: unknown) => e as { status: number; message: string });
    expect(error).toMatchObject({ status: 503 });
    expect((error as { message: string }).message).toMatch(/unavailable/);

    const healthy = await fetch(models.v1Url.replace('/v1', '/graphql'), {
      method: 'POST',
      headers: { ...models.internalHeaders, 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ models { id healthy } }' }),
    });
    expect(((await healthy.json()) as { data: { models: { id: string; healthy: boolean }[] } }).data.models).toContainEqual({
      id: 'fake/chat',
      healthy: false,
    });

    steady.setHealth(200);
    flaky.setDefault({ status: 0 });
    await models.service.checkHealthNow();
    expect(models.service.states.get('steady').healthy).toBe(true);
  });
});
