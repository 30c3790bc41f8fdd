import type { IncomingMessage } from 'node:http';

/** Content-Security-Policy directives by name, e.g. { 'script-src': ["'self'"] }. */
export type CspDirectives = Record<string, readonly string[]>;

/**
 * What every page the gateway serves (the explorers, the web client) starts
 * from: nothing loads, posts or frames the page unless its own policy names it.
 */
export const LOCKED_DOWN: CspDirectives = {
  'default-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
  'frame-ancestors': ["'none'"],
};

export function serializeCsp(directives: CspDirectives): string {
  return Object.entries(directives)
    .map(([name, sources]) => [name, ...sources].join(' '))
    .join('; ');
}

// A host name, IPv4 address or bracketed IPv6 address, and an optional port: nothing that could end the directive.
const HOST = /^(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

/**
 * The WebSocket origins of the host the page was asked for. CSP Level 3 lets
 * 'self' cover ws:/wss: on the page's own host, but not every browser in use
 * does, and subscriptions need that socket; a Host header that is not a plain
 * host[:port] adds nothing.
 */
export function sameHostSockets(req: IncomingMessage): string[] {
  const host = req.headers.host;
  return host && HOST.test(host) ? [`ws://${host}`, `wss://${host}`] : [];
}
