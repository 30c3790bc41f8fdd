import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createManualClock, freePort } from '@parley/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionFailureOf, retryConnectionFailures, retryingFetch, startBackoff } from '../src';

const failureOf = (call: Promise<unknown>) => call.then(() => 'answered', connectionFailureOf);
const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
const reset = () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });

describe('how a failed call to another service failed', () => {
  let cutting: Server;
  let hanging: Server;
  let urls: { cutting: string; hanging: string };
  const url = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

  beforeAll(async () => {
    // Reads the request, then drops the connection without answering: the request was sent.
    cutting = createServer((req) => req.resume().on('end', () => req.socket.destroy()));
    hanging = createServer(() => {});
    await Promise.all([cutting, hanging].map((server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))));
    urls = { cutting: url(cutting), hanging: url(hanging) };
  });
  afterAll(async () => {
    for (const server of [cutting, hanging]) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('says "not sent" when nothing listens at the address', async () => {
    expect(await failureOf(fetch(`http://127.0.0.1:${await freePort()}/`))).toBe('not-sent');
  });

  it('says "maybe sent" when the connection broke after the request went out', async () => {
    expect(await failureOf(fetch(urls.cutting, { method: 'POST', body: 'mutation' }))).toBe('maybe-sent');
  });

  it('says nothing of a timeout: the service was reached and is slow', async () => {
    expect(await failureOf(fetch(urls.hanging, { signal: AbortSignal.timeout(50) }))).toBeNull();
  });

  it('reads the code through causes and through one error per address tried', () => {
    expect(connectionFailureOf(new TypeError('fetch failed', { cause: new AggregateError([refused(), refused()]) }))).toBe('not-sent');
    expect(connectionFailureOf(new Error('unexpected'))).toBeNull();
  });
});

describe('retrying connection failures', () => {
  /** Runs `call` on a manual clock, moving it 10 ms at a time until the call settles. */
  async function onManualClock<T>(
    call: (clock: ReturnType<typeof createManualClock>) => Promise<T>,
  ): Promise<{ value?: T; error?: unknown; elapsedMs: number }> {
    const clock = createManualClock();
    const started = clock.millis();
    let settled = false;
    const outcome = call(clock).then(
      (value): { value?: T; error?: unknown } => ({ value }),
      (error: unknown) => ({ error }),
    );
    void outcome.finally(() => (settled = true));
    while (!settled) {
      await new Promise((resolve) => setImmediate(resolve));
      clock.advance(10);
    }
    return { ...(await outcome), elapsedMs: clock.millis() - started };
  }

  it('waits for a service that refuses connections until it answers', async () => {
    let calls = 0;
    const { value } = await onManualClock((clock) =>
      retryConnectionFailures(
        async () => {
          if (++calls < 4) throw refused();
          return 'answered';
        },
        { idempotent: false, budgetMs: 5_000, timers: clock, now: clock.millis },
      ),
    );
    expect(value).toBe('answered');
    expect(calls).toBe(4);
  });

  it('sends a read again after a reset, never anything else', async () => {
    let reads = 0;
    let writes = 0;
    const read = await onManualClock((clock) =>
      retryConnectionFailures(
        async () => {
          if (++reads < 2) throw reset();
          return 'read';
        },
        { idempotent: true, budgetMs: 5_000, timers: clock, now: clock.millis },
      ),
    );
    const write = await onManualClock((clock) =>
      retryConnectionFailures(
        async () => {
          writes++;
          throw reset();
        },
        { idempotent: false, budgetMs: 5_000, timers: clock, now: clock.millis },
      ),
    );
    expect([read.value, reads]).toEqual(['read', 2]);
    expect([(write.error as Error).message, writes]).toEqual(['socket hang up', 1]);
  });

  it('gives up with the last failure once the next attempt would start after the budget', async () => {
    let calls = 0;
    const { error, elapsedMs } = await onManualClock((clock) =>
      retryConnectionFailures(
        async () => {
          calls++;
          throw refused();
        },
        { idempotent: true, budgetMs: 2_000, random: () => 0.999, timers: clock, now: clock.millis },
      ),
    );
    expect((error as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    // Waits of ~50, 100, 200, 400 and 800 ms; the next, 1 s, would end past 2 s.
    expect(calls).toBe(6);
    expect(elapsedMs).toBeLessThanOrEqual(2_000);
  });

  it('stops waiting when its signal aborts, with the abort reason', async () => {
    const controller = new AbortController();
    const { error } = await onManualClock(async (clock) => {
      clock.setTimeout(() => controller.abort(new Error('the caller left')), 120);
      return retryConnectionFailures(
        async () => {
          throw refused();
        },
        { idempotent: true, budgetMs: 60_000, signal: controller.signal, timers: clock, now: clock.millis },
      );
    });
    expect((error as Error).message).toBe('the caller left');
  });

  it('spreads the waits between half and all of a doubling step, capped', () => {
    const low = startBackoff({ budgetMs: 60_000, random: () => 0, now: () => 0 });
    const high = startBackoff({ budgetMs: 60_000, random: () => 0.999, now: () => 0 });
    expect(Array.from({ length: 7 }, () => low.next())).toEqual([25, 50, 100, 200, 400, 500, 500]);
    expect(Array.from({ length: 7 }, () => high.next())).toEqual([50, 100, 200, 400, 800, 1000, 1000]);
  });
});

describe('a fetch for calls to another Parley service', () => {
  const servers: Server[] = [];
  afterAll(async () => {
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
  /** A service on `port` that cuts the first `cuts` requests after reading them, then answers each with its method. */
  const serviceOn = async (port: number, cuts = 0) => {
    const server = createServer((req, res) => {
      req.resume().on('end', () => {
        if (cuts-- > 0) return void req.socket.destroy();
        res.end(req.method);
      });
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  };

  it('sends a POST again when nothing listened yet, and it arrives once the service is up', async () => {
    const port = await freePort();
    let started: Promise<void> | undefined;
    const fetch = retryingFetch({ budgetMs: 10_000, onRetry: () => void (started ??= serviceOn(port)) });
    const response = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(10_000) });
    expect(await response.text()).toBe('POST');
  });

  it('sends a GET again after the connection broke, but never a POST', async () => {
    const port = await freePort();
    await serviceOn(port, 1);
    const fetch = retryingFetch({ budgetMs: 10_000 });
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('GET');
    const cuttingPort = await freePort();
    await serviceOn(cuttingPort, 1);
    await expect(fetch(`http://127.0.0.1:${cuttingPort}/`, { method: 'POST', body: '{}' })).rejects.toThrow(/fetch failed/);
  });
});
