import { startFakeUpstream, startOwnRedis, type OwnService } from '@parley/testing';
import Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeDeployment, startModelsHarness, streamedText, type ModelsHarness } from './support/models-harness';

/**
 * A reply's answer ends before its budget is settled (a Redis round trip) and its usage stored. A drain that
 * stopped at the last answer lost that charge's record at exit: the fault suite's "completed, and no usage recorded".
 * On this suite's own redis-server, whose writes it pauses.
 */
describe('the models service draining while a reply is being settled (own redis-server)', () => {
  let upstream: Awaited<ReturnType<typeof startFakeUpstream>>;
  let own: OwnService;
  let models: ModelsHarness;
  let control: Redis;

  beforeAll(async () => {
    upstream = await startFakeUpstream({ tokens: ['Settled', ' after', ' the', ' answer'] });
    own = await startOwnRedis({ appendonly: false });
    control = new Redis(own.url);
    models = await startModelsHarness({ deployments: [fakeDeployment('only', upstream.baseUrl)] }, {}, { redisUrl: own.url });
  });
  afterAll(async () => {
    await models?.stop();
    control?.disconnect();
    await own?.remove();
    await upstream?.close();
  });

  it('records the usage of a reply whose settlement was still on its way when the drain began', async () => {
    const reply = await models.client().chat.completions.create({ model: 'fake/chat', messages: [{ role: 'user', content: 'Hi' }] });
    expect(reply.choices[0]!.message.content).toBe('Settled after the answer');
    await expect.poll(async () => (await models.usage()).length).toBe(1);

    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    upstream.queue({ beforeFirstToken: () => held });
    // Streamed, as the chat worker asks: the answer ends before the settlement (a non-streamed one waits for it).
    const answered = streamedText(models.client(), 'Again');
    await expect.poll(() => upstream.chatRequests().length).toBe(2);
    // Its budget was reserved at the start; its settlement, once the answer is out, waits for Redis to take writes.
    await control.call('CLIENT', 'PAUSE', '1500', 'WRITE');
    release();
    expect(await answered).toBe('Settled after the answer');
    await models.drain();

    expect(await models.usage()).toMatchObject([{ outcome: 'ok' }, { outcome: 'ok', completionTokens: 4 }]);
  });
});
