import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { openEventStream, type EventStream } from '../../src/rest/server-sent-events';
import { serverSentEvents } from '@parley/testing/rest';

describe('a Server-Sent Events response', () => {
  const servers: Server[] = [];

  /** A server whose one route opens an event stream and hands it to the test; `closed` settles when the response has closed. */
  const serve = async (keepAliveMs: number) => {
    let opened!: (stream: EventStream) => void;
    const stream = new Promise<EventStream>((resolve) => (opened = resolve));
    let close!: () => void;
    const closed = new Promise<void>((resolve) => (close = resolve));
    const server = createServer((_req, res) => {
      res.once('close', close);
      opened(openEventStream(res, { keepAliveMs }));
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, stream, closed };
  };

  afterEach(async () => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('sends named events with their id and one line of JSON data, then ends', async () => {
    const { url, stream } = await serve(60_000);
    const response = await fetch(url);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store, no-transform');
    const events = await stream;
    events.send('delta', { text: 'two\nlines' }, 1);
    events.send('completed', { done: true });
    events.end();
    expect(await response.text()).toBe('event: delta\nid: 1\ndata: {"text":"two\\nlines"}\n\nevent: completed\ndata: {"done":true}\n\n');
  });

  it('sends keep-alive comments while nothing else is sent', async () => {
    const { url, stream } = await serve(20);
    const response = await fetch(url);
    const events = await stream;
    const comments: string[] = [];
    const received: string[] = [];
    const reading = (async () => {
      for await (const event of serverSentEvents(response, comments)) received.push(event.event);
    })();
    // Until two have arrived, however long that takes (120 ms of sleep could see only one on a busy machine).
    await expect.poll(() => comments.length).toBeGreaterThanOrEqual(2);
    events.send('completed', {});
    events.end();
    await reading;
    expect(received).toEqual(['completed']);
    expect(comments.length).toBeGreaterThanOrEqual(2);
    expect(new Set(comments)).toEqual(new Set(['keep-alive']));
  });

  it('tells the route when the client goes away, and not when the stream ends normally', async () => {
    const { url, stream } = await serve(60_000);
    const leave = new AbortController();
    const response = await fetch(url, { signal: leave.signal });
    const events = await stream;
    events.send('delta', {});
    await response.body!.getReader().read();
    expect(events.clientGone.aborted).toBe(false);
    leave.abort();
    await expect.poll(() => events.clientGone.aborted).toBe(true);

    const second = await serve(60_000);
    const done = await fetch(second.url);
    const finished = await second.stream;
    finished.end();
    await done.text();
    // Once the response has closed, the route has heard all it ever will.
    await second.closed;
    expect(finished.clientGone.aborted).toBe(false);
  });
});
