/**
 * Calls `onData` with each `data:` payload of a text/event-stream body, in
 * order. Events are separated by a blank line; multi-line data is joined with
 * "\n"; comments and other fields are skipped. Resolves when the stream ends
 * or `signal` aborts (the body is cancelled).
 */
export async function readServerSentEvents(
  body: ReadableStream<Uint8Array>,
  signal: AbortSignal,
  onData: (data: string) => void,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const onAbort = () => void reader.cancel().catch(() => undefined);
  signal.addEventListener('abort', onAbort, { once: true });
  let finished = false;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        finished = true;
        return;
      }
      buffer += decoder.decode(value, { stream: true });
      let boundary: number;
      while ((boundary = nextBoundary(buffer)) !== -1) {
        const block = buffer.slice(0, boundary);
        buffer = buffer.slice(buffer.startsWith('\r\n', boundary) ? boundary + 4 : boundary + 2);
        const data = dataOf(block);
        if (data !== null) onData(data);
      }
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    // Stopped early (a bad event, a sink that threw): nothing more will be read, so let the upstream stop too.
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

function nextBoundary(buffer: string): number {
  const lf = buffer.indexOf('\n\n');
  const crlf = buffer.indexOf('\r\n\r\n');
  if (lf === -1) return crlf;
  if (crlf === -1) return lf;
  return Math.min(lf, crlf);
}

function dataOf(block: string): string | null {
  let data: string | null = null;
  for (const line of block.split(/\r?\n/)) {
    if (!line.startsWith('data:')) continue;
    const value = line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5);
    data = data === null ? value : `${data}\n${value}`;
  }
  return data;
}
