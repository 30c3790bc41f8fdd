import type { IncomingMessage } from 'node:http';
import { trustedProxies } from '@parley/auth';
import { describe, expect, it } from 'vitest';
import { normalizedOrigin, requestOrigin } from '../../src/http/request-origin';

/** A request as the gateway's HTTP server hands it over: its headers and the socket it came on. */
const request = (headers: Record<string, string>, { peer = '203.0.113.7', tls = false } = {}) =>
  ({ headers, socket: { remoteAddress: peer, ...(tls ? { encrypted: true } : {}) } }) as unknown as IncomingMessage;

describe('the origin a request was sent to (the browser session routes compare Origin with it)', () => {
  const none = trustedProxies([]);
  const balancer = trustedProxies(['10.0.0.0/8']);

  it('is the scheme of the connection and the Host header, spelt as browsers spell Origin', () => {
    expect(requestOrigin(request({ host: '127.0.0.1:4000' }), none)).toBe('http://127.0.0.1:4000');
    expect(requestOrigin(request({ host: 'Chat.Example.com' }, { tls: true }), none)).toBe('https://chat.example.com');
    // A default port is left out, as a browser leaves it out of Origin.
    expect(requestOrigin(request({ host: 'chat.example.com:443' }, { tls: true }), none)).toBe('https://chat.example.com');
  });

  it('believes X-Forwarded-Proto only from a trusted proxy (a load balancer that terminated TLS)', () => {
    const forwarded = { host: 'chat.example.com', 'x-forwarded-proto': 'https' };
    expect(requestOrigin(request(forwarded, { peer: '10.1.2.3' }), balancer)).toBe('https://chat.example.com');
    expect(requestOrigin(request(forwarded, { peer: '203.0.113.7' }), balancer)).toBe('http://chat.example.com');
    expect(requestOrigin(request(forwarded, { peer: '10.1.2.3' }), none)).toBe('http://chat.example.com');
    // The first entry is what the client used; anything but http(s) is ignored.
    expect(requestOrigin(request({ ...forwarded, 'x-forwarded-proto': 'https, http' }, { peer: '10.1.2.3' }), balancer)).toBe(
      'https://chat.example.com',
    );
    expect(requestOrigin(request({ ...forwarded, 'x-forwarded-proto': 'gopher' }, { peer: '10.1.2.3' }), balancer)).toBe(
      'http://chat.example.com',
    );
  });

  it('is null without a Host header, or with one that names no host', () => {
    expect(requestOrigin(request({}), none)).toBeNull();
    expect(requestOrigin(request({ host: 'a b' }), none)).toBeNull();
  });

  it('reads an Origin header as an origin only when it is one: "null" or a URL with a path is none', () => {
    expect(normalizedOrigin('https://Chat.example.com:443')).toBe('https://chat.example.com');
    expect(normalizedOrigin('null')).toBeNull();
    expect(normalizedOrigin('https://chat.example.com/app')).toBeNull();
    expect(normalizedOrigin('file:///etc/passwd')).toBeNull();
  });
});
