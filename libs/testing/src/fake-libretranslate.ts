import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface LibreTranslateCall {
  q: string[];
  source: string;
  target: string;
  format: string;
  apiKey: string | undefined;
}

/**
 * A LibreTranslate-compatible server over real HTTP (POST /translate, q as a
 * string or an array), for tests. It "translates" with a function the test
 * sets, records every call, and can be told to fail.
 */
export async function startFakeLibreTranslate(
  options: { translate?: (text: string, source: string, target: string) => string } = {},
): Promise<{
  url: string;
  calls: LibreTranslateCall[];
  /** Answer every request with this status (e.g. 503), or 200 to work again. */
  setStatus(status: number): void;
  setTranslate(translate: (text: string, source: string, target: string) => string): void;
  close(): Promise<void>;
}> {
  let translate = options.translate ?? ((text: string, _source: string, target: string) => `[${target}] ${text}`);
  let status = 200;
  const calls: LibreTranslateCall[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer(async (req, res) => {
    if (req.method !== 'POST' || req.url !== '/translate') {
      res.writeHead(404, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ error: 'Not found' }));
    }
    const body = JSON.parse(await read(req)) as { q: string | string[]; source: string; target: string; format?: string; api_key?: string };
    const q = Array.isArray(body.q) ? body.q : [body.q];
    calls.push({ q, source: body.source, target: body.target, format: body.format ?? 'text', apiKey: body.api_key });
    if (status !== 200) {
      res.writeHead(status, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ error: `fake LibreTranslate says ${status}` }));
    }
    const translated = q.map((text) => translate(text, body.source, body.target));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ translatedText: Array.isArray(body.q) ? translated : translated[0] }));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    setStatus: (next) => void (status = next),
    setTranslate: (next) => void (translate = next),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function read(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (data += chunk));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}
