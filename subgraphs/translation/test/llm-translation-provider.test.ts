import { createServer, type Server } from 'node:http';
import { fetchStartingServiceOnRefusal, freePort } from '@parley/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createLlmTranslationProvider } from '../src/llm-translation-provider';

describe('translation by a model through the models service', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  /** The models service's OpenAI-compatible API on `port`, translating by prefixing; `cut` drops each request after reading it. */
  const startModelsOn = async (port: number, { cut = false } = {}) => {
    let requests = 0;
    const server = createServer((req, res) => {
      req.resume().on('end', () => {
        requests++;
        if (cut) return void req.socket.destroy();
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            id: 'c1',
            object: 'chat.completion',
            created: 0,
            model: 'dev/echo',
            choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: '[fr] Bonjour' } }],
          }),
        );
      });
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return { requests: () => requests };
  };

  it('waits for a models service that refuses connections while it restarts', async () => {
    const port = await freePort();
    // The service comes back once the client has been refused.
    const late = fetchStartingServiceOnRefusal(() => startModelsOn(port));
    const provider = createLlmTranslationProvider({
      modelsApiUrl: `http://127.0.0.1:${port}/v1`,
      internalToken: 't',
      model: 'dev/echo',
      timeoutMs: 10_000,
      fetch: late.fetch,
    });
    expect(await provider.translate({ texts: ['Hello'], from: 'en', to: 'fr', userId: 'u1' })).toEqual(['[fr] Bonjour']);
    expect(late.refused()).toBeGreaterThan(0);
  });

  it('never asks again once a request may have reached the models service: it may be billed', async () => {
    const port = await freePort();
    const models = await startModelsOn(port, { cut: true });
    const provider = createLlmTranslationProvider({
      modelsApiUrl: `http://127.0.0.1:${port}/v1`,
      internalToken: 't',
      model: 'dev/echo',
      timeoutMs: 10_000,
    });
    await expect(provider.translate({ texts: ['Hello'], from: 'en', to: 'fr', userId: 'u1' })).rejects.toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
    });
    expect(models.requests()).toBe(1);
  });
});
