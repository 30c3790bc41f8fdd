import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startFakeUpstream } from '@parley/testing';
import { fakeDeployment, startModelsHarness, type ModelsHarness } from './support/models-harness';

type Fake = Awaited<ReturnType<typeof startFakeUpstream>>;

/**
 * Bound on giving up on a hanging or stalling deployment: the router's own
 * timeouts are 300 and 400 ms, the fakes never answer, and a busy machine
 * stretches the rest of the round trip by seconds, not by this much.
 */
const GIVES_UP_WITHIN_MS = 10_000;

describe('deployments that cannot be reached, hang, stall or are full', () => {
  let backup: Fake;
  let hanging: Fake;
  let narrow: Fake;
  let models: ModelsHarness;
  let releaseNarrow!: () => void;
  const narrowHeld = new Promise<void>((resolve) => (releaseNarrow = resolve));

  beforeAll(async () => {
    backup = await startFakeUpstream({ tokens: ['backup'] });
    // Never answers (until the router hangs up on it).
    hanging = await startFakeUpstream({ tokens: ['too', ' late'], beforeFirstToken: () => new Promise(() => {}) });
    // Holds its reply until the test has seen the overflow go elsewhere.
    narrow = await startFakeUpstream({ tokens: ['narrow'], beforeFirstToken: () => narrowHeld });
    const closedPort = await freePort();
    models = await startModelsHarness(
      {
        deployments: [
          fakeDeployment('unreachable', `http://127.0.0.1:${closedPort}/v1`, { priority: 1 }),
          fakeDeployment('backup', backup.baseUrl, { priority: 2 }),
          { ...fakeDeployment('hanging', hanging.baseUrl, { priority: 1, timeoutMs: 300 }), model: 'fake/hangs' },
          { ...fakeDeployment('backup-2', backup.baseUrl, { priority: 2 }), model: 'fake/hangs' },
          { ...fakeDeployment('narrow', narrow.baseUrl, { priority: 1, maxConcurrency: 1 }), model: 'fake/narrow' },
          { ...fakeDeployment('backup-3', backup.baseUrl, { priority: 2 }), model: 'fake/narrow' },
          { ...fakeDeployment('stalling', backup.baseUrl, { timeoutMs: 400 }), model: 'fake/stalls' },
        ],
      },
      { ROUTER_BASE_DELAY_MS: '1' },
    );
  });
  afterAll(async () => {
    releaseNarrow();
    await models?.stop();
    for (const fake of [backup, hanging, narrow]) await fake?.close();
  });

  const ask = (model: string) => models.client().chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });

  it('falls back when a deployment refuses connections', async () => {
    expect((await ask('fake/chat')).choices[0]!.message.content).toBe('backup');
  });

  it('gives up on a deployment that sends no first token in time, and uses the next', async () => {
    const started = Date.now();
    expect((await ask('fake/hangs')).choices[0]!.message.content).toBe('backup');
    expect(Date.now() - started).toBeLessThan(GIVES_UP_WITHIN_MS);
    // The router hung up on it: the fake itself never answers.
    await expect.poll(() => hanging.requests[0]?.aborted).toBe(true);
  });

  it('sends overflow to the next deployment when one is at its concurrency limit', async () => {
    const before = backup.requests.length;
    const answers = Promise.all([ask('fake/narrow'), ask('fake/narrow')]);
    // Both requests are routed while the narrow deployment still holds the first one.
    await expect.poll(() => [narrow.requests.length, backup.requests.length - before]).toEqual([1, 1]);
    releaseNarrow();
    expect((await answers).map((a) => a.choices[0]!.message.content).sort()).toEqual(['backup', 'narrow']);
  });

  it('cuts off a reply that stalls mid-stream instead of hanging, and does not retry it', async () => {
    const before = backup.requests.length;
    backup.queue({ tokens: ['partial', ' reply', ' never', ' ends'], stallAfterTokens: 2 });
    const started = Date.now();
    const stream = await models
      .client()
      .chat.completions.create({ model: 'fake/stalls', messages: [{ role: 'user', content: 'hi' }], stream: true });
    const seen: string[] = [];
    let failed = false;
    try {
      for await (const chunk of stream) if (chunk.choices[0]?.delta?.content) seen.push(chunk.choices[0].delta.content);
    } catch {
      failed = true;
    }
    expect(seen.join('')).toBe('partial reply');
    expect(failed).toBe(true);
    expect(Date.now() - started).toBeLessThan(GIVES_UP_WITHIN_MS);
    expect(backup.requests.length - before).toBe(1);
    await expect.poll(async () => (await models.usage()).at(-1)?.deployment).toBe('stalling');
    expect((await models.usage()).at(-1)).toMatchObject({ deployment: 'stalling', outcome: 'error' });
  });
});
