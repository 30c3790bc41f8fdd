/**
 * The floor for any Node router on this machine: a relay that forwards the
 * upstream's event stream to the client byte for byte (no SDK, no parsing, no
 * budget, no usage), over keep-alive connections. Prints its URL.
 */
import { Agent, createServer, request } from 'node:http';

const upstream = new URL(process.argv[2]!);
const agent = new Agent({ keepAlive: true, maxSockets: 10_000 });
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const up = request(
      {
        agent,
        host: upstream.hostname,
        port: upstream.port,
        path: `${upstream.pathname}/chat/completions`,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': body.length, authorization: 'Bearer sk-bench' },
      },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, { 'content-type': 'text/event-stream' });
        upRes.on('data', (c: Buffer) => res.write(c));
        upRes.on('end', () => res.end());
      },
    );
    res.on('close', () => up.destroy());
    up.end(body);
  });
});
server.listen(0, '127.0.0.1', () =>
  process.stdout.write(
    `${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}/v1/chat/completions`, pid: process.pid })}\n`,
  ),
);
