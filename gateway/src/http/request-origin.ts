import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { TrustedProxies } from '@parley/auth';

/**
 * The origin a request was sent to, spelt as a browser spells `Origin`
 * (`https://chat.example.com`, default port left out): the scheme of the
 * connection (https when the gateway terminated TLS itself) and the host of
 * the Host header. Behind a load balancer that terminates TLS the connection
 * is plain HTTP, so when the socket's peer is one of `TRUSTED_PROXIES` its
 * `X-Forwarded-Proto` (the first entry: what the client used) names the
 * scheme instead; anyone else's is ignored, as their `X-Forwarded-For` is.
 * Null without a usable Host header.
 */
export function requestOrigin(req: IncomingMessage, trusted: TrustedProxies): string | null {
  const host = req.headers.host;
  if (!host) return null;
  let scheme = (req.socket as Partial<TLSSocket>).encrypted ? 'https' : 'http';
  const peer = req.socket.remoteAddress;
  const forwarded = req.headers['x-forwarded-proto'];
  if (peer !== undefined && forwarded !== undefined && trusted.has(peer)) {
    const first = (Array.isArray(forwarded) ? forwarded.join(',') : forwarded).split(',')[0]?.trim().toLowerCase();
    if (first === 'http' || first === 'https') scheme = first;
  }
  return normalizedOrigin(`${scheme}://${host}`);
}

/** An origin in its one spelling (lower case, no default port), or null when it is not an http(s) origin (`null`, a path). */
export function normalizedOrigin(value: string): string | null {
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    if (url.username || url.password || url.pathname !== '/' || url.search || url.hash) return null;
    return url.origin;
  } catch {
    return null;
  }
}
