import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createLlmTranslationProvider } from '../src/llm-translation-provider';

/** A port nothing listens on (yet). */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

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
    const port = await closedPort();
    let refused = 0;
    let listening: Promise<unknown> | undefined;
    // The real fetch underneath; the models service comes back once translation has been refused.
    const watching: typeof fetch = async (input, init) => {
      try {
        return await fetch(input, init);
      } catch (error) {
        refused++;
        listening ??= startModelsOn(port);
        throw error;
      }
    };
    const provider = createLlmTranslationProvider({
      modelsApiUrl: `http://127.0.0.1:${port}/v1`,
      internalToken: 't',
      model: 'dev/echo',
      timeoutMs: 10_000,
      fetch: watching,
    });
    expect(await provider.translate({ texts: ['Hello'], from: 'en', to: 'fr', userId: 'u1' })).toEqual(['[fr] Bonjour']);
    expect(refused).toBeGreaterThan(0);
  });

  it('never asks again once a request may have reached the models service: it may be billed', async () => {
    const port = await closedPort();
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
