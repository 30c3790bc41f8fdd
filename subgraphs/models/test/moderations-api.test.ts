import { randomUUID } from 'node:crypto';
import { UpstreamUnavailableError } from '@parley/errors';
import { ConfigError, loadConfig } from '@parley/runtime';
import { freePort, startFakeUpstream } from '@parley/testing';
import { APIError } from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createProviderModeration } from '../../../libs/moderation/src/provider-moderation';
import { modelsSubgraph } from '../src/server';
import { fakeDeployment, startModelsHarness, type ModelsHarness } from './support/models-harness';

type Fake = Awaited<ReturnType<typeof startFakeUpstream>>;

const devDeployment = {
  id: 'dev-echo',
  model: 'dev/echo',
  displayName: 'Echo (development model)',
  provider: 'dev',
  contextWindow: 32_768,
  inputPricePerMTok: 0,
  outputPricePerMTok: 0,
};

/** The error a rejected promise settles with. */
const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('POST /v1/moderations on the models service (official SDK, fake upstream over real HTTP)', () => {
  let upstream: Fake;
  let models: ModelsHarness;
  let internalToken: string;
  let deadUrl: string;

  beforeAll(async () => {
    upstream = await startFakeUpstream({}, { flagWords: ['hateful'] });
    deadUrl = `http://127.0.0.1:${await freePort()}/v1`;
    models = await startModelsHarness(
      {
        deployments: [
          fakeDeployment('moderator', upstream.baseUrl, { model: 'fake/moderation', upstreamModel: 'omni-moderation-latest' }),
          fakeDeployment('impatient', upstream.baseUrl, {
            model: 'fake/impatient',
            upstreamModel: 'omni-moderation-latest',
            timeoutMs: 300,
          }),
          fakeDeployment('gone', deadUrl, { model: 'fake/gone' }),
          devDeployment,
        ],
      },
      { DEV_MODERATION_FLAG_WORD: 'xyzzy', HEALTH_CHECK_INTERVAL_MS: '0' },
    );
    internalToken = models.client().apiKey!;
  });
  afterAll(async () => {
    await models?.stop();
    await upstream?.close();
  });
  afterEach(() => {
    upstream.moderationRequests().length = 0;
    upstream.setModeration({ status: undefined, latencyMs: undefined });
  });

  describe('the endpoint', () => {
    it('relays an unflagged verdict, asking the deployment’s upstream moderation model with its API key', async () => {
      const reply = await models.client().moderations.create({ model: 'fake/moderation', input: 'What a lovely day' });
      expect(reply.id).toMatch(/^modr-/);
      expect(reply.model).toBe('fake/moderation');
      expect(reply.results).toHaveLength(1);
      expect(reply.results[0]!.flagged).toBe(false);
      expect(Object.values(reply.results[0]!.categories).every((value) => value === false)).toBe(true);
      expect(reply.results[0]!.category_scores.harassment).toBe(0.01);
      const [request] = upstream.moderationRequests();
      expect(request!.body).toMatchObject({ model: 'omni-moderation-latest', input: ['What a lovely day'] });
      expect(request!.authorization).toBe('Bearer sk-fake');
      // Moderation is not a chat request: the fake's chat log stays empty.
      expect(upstream.chatRequests()).toHaveLength(0);
    });

    it('relays a flagged verdict with its categories and scores, one result per input, in order', async () => {
      const reply = await models.client().moderations.create({ model: 'fake/moderation', input: ['hello', 'you are HATEFUL'] });
      expect(reply.results.map((r) => r.flagged)).toEqual([false, true]);
      expect(reply.results[1]!.categories).toMatchObject({ harassment: true, hate: false, violence: false });
      expect(reply.results[1]!.category_scores.harassment).toBe(0.97);
    });

    it('moderates offline on dev deployments: a text containing DEV_MODERATION_FLAG_WORD is flagged as harassment', async () => {
      const reply = await models.client().moderations.create({ model: 'dev/echo', input: ['a kind word', 'say Xyzzy twice'] });
      expect(reply.model).toBe('dev/echo');
      expect(reply.results.map((r) => r.flagged)).toEqual([false, true]);
      expect(reply.results[1]!.categories).toMatchObject({ harassment: true, hate: false });
      expect(reply.results[1]!.category_scores).toMatchObject({ harassment: 1, hate: 0 });
      expect(upstream.moderationRequests()).toHaveLength(0);
    });

    it('refuses the callers chat completions refuse: no token, a token that is not one, the internal token without a user', async () => {
      const post = (headers: Record<string, string>) =>
        fetch(`${models.v1Url}/moderations`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ model: 'fake/moderation', input: 'hello' }),
        });
      const refused: Record<string, string>[] = [{}, { authorization: 'Bearer not-a-token' }, { authorization: `Bearer ${internalToken}` }];
      for (const headers of refused) {
        const response = await post(headers);
        expect(response.status).toBe(401);
        expect(await response.json()).toMatchObject({ error: { type: 'authentication_error', code: 'invalid_api_key' } });
      }
      expect(upstream.moderationRequests()).toHaveLength(0);
    });

    it('answers bad requests with OpenAI-style 400s: unknown model, no input, a text over the chat message limit', async () => {
      const unknown = (await failureOf(models.client().moderations.create({ model: 'no/such-model', input: 'x' }))) as APIError;
      expect(unknown).toBeInstanceOf(APIError);
      expect(unknown.status).toBe(400);
      expect(unknown.code).toBe('model_not_found');
      expect(unknown.message).toMatch(/Unknown model "no\/such-model"; available: dev\/echo, fake\/gone/);

      const post = (body: unknown) =>
        fetch(`${models.v1Url}/moderations`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${internalToken}`, 'x-parley-user-id': randomUUID() },
          body: JSON.stringify(body),
        });
      const noInput = await post({ model: 'fake/moderation' });
      expect(noInput.status).toBe(400);
      expect(await noInput.json()).toMatchObject({ error: { type: 'invalid_request_error', param: 'input' } });
      const tooLong = await post({ model: 'fake/moderation', input: ['short', 'x'.repeat(1_000_001)] });
      expect(tooLong.status).toBe(400);
      expect(await tooLong.json()).toMatchObject({
        error: { param: 'input.1', message: expect.stringMatching(/at most 1000000 characters/) },
      });
      expect(upstream.moderationRequests()).toHaveLength(0);
    });

    it('asks for a model when the request names none and no MODERATION_MODEL is configured', async () => {
      const error = (await failureOf(models.client().moderations.create({ input: 'hello' }))) as APIError;
      expect(error.status).toBe(400);
      expect(error.code).toBe('model_not_found');
      expect(error.message).toMatch(/No moderation model: name one in "model", or set MODERATION_MODEL/);
    });

    it('answers 503 naming the deployment when its provider cannot be reached', async () => {
      const error = (await failureOf(models.client().moderations.create({ model: 'fake/gone', input: 'hello' }))) as APIError;
      expect(error.status).toBe(503);
      expect(error.code).toBe('upstream_unavailable');
      expect(error.message).toMatch(/Moderation with "fake\/gone" is unavailable \(deployment "gone": the provider could not be reached\)/);
    });

    it('answers 503 when the provider fails or answers later than the deployment’s timeout', async () => {
      upstream.setModeration({ status: 500 });
      const failed = (await failureOf(models.client().moderations.create({ model: 'fake/moderation', input: 'hello' }))) as APIError;
      expect(failed.status).toBe(503);
      expect(failed.message).toMatch(/deployment "moderator": the provider answered 500/);

      upstream.setModeration({ status: undefined, latencyMs: 1_000 });
      const slow = (await failureOf(models.client().moderations.create({ model: 'fake/impatient', input: 'hello' }))) as APIError;
      expect(slow.status).toBe(503);
      expect(slow.message).toMatch(/deployment "impatient": the provider timed out/);
    });

    it('says to check the provider’s /moderations endpoint when it has none (404)', async () => {
      upstream.setModeration({ status: 404 });
      const error = (await failureOf(models.client().moderations.create({ model: 'fake/moderation', input: 'hello' }))) as APIError;
      expect(error.status).toBe(503);
      expect(error.message).toMatch(/the provider answered 404; check that it offers an OpenAI-compatible \/moderations endpoint/);
    });
  });

  describe('createProviderModeration (@parley/moderation), the client Parley’s moderation uses', () => {
    /** A ceiling a busy machine never reaches; the timeout case sets its own, far below the fake's latency. */
    const patientMs = 10_000;
    const moderation = (options: { model?: string; modelsApiUrl?: string; internalToken?: string; timeoutMs?: number } = {}) =>
      createProviderModeration({
        modelsApiUrl: options.modelsApiUrl ?? models.v1Url,
        internalToken: options.internalToken ?? internalToken,
        model: options.model ?? 'fake/moderation',
        userId: randomUUID(),
        timeoutMs: options.timeoutMs ?? patientMs,
      });

    it('answers whether a text is flagged, and for which categories', async () => {
      await expect(moderation().check('you are hateful')).resolves.toEqual({ flagged: true, categories: ['harassment'] });
      await expect(moderation().check('you are kind')).resolves.toEqual({ flagged: false, categories: [] });
      expect(upstream.moderationRequests().map((r) => r.body.input)).toEqual([['you are hateful'], ['you are kind']]);
    });

    it('acts for Parley itself when no user is named', async () => {
      const anonymous = createProviderModeration({ modelsApiUrl: models.v1Url, internalToken, model: 'dev/echo', timeoutMs: patientMs });
      await expect(anonymous.check('xyzzy')).resolves.toEqual({ flagged: true, categories: ['harassment'] });
    });

    it('turns every failure into an UpstreamUnavailableError a person can act on', async () => {
      const unreachable = await failureOf(moderation({ modelsApiUrl: deadUrl }).check('hello'));
      expect(unreachable).toBeInstanceOf(UpstreamUnavailableError);
      expect((unreachable as Error).message).toMatch(/the models service could not be reached at http:\/\/127\.0\.0\.1:\d+\/v1/);

      const wrongToken = await failureOf(moderation({ internalToken: 'x'.repeat(44) }).check('hello'));
      expect(wrongToken).toBeInstanceOf(UpstreamUnavailableError);
      expect((wrongToken as Error).message).toMatch(
        /\(401\).*Check that INTERNAL_SERVICE_TOKEN is the same here and on the models service/,
      );

      const providerDown = await failureOf(moderation({ model: 'fake/gone' }).check('hello'));
      expect(providerDown).toBeInstanceOf(UpstreamUnavailableError);
      expect((providerDown as Error).message).toMatch(/\(503\): Moderation with "fake\/gone" is unavailable/);

      upstream.setModeration({ latencyMs: 1_000 });
      const slow = await failureOf(moderation({ timeoutMs: 200 }).check('hello'));
      expect(slow).toBeInstanceOf(UpstreamUnavailableError);
      expect((slow as Error).message).toMatch(/took longer than 200 ms/);
    });

    it('rejects with the caller’s reason when the caller aborts', async () => {
      upstream.setModeration({ latencyMs: 1_000 });
      const controller = new AbortController();
      const checking = moderation().check('hello', controller.signal);
      setTimeout(() => controller.abort(new Error('the reply was cancelled')), 50);
      await expect(checking).rejects.toThrow('the reply was cancelled');
    });
  });
});

describe('MODERATION_MODEL and DEV_MODERATION_FLAG_WORD', () => {
  let models: ModelsHarness;
  beforeAll(async () => {
    models = await startModelsHarness({ deployments: [devDeployment] }, { MODERATION_MODEL: 'dev/echo' });
  });
  afterAll(async () => {
    await models?.stop();
  });

  it('moderates with MODERATION_MODEL when a request names no model; the dev marker word defaults to "flag-me"', async () => {
    const reply = await models.client().moderations.create({ input: ['fine', 'please FLAG-ME'] });
    expect(reply.model).toBe('dev/echo');
    expect(reply.results.map((r) => r.flagged)).toEqual([false, true]);
  });

  it('refuses to start when MODERATION_MODEL is not a model of the models file', () => {
    expect(() => loadConfig(modelsSubgraph.settings, { MODERATION_MODEL: 'openai/omni-moderation' })).toThrow(ConfigError);
    expect(() => loadConfig(modelsSubgraph.settings, { MODERATION_MODEL: 'openai/omni-moderation' })).toThrow(
      /MODERATION_MODEL: must be a model id or alias of the models file \(dev\/echo\)/,
    );
  });
});
