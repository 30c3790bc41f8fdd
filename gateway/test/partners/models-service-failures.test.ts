import { createServer, type Server } from 'node:http';
import type { Viewer } from '@parley/auth';
import { captureLogs, freePort } from '@parley/testing';
import { createHttpService, type HttpService } from '@parley/runtime';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { EdgeDependencies } from '../../src/http/edge-routes';
import { partnerApiRoutes } from '../../src/partners/partner-api';

/**
 * The gateway's /v1 alone, its caller already admitted, in front of a models
 * service that is down or misbehaves: failures a whole platform cannot stage.
 */
describe('the partners’ API when the models service fails', () => {
  const logs = captureLogs('warn');
  const closers: (() => Promise<void>)[] = [];
  const partner: Viewer = {
    userId: crypto.randomUUID(),
    roles: ['user'],
    tokenId: 't',
    sessionId: null,
    scopes: ['models'],
    apiKeyId: 'k',
  };

  /** An SDK client of a gateway edge whose models service is at `modelsUrl`; no SDK retries, so each call is one request (the gateway's own retries aside). */
  const gatewayInFrontOf = async (modelsUrl: string, { retryBudgetMs = 200 } = {}) => {
    const deps: EdgeDependencies = {
      contextFor: async (_req, scope) => ({ ...scope, viewer: partner, authorization: 'Bearer traded-token' }),
      modelsUrl,
      internalHeaders: { 'x-parley-internal': 'test-internal-credential-of-32-characters' },
      logger: logs.logger,
      runOperation: () => Promise.reject(new Error('not used by /v1')),
      messageStreams: undefined as never,
    };
    const http: HttpService = createHttpService({
      logger: logs.logger,
      readiness: [],
      routes: partnerApiRoutes(deps, { retryBudgetMs }).routes,
    });
    const { port } = await http.listen(0);
    closers.push(() => http.close());
    return new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'pk_any', maxRetries: 0 });
  };
  const failure = (call: Promise<unknown>) =>
    call.then(
      () => undefined,
      (error: unknown) => error,
    );
  const hello = { model: 'dev/echo', messages: [{ role: 'user' as const, content: 'hi' }] };

  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
  });

  it.each([
    ['a chat completion', (client: OpenAI) => client.chat.completions.create(hello)],
    ['the model list', (client: OpenAI) => client.models.list()],
  ])('answers %s with 503 in OpenAI’s shape when nothing listens where models should be', async (_what, call) => {
    const client = await gatewayInFrontOf(`http://127.0.0.1:${await freePort()}`);
    const error = await failure(call(client));
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect(error).toMatchObject({
      status: 503,
      error: {
        message: 'The models service cannot be reached right now; try again shortly.',
        type: 'api_error',
        code: 'upstream_unavailable',
      },
    });
    expect(logs.text()).toMatch(/the models service cannot be reached/);
  });

  it('gives an error models answers outside OpenAI’s shape that shape, keeping its status and message', async () => {
    const models: Server = createServer((_req, res) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'internal', message: 'Internal server error', requestId: 'r-1' }));
    });
    await new Promise<void>((resolve) => models.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => models.close(() => resolve())));
    const client = await gatewayInFrontOf(`http://127.0.0.1:${(models.address() as { port: number }).port}/`);
    const error = await failure(client.chat.completions.create(hello));
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect(error).toMatchObject({ status: 500, error: { message: 'Internal server error', type: 'api_error', code: null, param: null } });
  });

  it('sends the caller’s credential and request id on, never headers that would let a caller speak for someone else', async () => {
    const seen: Record<string, string | string[] | undefined>[] = [];
    const models: Server = createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data: [] }));
    });
    await new Promise<void>((resolve) => models.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => models.close(() => resolve())));
    const client = await gatewayInFrontOf(`http://127.0.0.1:${(models.address() as { port: number }).port}`);
    await client.models.list({ headers: { 'x-parley-user-id': crypto.randomUUID(), 'x-parley-message-id': crypto.randomUUID() } });
    expect(seen[0]).toMatchObject({ authorization: 'Bearer traded-token', 'x-request-id': expect.any(String) });
    expect(seen[0]).not.toHaveProperty('x-parley-user-id');
    expect(seen[0]).not.toHaveProperty('x-parley-message-id');
  });

  it('relays a chat completion asked while models restarts once models is back, and sends it once', async () => {
    const port = await freePort();
    const client = await gatewayInFrontOf(`http://127.0.0.1:${port}`, { retryBudgetMs: 20_000 });
    const since = logs.lines().length;
    const completion = client.chat.completions.create(hello);
    // Models comes back once the gateway has found it gone and waits to try again.
    await expect
      .poll(
        () =>
          logs
            .lines()
            .slice(since)
            .some((line) => line['msg'] === 'the models service could not be reached; retrying'),
        { timeout: 10_000 },
      )
      .toBe(true);
    let requests = 0;
    const models: Server = createServer((req, res) => {
      requests++;
      req.resume().on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            id: 'c1',
            object: 'chat.completion',
            created: 0,
            model: 'dev/echo',
            choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'hello' } }],
          }),
        );
      });
    });
    await new Promise<void>((resolve) => models.listen(port, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => models.close(() => resolve())));
    expect((await completion).choices[0]?.message.content).toBe('hello');
    expect(requests).toBe(1);
  });

  it('never sends a chat completion again once it may have reached models: it may be running, and billed', async () => {
    let requests = 0;
    const models: Server = createServer((req) => {
      requests++;
      req.resume().on('end', () => req.socket.destroy());
    });
    await new Promise<void>((resolve) => models.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => models.close(() => resolve())));
    const client = await gatewayInFrontOf(`http://127.0.0.1:${(models.address() as { port: number }).port}`, { retryBudgetMs: 20_000 });
    expect(await failure(client.chat.completions.create(hello))).toMatchObject({ status: 503 });
    expect(requests).toBe(1);
  });
});
