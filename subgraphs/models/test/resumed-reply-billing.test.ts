import { randomUUID } from 'node:crypto';
import { startFakeUpstream } from '@parley/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeDeployment, startModelsHarness, type ModelsHarness } from './support/models-harness';

/**
 * The chat worker resumes a reply by asking the models service again for the whole text, under the same message id,
 * and shows the user only what they had not seen; the attempt its dead predecessor left behind was cut off mid-stream.
 */
describe('a reply asked for again after its worker died is charged once', () => {
  const words = Array.from({ length: 40 }, (_, i) => ` word${i}`);
  let upstream: Awaited<ReturnType<typeof startFakeUpstream>>;
  let models: ModelsHarness;

  beforeAll(async () => {
    // Twenty milliseconds a word: the first attempt is cut off long before its end, however slowly the machine runs.
    upstream = await startFakeUpstream({ tokens: words, tokenDelayMs: 20 });
    models = await startModelsHarness({ deployments: [fakeDeployment('only', upstream.baseUrl)] });
  });
  afterAll(async () => {
    await models?.stop();
    await upstream?.close();
  });

  const request = {
    model: 'fake/chat',
    messages: [{ role: 'user' as const, content: 'Tell me a long story' }],
    stream: true as const,
    stream_options: { include_usage: true },
  };
  const recordsOf = async (messageId: string) => (await models.usage()).filter((r) => r.messageId === messageId);

  /** As a worker that dies mid-reply: its connection closes after a few words. */
  async function interruptedAttempt(userId: string, messageId: string) {
    const dying = new AbortController();
    const stream = await models
      .client(userId, { 'x-parley-message-id': messageId })
      .chat.completions.create(request, { signal: dying.signal });
    let seen = 0;
    try {
      for await (const chunk of stream) if (chunk.choices[0]?.delta?.content && ++seen === 5) dying.abort();
    } catch {
      // the abort
    }
    await expect.poll(async () => (await recordsOf(messageId)).map((r) => r.outcome)).toContain('cancelled');
  }

  async function completeAttempt(userId: string, messageId: string) {
    let text = '';
    const stream = await models.client(userId, { 'x-parley-message-id': messageId }).chat.completions.create(request);
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    return text;
  }

  it('charges the attempt that ended the reply, and keeps the interrupted one, superseded, with its tokens', async () => {
    const user = randomUUID();
    const message = randomUUID();
    await interruptedAttempt(user, message);
    const [abandoned] = await recordsOf(message);
    expect((await models.service.budgets.spent(user)).dayUsd).toBeCloseTo(abandoned!.costUsd, 6);

    expect(await completeAttempt(user, message)).toBe(words.join(''));
    await expect.poll(async () => (await recordsOf(message)).length).toBe(2);
    const [first, last] = await recordsOf(message);
    expect(last).toMatchObject({ outcome: 'ok', supersededBy: null, completionTokens: words.length });
    // Still recorded as the cancelled attempt it was, with what the provider billed for it, and what replaced it.
    expect(first).toMatchObject({ id: abandoned!.id, outcome: 'cancelled', supersededBy: last!.id });
    expect(first!.completionTokens).toBeGreaterThan(0);
    expect(first!.costUsd).toBeGreaterThan(0);
    // The user's spending counts the reply once: the interrupted attempt's charge is given back.
    await expect.poll(async () => (await models.service.budgets.spent(user)).dayUsd, { interval: 20 }).toBeCloseTo(last!.costUsd, 6);
  });

  it('charges only the last of several attempts, and never touches another message', async () => {
    const user = randomUUID();
    const [resumed, other] = [randomUUID(), randomUUID()];
    await completeAttempt(user, other);
    await interruptedAttempt(user, resumed);
    await interruptedAttempt(user, resumed);
    await completeAttempt(user, resumed);
    await expect.poll(async () => (await recordsOf(resumed)).length).toBe(3);
    const attempts = await recordsOf(resumed);
    const last = attempts[2]!;
    expect(attempts.map((r) => [r.outcome, r.supersededBy])).toEqual([
      ['cancelled', attempts[1]!.id],
      ['cancelled', last.id],
      ['ok', null],
    ]);
    const [untouched] = await recordsOf(other);
    expect(untouched!.supersededBy).toBeNull();
    await expect
      .poll(async () => (await models.service.budgets.spent(user)).dayUsd, { interval: 20 })
      .toBeCloseTo(untouched!.costUsd + last.costUsd, 6);
  });
});
