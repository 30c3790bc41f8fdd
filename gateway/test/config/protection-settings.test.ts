import { loadConfig } from '@parley/runtime';
import { describe, expect, it } from 'vitest';
import { gatewayProtectionFrom, gatewayProtectionSettingsSchema } from '../../src/config/protection-settings';

const trustedProxiesFrom = (environment: Record<string, string>) =>
  gatewayProtectionFrom(loadConfig(gatewayProtectionSettingsSchema, environment)).edge.trustedProxies;

describe('the proxies the gateway believes', () => {
  it('are none by default: the socket’s peer is the client', () => {
    expect(trustedProxiesFrom({})).toEqual([]);
  });

  it('are the addresses and CIDR ranges of TRUSTED_PROXIES', () => {
    expect(trustedProxiesFrom({ TRUSTED_PROXIES: '10.0.0.0/8, 192.0.2.7' })).toEqual(['10.0.0.0/8', '192.0.2.7']);
  });

  it('are any proxy with TRUST_FORWARDED_FOR=true, the setting’s former form', () => {
    expect(trustedProxiesFrom({ TRUST_FORWARDED_FOR: 'true' })).toEqual(['*']);
    expect(trustedProxiesFrom({ TRUST_FORWARDED_FOR: 'true', TRUSTED_PROXIES: '10.0.0.0/8' })).toEqual(['*']);
  });

  it('refuse an entry that is not an address, naming it', () => {
    expect(() => trustedProxiesFrom({ TRUSTED_PROXIES: 'load-balancer' })).toThrow(/TRUSTED_PROXIES: "load-balancer" is not an IP address/);
  });
});

describe('the public origin the pages may open graphql-ws to', () => {
  const publicOriginFrom = (environment: Record<string, string>) =>
    gatewayProtectionFrom(loadConfig(gatewayProtectionSettingsSchema, environment)).publicOrigin;

  it('is none by default', () => {
    expect(publicOriginFrom({})).toBeNull();
  });

  it("is PUBLIC_URL's origin, whatever path it names", () => {
    expect(publicOriginFrom({ PUBLIC_URL: 'https://chat.example.com/' })).toBe('https://chat.example.com');
    expect(publicOriginFrom({ PUBLIC_URL: 'http://10.0.0.5:8080/parley' })).toBe('http://10.0.0.5:8080');
  });

  it('refuses a PUBLIC_URL that is not an http(s) URL', () => {
    expect(() => publicOriginFrom({ PUBLIC_URL: 'chat.example.com' })).toThrow(/PUBLIC_URL/);
    expect(() => publicOriginFrom({ PUBLIC_URL: 'ftp://chat.example.com' })).toThrow(/PUBLIC_URL/);
  });
});
