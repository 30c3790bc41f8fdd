import type { ServerResponse } from 'node:http';
import { clientDeparture } from './client-departure';

export interface EventStream {
  /** One event: `event: <name>`, `id: <id>` when given, and the data as one line of JSON. */
  send(event: string, data: unknown, id?: number): void;
  /** Ends the response (once); the client sees the stream close normally. */
  end(): void;
  /** Aborted when the client goes away before the stream ended. */
  readonly clientGone: AbortSignal;
}

/**
 * A `text/event-stream` response (Server-Sent Events). Comment lines go out
 * every `keepAliveMs` while it is open, so proxies and load balancers that cut
 * idle connections leave a slow reply alone; no-transform and X-Accel-Buffering
 * keep intermediaries from buffering what must arrive as it is written.
 */
export function openEventStream(res: ServerResponse, { keepAliveMs }: { keepAliveMs: number }): EventStream {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store, no-transform',
    'x-accel-buffering': 'no',
  });
  res.flushHeaders();
  const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), keepAliveMs);
  keepAlive.unref();
  res.once('close', () => clearInterval(keepAlive));
  return {
    send(event, data, id) {
      if (res.writableEnded || res.destroyed) return;
      // JSON.stringify never writes a raw line break, so the data is always one `data:` line.
      res.write(`event: ${event}\n${id === undefined ? '' : `id: ${id}\n`}data: ${JSON.stringify(data)}\n\n`);
    },
    end() {
      clearInterval(keepAlive);
      if (!res.writableEnded) res.end();
    },
    clientGone: clientDeparture(res),
  };
}
