import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../src/connection-retry';

describe('waitFor', () => {
  it('leaves no listener on the signal once a delay is over, however many a request waits', async () => {
    const request = new AbortController();
    // A slow model waits once per token on the request's one signal.
    for (let token = 0; token < 20; token++) await waitFor(1, { signal: request.signal });
    expect(getEventListeners(request.signal, 'abort')).toHaveLength(0);
  });

  it('rejects with the signal’s reason as soon as it aborts', async () => {
    const request = new AbortController();
    const waiting = waitFor(60_000, { signal: request.signal });
    request.abort(new Error('client left'));
    await expect(waiting).rejects.toThrow('client left');
    expect(getEventListeners(request.signal, 'abort')).toHaveLength(0);
  });
});
