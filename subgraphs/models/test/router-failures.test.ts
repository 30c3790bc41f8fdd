import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startFakeUpstream } from '@parley/testing';
import { fakeDeployment, startModelsHarness, type ModelsHarness } from './support/models-harness';

type Fake = Awaited<ReturnType<typeof startFakeUpstream>>;

describe('deployments that cannot be reached, hang, stall or are full', () => {
  let backup: Fake;
  let hanging: Fake;
  let narrow: Fake;
  let models: ModelsHarness;

  beforeAll(async () => {
    backup = await startFakeUpstream({ tokens: ['backup'] });
    hanging = await startFakeUpstream({ tokens: ['too', ' late'], firstTokenDelayMs: 2_000 });
    narrow = await startFakeUpstream({ tokens: ['narrow'], firstTokenDelayMs: 300 });
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
    expect(Date.now() - started).toBeLessThan(1_500);
    await expect.poll(() => hanging.requests[0]?.aborted, { timeout: 2_000 }).toBe(true);
  });

  it('sends overflow to the next deployment when one is at its concurrency limit', async () => {
    const answers = await Promise.all([ask('fake/narrow'), ask('fake/narrow')]);
    expect(answers.map((a) => a.choices[0]!.message.content).sort()).toEqual(['backup', 'narrow']);
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
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(backup.requests.length - before).toBe(1);
    await expect.poll(async () => (await models.usage()).at(-1)?.deployment).toBe('stalling');
    expect((await models.usage()).at(-1)).toMatchObject({ deployment: 'stalling', outcome: 'error' });
  });
});
