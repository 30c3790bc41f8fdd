import { readFileSync, writeFileSync } from 'node:fs';
import { CreateApiKeyDocument, MyUsageDocument, RevokeApiKeyDocument } from '@parley/client';
import { postGraphQL, startFakeUpstream } from '@parley/testing';
import { registerUser } from '@parley/testing/parley-client';
import OpenAI from 'openai';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatformUnderTest, type PlatformUnderTest } from '../../src/testing/platform-under-test';
import { testModelsSettings } from '../../src/testing/test-models-config';

type FakeUpstream = Awaited<ReturnType<typeof startFakeUpstream>>;

/**
 * The test models plus "fake/slow", a priced-at-nothing deployment served by a
 * fake provider that records whether its caller went away; and no daily budget,
 * so any priced model ("broken/model") is refused before it is even tried.
 */
function partnerModelsSettings(fake: FakeUpstream): Record<string, string> {
  const settings = testModelsSettings();
  const config = parse(readFileSync(settings['MODELS_CONFIG']!, 'utf8')) as { deployments: Record<string, unknown>[] };
  config.deployments.push({
    id: 'fake-slow',
    model: 'fake/slow',
    displayName: 'A provider that takes its time',
    provider: 'openai',
    baseUrl: fake.baseUrl,
    apiKeyEnv: 'FAKE_PROVIDER_KEY',
    upstreamModel: 'upstream-model',
    contextWindow: 8_192,
    inputPricePerMTok: 0,
    outputPricePerMTok: 0,
  });
  writeFileSync(settings['MODELS_CONFIG']!, stringify(config));
  return { ...settings, FAKE_PROVIDER_KEY: 'sk-fake', DEFAULT_DAILY_BUDGET_USD: '0' };
}

describe('the OpenAI-compatible API for partners, at the gateway', () => {
  let platform: PlatformUnderTest;
  let fake: FakeUpstream;
  let origin: string;
  let n = 0;

  /** A partner as they start out: an account, and a key made for the models API. */
  const partner = async (scopes = ['models']) => {
    const { token: accessToken, id: userId } = await registerUser(platform.url, `partner${++n}-${Date.now()}@example.com`);
    const created = await postGraphQL(platform.url, CreateApiKeyDocument, {
      token: accessToken,
      variables: { name: 'integration', scopes },
    });
    expect(created.body.errors).toBeUndefined();
    const { key, apiKey } = created.body.data!.createApiKey;
    return { userId, accessToken, key, keyId: apiKey.id };
  };
  /** The official SDK as a partner configures it: only the base URL differs from talking to OpenAI. */
  const sdk = (apiKey: string, options: ConstructorParameters<typeof OpenAI>[0] = {}) =>
    new OpenAI({ baseURL: `${origin}/v1`, apiKey, ...options });
  /** The error an SDK call fails with. */
  const failure = async (call: Promise<unknown>) => {
    const outcome = await call.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(outcome, 'the call should have failed').toBeInstanceOf(OpenAI.APIError);
    return outcome as InstanceType<typeof OpenAI.APIError>;
  };
  const echo = (content: string) => ({ model: 'dev/echo', messages: [{ role: 'user' as const, content }] });

  beforeAll(async () => {
    // Fifty seconds of reply: a partner hanging up is what ends it, never the reply itself, however slow the machine.
    fake = await startFakeUpstream({ tokens: Array.from({ length: 1_000 }, (_, i) => `word${i} `), tokenDelayMs: 50 });
    platform = await startPlatformUnderTest({ settings: partnerModelsSettings(fake) });
    origin = new URL(platform.url).origin;
  });
  afterAll(async () => {
    await platform?.stop();
    await fake?.close();
  });

  describe('with an API key that has the "models" scope', () => {
    it('answers a chat completion in OpenAI’s shape', async () => {
      const { key } = await partner();
      const completion = await sdk(key).chat.completions.create(echo('Hello there'));
      expect(completion).toMatchObject({
        object: 'chat.completion',
        model: 'dev/echo',
        choices: [{ index: 0, message: { role: 'assistant', content: 'Echo: Hello there' }, finish_reason: 'stop' }],
      });
      expect(completion.id).toMatch(/^chatcmpl-/);
      expect(completion.usage!.completion_tokens).toBeGreaterThan(0);
      expect(completion.usage!.total_tokens).toBe(completion.usage!.prompt_tokens + completion.usage!.completion_tokens);
    });

    it('streams a completion over Server-Sent Events, chunk by chunk, ending with the usage when asked', async () => {
      const { key } = await partner();
      const stream = await sdk(key).chat.completions.create({
        ...echo('one two three four five'),
        stream: true,
        stream_options: { include_usage: true },
      });
      const chunks: OpenAI.ChatCompletionChunk[] = [];
      for await (const chunk of stream) chunks.push(chunk);
      const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
      expect(text).toBe('Echo: one two three four five');
      expect(chunks.filter((chunk) => chunk.choices[0]?.delta.content).length).toBeGreaterThan(1);
      expect(chunks.every((chunk) => chunk.object === 'chat.completion.chunk' && chunk.id === chunks[0]!.id)).toBe(true);
      expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe('stop');
      expect(chunks.at(-1)!.usage!.completion_tokens).toBeGreaterThan(0);
    });

    it('lists the models it can call', async () => {
      const { key } = await partner();
      const models = [];
      for await (const model of sdk(key).models.list()) models.push(model);
      expect(models.map((model) => model.id)).toEqual(expect.arrayContaining(['dev/echo', 'dev/slow', 'broken/model', 'fake/slow']));
      expect(models.find((model) => model.id === 'dev/echo')).toMatchObject({ object: 'model', owned_by: 'dev' });
    });

    it('counts what the key used against the key’s owner, as their own usage in the graph', async () => {
      const owner = await partner();
      const bystander = await partner();
      const client = sdk(owner.key);
      await client.chat.completions.create(echo('first'));
      const stream = await client.chat.completions.create({ ...echo('second'), stream: true });
      for await (const _chunk of stream);

      const usageOf = async (token: string) => (await postGraphQL(platform.url, MyUsageDocument, { token })).body.data!.myUsage;
      // A streamed reply's record is stored just after its last chunk.
      await expect.poll(async () => (await usageOf(owner.accessToken)).requests).toBe(2);
      const usage = await usageOf(owner.accessToken);
      expect(usage.byModel).toEqual([{ model: 'dev/echo', requests: 2, costUsd: 0 }]);
      expect(usage.promptTokens).toBeGreaterThan(0);
      expect(usage.completionTokens).toBeGreaterThan(0);
      expect((await usageOf(bystander.accessToken)).requests).toBe(0);
    });

    it('passes the models service’s refusal of an unknown model on as it came', async () => {
      const { key } = await partner();
      const error = await failure(sdk(key).chat.completions.create({ ...echo('hi'), model: 'nobody/such-model' }));
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      expect(error.status).toBe(400);
      expect(error.error).toMatchObject({ type: 'invalid_request_error', code: 'model_not_found', param: 'model' });
      expect(error.message).toMatch(/Unknown model "nobody\/such-model"; available: .*dev\/echo/);
    });

    it('passes a spent budget on as OpenAI’s insufficient_quota, with its status', async () => {
      const { key } = await partner();
      const error = await failure(sdk(key, { maxRetries: 0 }).chat.completions.create({ ...echo('hi'), model: 'broken/model' }));
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      expect(error.status).toBe(429);
      expect(error.error).toMatchObject({ type: 'insufficient_quota', code: 'budget_exceeded' });
      expect(error.message).toMatch(/daily budget of \$0\.00 is used up/);
    });

    it('stops the provider’s work when the partner hangs up mid-stream', async () => {
      const { key } = await partner();
      const stream = await sdk(key).chat.completions.create({ ...echo('a long answer, please'), model: 'fake/slow', stream: true });
      const received: string[] = [];
      // Leaving the loop is how an SDK user hangs up: the SDK aborts its HTTP request.
      for await (const chunk of stream) {
        received.push(chunk.choices[0]?.delta.content ?? '');
        if (received.length === 3) break;
      }
      expect(received.join('')).toMatch(/^word0 word1 /);
      const providerCall = fake.chatRequests().find((request) => request.body.messages.at(-1)?.content === 'a long answer, please')!;
      expect(providerCall.body.stream).toBe(true);
      await expect.poll(() => providerCall.aborted).toBe(true);
    });

    it('stops the provider’s work when the partner gives up waiting for a whole reply', async () => {
      const { key } = await partner();
      const giveUp = new AbortController();
      const pending = sdk(key).chat.completions.create({ ...echo('take your time'), model: 'fake/slow' }, { signal: giveUp.signal });
      await expect.poll(() => fake.chatRequests().some((request) => request.body.messages.at(-1)?.content === 'take your time')).toBe(true);
      giveUp.abort();
      await expect(pending).rejects.toBeInstanceOf(OpenAI.APIUserAbortError);
      const providerCall = fake.chatRequests().find((request) => request.body.messages.at(-1)?.content === 'take your time')!;
      await expect.poll(() => providerCall.aborted).toBe(true);
    });

    it('answers a body that is not JSON with 400 in OpenAI’s shape', async () => {
      const { key } = await partner();
      const response = await fetch(`${origin}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: '{"model": "dev/echo", "messages": [',
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        error: { message: 'We could not parse the JSON body of your request.', type: 'invalid_request_error', param: null, code: null },
      });
    });

    it('refuses a body over 4 MB with 413', async () => {
      const { key } = await partner();
      const response = await fetch(`${origin}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ ...echo('x'.repeat(4_000_001)) }),
      });
      expect(response.status).toBe(413);
      expect(await response.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'request_too_large' } });
    });

    it('answers a method a route does not take with 405 and the one it does', async () => {
      const { key } = await partner();
      const response = await fetch(`${origin}/v1/models`, { method: 'DELETE', headers: { authorization: `Bearer ${key}` } });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('GET');
      expect(await response.json()).toMatchObject({ error: { message: 'Use GET for /v1/models.', type: 'invalid_request_error' } });
    });
  });

  describe('who may call', () => {
    it('refuses a call without a key with 401', async () => {
      const anonymous = sdk('unused', { defaultHeaders: { authorization: null } });
      const error = await failure(anonymous.chat.completions.create(echo('hi')));
      expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
      expect(error.error).toMatchObject({ type: 'authentication_error', code: 'invalid_api_key' });
      expect(error.headers?.get('www-authenticate')).toMatch(/^Bearer /);
      expect(await failure(anonymous.models.list())).toBeInstanceOf(OpenAI.AuthenticationError);
    });

    it('refuses a revoked key with 401, though it worked until then', async () => {
      const { key, keyId, accessToken } = await partner();
      await sdk(key).chat.completions.create(echo('still mine'));
      await postGraphQL(platform.url, RevokeApiKeyDocument, { token: accessToken, variables: { id: keyId } });
      const error = await failure(sdk(key).chat.completions.create(echo('hi')));
      expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
      expect(error.message).toMatch(/not valid or was revoked/);
    });

    it('refuses a key that was never issued with 401', async () => {
      const error = await failure(sdk(`pk_${'0'.repeat(32)}_${'x'.repeat(40)}`).models.list());
      expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    });

    it('refuses a key without the "models" scope with 403, naming the scope', async () => {
      const { key } = await partner(['chat']);
      const error = await failure(sdk(key).chat.completions.create(echo('hi')));
      expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);
      expect(error.error).toMatchObject({ type: 'permission_error', code: 'insufficient_scope' });
      expect(error.message).toMatch(/lacks the "models" scope/);
      expect(await failure(sdk(key).models.list())).toBeInstanceOf(OpenAI.PermissionDeniedError);
    });

    it('also takes a signed-in person’s access token, billed to that person', async () => {
      const person = await partner();
      const completion = await sdk(person.accessToken).chat.completions.create(echo('as myself'));
      expect(completion.choices[0]!.message.content).toBe('Echo: as myself');
      const { body } = await postGraphQL(platform.url, MyUsageDocument, { token: person.accessToken });
      expect(body.data!.myUsage.requests).toBe(1);
    });
  });
});
