import { BlockList, isIP } from 'node:net';

/** What a request says about where it came from (an `IncomingMessage` is one). */
export interface AddressedRequest {
  socket: { remoteAddress?: string | undefined };
  headers: { readonly [name: string]: string | string[] | undefined };
}

/** The proxies whose X-Forwarded-For a service believes. */
export interface TrustedProxies {
  has(address: string): boolean;
}

/**
 * Proxies by address or CIDR range (`10.0.0.0/8`, `::1`, `fd00::/8`); `*`
 * trusts any. Throws a TypeError naming an entry that is neither, so a typo
 * in TRUSTED_PROXIES fails start instead of trusting nobody in silence.
 */
export function trustedProxies(entries: readonly string[]): TrustedProxies {
  const list = new BlockList();
  let any = false;
  for (const raw of entries) {
    const entry = raw.trim();
    if (entry === '*') {
      any = true;
      continue;
    }
    const [address = '', prefix, extra] = entry.split('/');
    const plain = unmapped(address);
    const family = isIP(plain) === 4 ? 'ipv4' : isIP(plain) === 6 ? 'ipv6' : null;
    const bits = prefix === undefined ? null : /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
    if (!family || extra !== undefined || (bits !== null && !(bits <= (family === 'ipv4' ? 32 : 128)))) {
      throw new TypeError(`"${entry}" is not an IP address or a CIDR range (e.g. 10.0.0.0/8, ::1)`);
    }
    if (bits === null) list.addAddress(plain, family);
    else list.addSubnet(plain, bits, family);
  }
  const none = entries.length === 0;
  return {
    has(address) {
      if (any) return true;
      if (none) return false;
      const plain = unmapped(address);
      const family = isIP(plain);
      return family !== 0 && list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
    },
  };
}

/**
 * The address of the person behind a request. X-Forwarded-For is read from
 * the right: each hop a trusted proxy wrote names who connected to it, and
 * the first hop that is not a trusted proxy is the client. Entries further
 * left are the client's own word and never believed, so they cannot be
 * spoofed; when every hop is trusted, the leftmost one is the client. An
 * IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) is its IPv4 address.
 */
export function clientAddress(request: AddressedRequest, trusted: TrustedProxies): string {
  const peer = request.socket.remoteAddress;
  if (peer === undefined) return 'unknown';
  const header = request.headers['x-forwarded-for'];
  const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((hop) => hop.trim())
    .filter(Boolean);
  let address = unmapped(peer);
  while (hops.length > 0 && trusted.has(address)) address = unmapped(hops.pop()!);
  return address;
}

/**
 * The address of the person behind a request from a caller that proved it is Parley's own (a subgraph's caller
 * with the internal credential: the gateway). That caller is the one proxy believed: its X-Forwarded-For names the
 * client it settled on with its own TRUSTED_PROXIES; without one, the peer itself is the client. Any other caller
 * is refused before this is asked, so no configured address list is needed and none can be too wide.
 */
export function forwardedClientAddress(request: AddressedRequest): string {
  const peer = unmapped(request.socket.remoteAddress ?? '');
  return clientAddress(request, { has: (address) => address === peer });
}

function unmapped(address: string): string {
  const trimmed = address.trim();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(trimmed);
  return mapped ? mapped[1]! : trimmed;
}
