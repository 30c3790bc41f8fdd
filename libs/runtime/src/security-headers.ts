import type { ServerResponse } from 'node:http';

/**
 * What every answer of every Parley service carries, errors and 404s included: nothing a browser receives from
 * Parley is sniffed into another type, framed, sent on as a referrer, or shares a browsing context group or a
 * no-cors load with another site. The policy suits JSON, text and event streams (they need nothing); a page sets
 * its own stricter-than-nothing policy over it (`writeHead`'s headers take precedence over these).
 *
 * Cross-Origin-Resource-Policy governs no-cors loads only (an <img> or <script> of another site), so the API's
 * CORS callers are unaffected; no page of Parley opens or is opened by another site's window.
 */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/**
 * Sent only by a shell that terminates TLS itself, where the transport is known to be HTTPS. Behind a load
 * balancer or ingress that terminates it, HSTS is the terminator's: it owns the certificate and knows which
 * names are HTTPS-only, where the service would have to trust a forwarded scheme. No includeSubDomains: other
 * names under the domain are not Parley's to pin.
 */
const STRICT_TRANSPORT_SECURITY = 'max-age=31536000';

export interface SecurityHeaderOptions {
  /** The shell terminates TLS itself: add Strict-Transport-Security. */
  https: boolean;
}

/** The baseline as (name, value) pairs, once per process: set on every answer, so nothing is built per request. */
const PLAIN: readonly (readonly [string, string])[] = Object.entries(SECURITY_HEADERS);
const OVER_TLS: readonly (readonly [string, string])[] = [...PLAIN, ['strict-transport-security', STRICT_TRANSPORT_SECURITY]];
const baseline = ({ https }: SecurityHeaderOptions) => (https ? OVER_TLS : PLAIN);

/** Sets the baseline on an answer before its handler runs; a handler may replace any of it (a page's own policy). */
export function setSecurityHeaders(res: ServerResponse, options: SecurityHeaderOptions): void {
  for (const [name, value] of baseline(options)) res.setHeader(name, value);
}

/** The baseline as raw header lines (`Name: value`), for an answer written straight to a socket. */
export function securityHeaderLines(options: SecurityHeaderOptions): string[] {
  return baseline(options).map(([name, value]) => `${name}: ${value}`);
}
