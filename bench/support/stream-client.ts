import { type Agent, request } from 'node:http';

export interface StreamTiming {
  /** From sending the request to the first content delta, ms. */
  firstTokenMs: number;
  totalMs: number;
  content: string;
}

/**
 * One streamed chat completion over raw HTTP (no SDK, so the client costs the
 * same for every target), timing the first content delta.
 */
export function streamCompletion(url: string, agent: Agent, headers: Record<string, string>, body: string): Promise<StreamTiming> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let firstTokenMs = -1;
    let content = '';
    let buffer = '';
    const req = request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers },
      },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          return reject(new Error(`status ${res.statusCode}`));
        }
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let end;
          while ((end = buffer.indexOf('\n\n')) !== -1) {
            const event = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            if (!event.startsWith('data: ') || event === 'data: [DONE]') continue;
            const delta = (JSON.parse(event.slice(6)) as { choices?: { delta?: { content?: string } }[] }).choices?.[0]?.delta?.content;
            if (delta) {
              if (firstTokenMs < 0) firstTokenMs = performance.now() - started;
              content += delta;
            }
          }
        });
        res.on('end', () => resolve({ firstTokenMs, totalMs: performance.now() - started, content }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
