import { APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream } from '@parley/testing';
import { fakeDeployment, startModelsHarness, streamedText, type ModelsHarness } from './support/models-harness';

/**
 * SIGTERM, as the models service's host runs it (`drainSubgraph`): the replies it is streaming end as they would
 * have, are charged, and no new one starts, so the drain ends with what it held.
 */
describe('the models service draining for a restart', () => {
  let upstream: Awaited<ReturnType<typeof startFakeUpstream>>;
  let models: ModelsHarness;

  beforeAll(async () => {
    upstream = await startFakeUpstream({ tokens: ['Still', ' here', ' after', ' the', ' signal'] });
    models = await startModelsHarness({ deployments: [fakeDeployment('primary', upstream.baseUrl)] });
  });
  afterAll(async () => {
    await models?.stop();
    await upstream?.close();
  });

  it('finishes and records the reply it is streaming, and refuses to start another (503 overloaded, Retry-After) meanwhile', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    upstream.queue({ beforeFirstToken: () => held });
    // The service answers once the provider's first token is in: that is what the test holds.
    const text = streamedText(models.client(), 'Keep going');
    await expect.poll(() => upstream.chatRequests().length).toBe(1);

    const drained = models.drain();
    const refused = await models
      .client()
      .chat.completions.create({ model: 'fake/chat', messages: [{ role: 'user', content: 'A new one' }] })
      .then(
        () => null,
        (error: unknown) => error,
      );
    expect(refused).toBeInstanceOf(APIError);
    expect(refused).toMatchObject({ status: 503, code: 'overloaded' });
    expect((refused as APIError).headers?.get('retry-after')).toBe('1');
    // Refused before anything ran: the provider never heard of it.
    expect(upstream.chatRequests()).toHaveLength(1);

    release();
    expect(await text).toBe('Still here after the signal');
    await drained;
    expect(await models.usage()).toMatchObject([{ outcome: 'ok', completionTokens: 5 }]);
  });
});
