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

/**
 * What a page of the gateway may connect to besides its own origin ('self'): the WebSocket origin of the gateway's
 * public URL (PUBLIC_URL: wss: for https, ws: for http), where subscriptions go. CSP Level 3 lets 'self' cover
 * ws:/wss: on the page's own host, but not every browser in use does; naming the socket's origin covers those. It
 * comes from the operator's setting and never from the request: a Host header is the client's to choose (a
 * poisoned cache, a rebound name), and whatever it named would be a place the page may send data. Without the
 * setting, 'self' alone.
 */
export function publicSockets(publicOrigin: string | null): string[] {
  if (publicOrigin === null) return [];
  const url = new URL(publicOrigin);
  return [`${url.protocol === 'https:' ? 'wss:' : 'ws:'}//${url.host}`];
}
