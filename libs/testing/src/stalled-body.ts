import { connect } from 'node:net';

export interface StalledBodyAnswer {
  /** The status of the first answer on the connection, or null when the server closed it without one. */
  status: number | null;
  /** That answer's headers, lower-cased. */
  headers: Record<string, string>;
  /** That answer's body, parsed when it is JSON. */
  body: unknown;
  /** Everything the server sent before it closed the connection. */
  raw: string;
}

/**
 * A slow client, over a bare socket: a POST's headers and the first bytes of its body, and then nothing, the
 * rest never sent. Resolves when the server closes the connection, with what it answered first; fails when it
 * is still open after `patienceMs` (a server that waits on the body for ever).
 */
export function postWithStalledBody(
  url: string,
  { headers = {}, patienceMs = 10_000 }: { headers?: Record<string, string>; patienceMs?: number } = {},
): Promise<StalledBodyAnswer> {
  const { hostname, port, pathname, search } = new URL(url);
  const head = Object.entries({ 'content-type': 'application/json', ...headers, 'content-length': '1000' })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    let raw = '';
    const patience = setTimeout(() => {
      socket.destroy();
      reject(new Error(`The server kept the connection open ${patienceMs} ms after the body stalled; it had sent: ${JSON.stringify(raw)}`));
    }, patienceMs);
    socket.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(patience);
      resolve(parseFirstAnswer(raw));
    });
    socket.write(`POST ${pathname}${search} HTTP/1.1\r\nhost: ${hostname}:${port}\r\n${head}\r\n{"query":`);
  });
}

function parseFirstAnswer(raw: string): StalledBodyAnswer {
  const headEnd = raw.indexOf('\r\n\r\n');
  const status = /^HTTP\/1\.1 (\d{3})/.exec(raw);
  if (headEnd === -1 || !status) return { status: null, headers: {}, body: null, raw };
  const headers: Record<string, string> = {};
  for (const line of raw.slice(0, headEnd).split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = Number(headers['content-length'] ?? Number.NaN);
  const text = raw.slice(headEnd + 4, Number.isFinite(length) ? headEnd + 4 + length : undefined);
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: kept as text
  }
  return { status: Number(status[1]), headers, body, raw };
}
