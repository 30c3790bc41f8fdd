import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fetchStartingServiceOnRefusal, freePort } from '@parley/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createModelDirectory } from '../src/model-directory';

const user = '7d4c2f0e-0000-4000-8000-000000000001';

/**
 * A models service over real HTTP whose /v1/models answers as `behaviour` says
 * at the time of the request; "slow" never answers (until the server closes),
 * so whatever finishes meanwhile provably did not wait for it.
 */
async function fakeModels(behaviour: {
  mode: 'ok' | 'down' | 'slow';
}): Promise<{ url: string; server: Server; requests: () => number; unanswered: () => number }> {
  let requests = 0;
  let unanswered = 0;
  const server = createServer((_req, res) => {
    requests++;
    if (behaviour.mode === 'down') return void res.writeHead(503).end();
    if (behaviour.mode === 'slow') return void unanswered++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: [{ id: 'dev/echo', context_window: 4096 }] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    requests: () => requests,
    unanswered: () => unanswered,
  };
}

describe('the model directory', () => {
  const servers: Server[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      s.close();
    }
  });

  it('names the available models when asked for an unknown one', async () => {
    const models = await fakeModels({ mode: 'ok' });
    servers.push(models.server);
    const directory = createModelDirectory({ modelsUrl: models.url, internalToken: 't' });
    await expect(directory.require('dev/echo', user)).resolves.toEqual({ id: 'dev/echo', contextWindow: 4096 });
    await expect(directory.require('no/such', user)).rejects.toThrow('There is no model "no/such". Available: dev/echo.');
  });

  it('keeps answering from the last list while a refresh is slow or failing, and refreshes in the background', async () => {
    const behaviour: { mode: 'ok' | 'down' | 'slow' } = { mode: 'ok' };
    const models = await fakeModels(behaviour);
    servers.push(models.server);
    let clock = 0;
    const directory = createModelDirectory({ modelsUrl: models.url, internalToken: 't', ttlMs: 1_000, now: () => clock });
    await directory.require('dev/echo', user);
    behaviour.mode = 'slow';
    clock = 5_000;
    // The models service never answers this refresh, so an answer at all is an answer that did not wait for it.
    await expect(directory.require('dev/echo', user)).resolves.toMatchObject({ id: 'dev/echo' });
    await expect.poll(() => models.unanswered()).toBe(1);
    behaviour.mode = 'down';
    await expect(directory.require('dev/echo', user)).resolves.toMatchObject({ id: 'dev/echo' });
    // One refresh at a time: the slow one is still out, so the failing moment asked nothing more.
    expect(models.requests()).toBe(2);
  });

  it('fails with UPSTREAM_UNAVAILABLE while it has never had an answer', async () => {
    const models = await fakeModels({ mode: 'down' });
    servers.push(models.server);
    const directory = createModelDirectory({ modelsUrl: models.url, internalToken: 't' });
    await expect(directory.require('dev/echo', user)).rejects.toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
  });

  it('waits for a models service that refuses connections while it restarts, within the listing’s bound', async () => {
    const port = await freePort();
    // The service comes back once the client has been refused.
    const late = fetchStartingServiceOnRefusal(() => startModelsOn(port));
    const startModelsOn = async (on: number) => {
      const server = createServer((_req, res) =>
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ data: [{ id: 'dev/echo', context_window: 4096 }] })),
      );
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(on, '127.0.0.1', resolve));
    };
    const directory = createModelDirectory({ modelsUrl: `http://127.0.0.1:${port}`, internalToken: 't', fetch: late.fetch });
    await expect(directory.require('dev/echo', user)).resolves.toEqual({ id: 'dev/echo', contextWindow: 4096 });
    expect(late.refused()).toBeGreaterThan(0);
  });
});
