import type { ServerResponse } from 'node:http';

/**
 * Aborted when the client goes away before its response was finished (a
 * closed tab, a cancelled fetch), so whatever the route is waiting for can stop.
 * A client that left before this was asked (while the message was being sent)
 * counts as gone at once.
 */
export function clientDeparture(res: ServerResponse): AbortSignal {
  const departure = new AbortController();
  const left = () => {
    if (!res.writableFinished) departure.abort();
  };
  if (res.closed) left();
  else res.once('close', left);
  return departure.signal;
}
