import { request, type Agent, type IncomingHttpHeaders } from 'node:http';

/**
 * One JSON POST over a keep-alive agent, answered with its status and whole
 * body, or rejected on a transport error. The load generators measure around
 * it; the streaming client reads its body as it comes instead.
 */
export function postJson(
  agent: Agent,
  target: URL,
  payload: string,
  headers: Record<string, string>,
): Promise<{ status: number; text: string; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
