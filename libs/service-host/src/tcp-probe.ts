import { connect } from 'node:net';

/** Resolves when a TCP connection to host:port opens; rejects with the socket error or a timeout. */
export function tcpProbe(host: string, port: number, timeoutMs = 3000): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.end();
      resolve();
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** host and port of a URL or a host:port string, with the protocol's default port. */
export function hostAndPort(address: string, defaultPort: number): { host: string; port: number } {
  if (address.includes('://')) {
    const url = new URL(address);
    return { host: url.hostname, port: Number(url.port || defaultPort) };
  }
  const [host = '127.0.0.1', port] = address.split(':');
  return { host, port: Number(port || defaultPort) };
}
