import { describe, expect, it } from 'vitest';
import { clientAddress, forwardedClientAddress, trustedProxies } from '../src';

const from = (peer: string | undefined, forwardedFor?: string | string[]) => ({
  socket: { remoteAddress: peer },
  headers: { 'x-forwarded-for': forwardedFor },
});

describe('the client address', () => {
  const none = trustedProxies([]);
  const balancers = trustedProxies(['10.0.0.0/8', '192.168.1.7', 'fd00::/8', '::1']);

  it('is the socket’s peer when no proxy is trusted, whatever X-Forwarded-For claims', () => {
    expect(clientAddress(from('203.0.113.9'), none)).toBe('203.0.113.9');
    expect(clientAddress(from('203.0.113.9', '198.51.100.1'), none)).toBe('203.0.113.9');
  });

  it('is the peer when the peer is not a trusted proxy, even with trusted-looking entries', () => {
    expect(clientAddress(from('203.0.113.9', '10.0.0.1, 10.0.0.2'), balancers)).toBe('203.0.113.9');
  });

  it('is the hop a trusted proxy names', () => {
    expect(clientAddress(from('10.1.2.3', '198.51.100.1'), balancers)).toBe('198.51.100.1');
  });

  it('walks from the right past every trusted proxy, ignoring what the client wrote further left', () => {
    // The client sent "X-Forwarded-For: 1.1.1.1, 10.9.9.9" itself; the balancers appended the rest.
    const header = '1.1.1.1, 10.9.9.9, 198.51.100.1, 192.168.1.7';
    expect(clientAddress(from('10.0.0.5', header), balancers)).toBe('198.51.100.1');
  });

  it('is the leftmost hop when every hop is trusted', () => {
    expect(clientAddress(from('10.0.0.5', '10.0.0.1, 10.0.0.2'), balancers)).toBe('10.0.0.1');
    expect(clientAddress(from('127.0.0.1', '127.0.0.1'), trustedProxies(['127.0.0.1']))).toBe('127.0.0.1');
  });

  it('trusts any proxy for "*": the first entry is the client', () => {
    expect(clientAddress(from('127.0.0.1', '10.0.0.1, 172.16.0.1'), trustedProxies(['*']))).toBe('10.0.0.1');
    expect(clientAddress(from('127.0.0.1'), trustedProxies(['*']))).toBe('127.0.0.1');
  });

  it('reads IPv6 peers and hops, and matches them by value, not spelling', () => {
    expect(clientAddress(from('fd12:3456::1', '2001:db8::42'), balancers)).toBe('2001:db8::42');
    expect(clientAddress(from('0:0:0:0:0:0:0:1', '2001:db8::42'), balancers)).toBe('2001:db8::42');
    expect(clientAddress(from('2001:db8::7', '2001:db8::42'), balancers)).toBe('2001:db8::7');
  });

  it('takes an IPv4-mapped IPv6 address for its IPv4 address, as peer, as hop and as entry', () => {
    expect(clientAddress(from('::ffff:10.0.0.5', '198.51.100.1'), balancers)).toBe('198.51.100.1');
    expect(clientAddress(from('::ffff:203.0.113.9'), none)).toBe('203.0.113.9');
    expect(clientAddress(from('10.0.0.5', '::FFFF:198.51.100.1'), balancers)).toBe('198.51.100.1');
    expect(clientAddress(from('127.0.0.1', '198.51.100.1'), trustedProxies(['::ffff:127.0.0.1']))).toBe('198.51.100.1');
  });

  it('treats an empty or blank header, and blank entries, as no hops', () => {
    expect(clientAddress(from('10.0.0.5', ''), balancers)).toBe('10.0.0.5');
    expect(clientAddress(from('10.0.0.5', ' , '), balancers)).toBe('10.0.0.5');
    expect(clientAddress(from('10.0.0.5', '198.51.100.1,, '), balancers)).toBe('198.51.100.1');
  });

  it('reads repeated X-Forwarded-For headers as one list, in order', () => {
    expect(clientAddress(from('10.0.0.5', ['198.51.100.1', '10.0.0.9']), balancers)).toBe('198.51.100.1');
  });

  it('stops at an entry that is not an address: nothing vouches for what lies beyond it', () => {
    expect(clientAddress(from('10.0.0.5', '198.51.100.1, unknown'), balancers)).toBe('unknown');
  });

  it('is "unknown" when the socket has gone', () => {
    expect(clientAddress(from(undefined, '198.51.100.1'), balancers)).toBe('unknown');
  });
});

describe('trusted proxies', () => {
  it('match addresses and CIDR ranges of both families', () => {
    const trusted = trustedProxies(['10.0.0.0/8', '2001:db8::/32', '192.0.2.1', ' ::1 ']);
    expect(['10.255.0.1', '2001:db8:ffff::1', '192.0.2.1', '::1', '::ffff:10.0.0.1'].map((a) => trusted.has(a))).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(['11.0.0.1', '2001:db9::1', '192.0.2.2', '::2', 'not an address'].map((a) => trusted.has(a))).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
  });

  it.each(['gateway', '10.0.0.0/33', '::/129', '10.0.0.0/8/8', '10.0.0.0/x', '300.0.0.1', ''])('refuse "%s", naming it', (entry) => {
    expect(() => trustedProxies([entry])).toThrow(`"${entry.trim()}" is not an IP address or a CIDR range`);
  });

  it('from a caller with the internal credential (the gateway) is the hop it forwarded, and only that one; else its peer', () => {
    expect(forwardedClientAddress(from('10.4.0.12', '198.51.100.1'))).toBe('198.51.100.1');
    expect(forwardedClientAddress(from('::ffff:10.4.0.12', '1.1.1.1, 198.51.100.1'))).toBe('198.51.100.1');
    expect(forwardedClientAddress(from('10.4.0.12'))).toBe('10.4.0.12');
  });
});
