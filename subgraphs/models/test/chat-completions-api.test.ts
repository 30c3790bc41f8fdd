import { APIError } from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream } from '@parley/testing';
import { fakeDeployment, startModelsHarness, type ModelsHarness } from './support/models-harness';

type Fake = Awaited<ReturnType<typeof startFakeUpstream>>;

describe('the OpenAI-compatible API of the models service (official SDK, fake upstream over real HTTP)', () => {
  let primary: Fake;
  let backup: Fake;
  let models: ModelsHarness;

  beforeAll(async () => {
    primary = await startFakeUpstream();
    backup = await startFakeUpstream({ tokens: ['Backup', ' here'] });
    models = await startModelsHarness(
      {
        deployments: [
          fakeDeployment('primary', primary.baseUrl, { priority: 1 }),
          fakeDeployment('backup', backup.baseUrl, { priority: 2 }),
          {
            ...fakeDeployment('cheap', backup.baseUrl),
            model: 'fake/cheap',
            inputPricePerMTok: 0.1,
            outputPricePerMTok: 0.2,
            contextWindow: 100,
          },
        ],
        aliases: { 'fake-any': { strategy: 'cheapest', targets: ['fake/chat', 'fake/cheap'] } },
      },
      { ROUTER_BASE_DELAY_MS: '1' },
    );
  });
  afterAll(async () => {
    await models?.stop();
    await primary?.close();
    await backup?.close();
  });
  afterEach(() => {
    primary.requests.length = 0;
    backup.requests.length = 0;
  });

  it('streams a reply as OpenAI does, with the final usage chunk, and records cost = tokens × price', async () => {
    const stream = await models.client().chat.completions.create({
      model: 'fake/chat',
      messages: [{ role: 'user', content: 'Say hello' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const deltas: string[] = [];
    let usage;
    for await (const chunk of stream) {
      expect(chunk.object).toBe('chat.completion.chunk');
      if (chunk.choices[0]?.delta?.content) deltas.push(chunk.choices[0].delta.content);
      if (chunk.usage) usage = chunk.usage;
    }
    expect(deltas.join('')).toBe('Hello from upstream');
    expect(usage).toEqual({ prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 });
    expect(primary.requests[0]!.authorization).toBe('Bearer sk-fake');
    // A streamed reply's usage record is written in a batch just after the stream ends.
    await expect.poll(async () => (await models.usage()).at(-1)?.completionTokens).toBe(3);
    const [record] = (await models.usage()).slice(-1);
    expect(record).toMatchObject({ deployment: 'primary', promptTokens: 11, completionTokens: 3, outcome: 'ok' });
    expect(record!.costUsd).toBeCloseTo((11 * 2 + 3 * 10) / 1e6, 12);
  });

  it('answers without streaming, with usage, at the same price', async () => {
    const reply = await models.client().chat.completions.create({ model: 'fake/chat', messages: [{ role: 'user', content: 'Say hello' }] });
    expect(reply.object).toBe('chat.completion');
    expect(reply.choices[0]!.message.content).toBe('Hello from upstream');
    expect(reply.usage).toEqual({ prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 });
    const [record] = (await models.usage()).slice(-1);
    expect(record!.costUsd).toBeCloseTo((11 * 2 + 3 * 10) / 1e6, 12);
  });

  it('falls back to the next deployment when the first fails before any token', async () => {
    primary.queue({ status: 500 });
    const reply = await models.client().chat.completions.create({ model: 'fake/chat', messages: [{ role: 'user', content: 'hi' }] });
    expect(reply.choices[0]!.message.content).toBe('Backup here');
    expect(primary.requests).toHaveLength(1);
    expect(backup.requests).toHaveLength(1);
    expect((await models.usage()).at(-1)).toMatchObject({ deployment: 'backup', outcome: 'ok' });
  });

  it('honours Retry-After: a 429ed deployment is left alone until then', async () => {
    // Longer than the test runs, however slowly: "then" cannot come between the two requests.
    primary.queue({ status: 429, retryAfterSeconds: 60 });
    await models.client().chat.completions.create({ model: 'fake/chat', messages: [{ role: 'user', content: 'one' }] });
    await models.client().chat.completions.create({ model: 'fake/chat', messages: [{ role: 'user', content: 'two' }] });
    expect(primary.requests).toHaveLength(1);
    expect(backup.requests).toHaveLength(2);
    models.service.states.get('primary').coolingUntil = 0;
  });

  it('never retries, nor charges twice, once tokens have been streamed', async () => {
    primary.queue({ tokens: ['one', ' two', ' three', ' four'], disconnectAfterTokens: 2 });
    const before = (await models.usage()).length;
    const stream = await models
      .client()
      .chat.completions.create({ model: 'fake/chat', messages: [{ role: 'user', content: 'count' }], stream: true });
    const seen: string[] = [];
    let failure: unknown;
    try {
      for await (const chunk of stream) if (chunk.choices[0]?.delta?.content) seen.push(chunk.choices[0].delta.content);
    } catch (error) {
      failure = error;
    }
    expect(seen.join('')).toBe('one two');
    expect(failure).toBeDefined();
    expect(primary.requests).toHaveLength(1);
    expect(backup.requests).toHaveLength(0);
    // Usage is written in small batches right after the stream ends.
    await expect.poll(async () => (await models.usage()).length - before).toBe(1);
    await new Promise((r) => setTimeout(r, 100));
    const records = (await models.usage()).slice(before);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ deployment: 'primary', outcome: 'error' });
    // The provider never reported usage, so the streamed tokens were counted, not recorded as zero.
    expect(records[0]!.completionTokens).toBeGreaterThan(0);
  });

  it('aborts the upstream request when the client goes away', async () => {
    // Twenty seconds of reply: it cannot end by itself before the client's leaving reaches it.
    primary.queue({ tokens: Array.from({ length: 1_000 }, (_, i) => ` t${i}`), tokenDelayMs: 20 });
    const controller = new AbortController();
    const stream = await models
      .client()
      .chat.completions.create(
        { model: 'fake/chat', messages: [{ role: 'user', content: 'long' }], stream: true },
        { signal: controller.signal },
      );
    let count = 0;
    try {
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta?.content && ++count === 3) controller.abort();
      }
    } catch {
      // aborted by us
    }
    await expect.poll(() => primary.requests[0]?.aborted).toBe(true);
    await expect.poll(async () => (await models.usage()).at(-1)?.outcome).toBe('cancelled');
  });

  it('chooses the cheapest deployment that fits the context window for a "cheapest" alias', async () => {
    const reply = await models.client().chat.completions.create({ model: 'fake-any', messages: [{ role: 'user', content: 'short' }] });
    expect(reply.model).toBe('fake/cheap');
    const long = 'word '.repeat(150);
    const fits = await models.client().chat.completions.create({ model: 'fake-any', messages: [{ role: 'user', content: long }] });
    expect(fits.model).toBe('fake/chat');
  });

  it('refuses an unknown model with 400, listing what is available', async () => {
    const error = await models
      .client()
      .chat.completions.create({ model: 'no/such-model', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).status).toBe(400);
    expect((error as APIError).message).toMatch(/Unknown model "no\/such-model"; available: fake-any, fake\/chat, fake\/cheap/);
    expect((error as APIError).code).toBe('model_not_found');
  });

  it('refuses messages over the context window before any upstream call', async () => {
    const error = (await models
      .client()
      .chat.completions.create({ model: 'fake/chat', messages: [{ role: 'user', content: 'word '.repeat(2_000) }] })
      .catch((e: unknown) => e)) as APIError;
    expect(error.status).toBe(400);
    expect(error.code).toBe('context_length_exceeded');
    expect(error.message).toMatch(/takes at most 1000/);
    expect(primary.requests).toHaveLength(0);
    expect(backup.requests).toHaveLength(0);
  });

  it('answers malformed requests with OpenAI-style 400 bodies', async () => {
    const post = (body: unknown) =>
      fetch(`${models.v1Url}/chat/completions`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${(models.client() as unknown as { apiKey: string }).apiKey}`,
          'x-parley-user-id': '00000000-0000-4000-8000-000000000001',
        },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
    const notJson = await post('{ nope');
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toEqual({
      error: { message: 'We could not parse the JSON body of your request.', type: 'invalid_request_error', param: null, code: null },
    });
    const noMessages = await post({ model: 'fake/chat', messages: [] });
    expect(noMessages.status).toBe(400);
    expect(await noMessages.json()).toMatchObject({ error: { type: 'invalid_request_error', param: 'messages' } });
    const badRole = await post({ model: 'fake/chat', messages: [{ role: 'robot', content: 'x' }] });
    expect(((await badRole.json()) as { error: { param: string } }).error.param).toBe('messages.0.role');
    const noAuth = await fetch(`${models.v1Url}/models`);
    expect(noAuth.status).toBe(401);
    expect(((await noAuth.json()) as { error: { type: string } }).error.type).toBe('authentication_error');
  });

  it('lists models and aliases at /v1/models', async () => {
    const list = await models.client().models.list();
    expect(list.data.map((m) => m.id)).toEqual(['fake-any', 'fake/chat', 'fake/cheap']);
  });
});
