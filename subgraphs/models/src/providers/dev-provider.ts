import { waitFor } from '@parley/runtime';
import type { ChatProvider, ChatRequest, ChunkSink } from './chat-provider';

/**
 * The built-in development model: replies "Echo: <last user message>", word by
 * word, at a configurable pace. Deterministic, so tests can assert on it, and
 * offline, so the platform runs anywhere.
 */
export function createDevProvider({
  firstTokenDelayMs = 0,
  tokenDelayMs = 0,
}: {
  firstTokenDelayMs?: number;
  tokenDelayMs?: number;
}): ChatProvider {
  return {
    async stream(request: ChatRequest, signal: AbortSignal, sink: ChunkSink): Promise<void> {
      const lastUser = [...request.messages].reverse().find((m) => m.role === 'user');
      const words = `Echo: ${lastUser?.content ?? ''}`.split(/(?<=\s)/);
      const limit = request.maxTokens ?? Infinity;
      await waitFor(firstTokenDelayMs, { signal });
      let sent = 0;
      for (const word of words) {
        if (sent >= limit) {
          sink({ delta: '', finishReason: 'length' });
          return;
        }
        if (sent > 0 && tokenDelayMs > 0) await waitFor(tokenDelayMs, { signal });
        signal.throwIfAborted();
        sink({ delta: word });
        sent++;
      }
      sink({ delta: '', finishReason: 'stop' });
    },
    async probe() {},
  };
}
