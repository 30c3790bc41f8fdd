import type { IncomingMessage } from 'node:http';

/**
 * The address of the person behind a request. X-Forwarded-For is believed
 * only from a trusted proxy (the gateway), and then only its last entry — the
 * one the gateway itself appended; anything earlier is the client's word.
 */
export function clientAddress(req: IncomingMessage, trustedProxies: readonly string[]): string {
  const peer = req.socket.remoteAddress ?? 'unknown';
  if (!trustedProxies.includes(peer)) return peer;
  const forwarded = req.headers['x-forwarded-for'];
  const value = Array.isArray(forwarded) ? forwarded.join(',') : forwarded;
  const last = value?.split(',').at(-1)?.trim();
  return last || peer;
}
