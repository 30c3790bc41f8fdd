import { describe, expect, it } from 'vitest';
import { createEdgeProtection, type EdgeProtectionSettings } from '../../src/http/edge-protection';
import { createMemoryRateLimiter } from '../../src/http/rate-limiter';
import { createManualClock } from '@parley/testing';
import { specifyRateLimiter } from '../support/rate-limiter-specification';

describe('the memory rate limiter (embedded mode)', () => {
  specifyRateLimiter((now) => createMemoryRateLimiter({ now }));
});

describe('rate limits per address and per user at the edge', () => {
  const settings: EdgeProtectionSettings = {
    perUserLimit: 2,
    perAddressLimit: 3,
    windowSeconds: 60,
    corsOrigins: [],
    requestTimeoutMs: 30_000,
    trustedProxies: [],
  };
  const edge = () =>
    createEdgeProtection({ settings, rateLimiter: createMemoryRateLimiter({ now: createManualClock().millis }), userOf: async () => null });

  it('counts an anonymous request against its address only', async () => {
    const { admit } = edge();
    expect(await admit('10.0.0.1', null)).toMatchObject({ allowed: true, limit: 3, remaining: 2 });
    expect(await admit('10.0.0.1', null)).toMatchObject({ allowed: true, limit: 3, remaining: 1 });
    expect(await admit('10.0.0.1', null)).toMatchObject({ allowed: true, limit: 3, remaining: 0 });
    expect(await admit('10.0.0.1', null)).toMatchObject({ allowed: false, limit: 3 });
  });

  it('reports the tightest limit of a signed-in request, and refuses when either limit is spent', async () => {
    const { admit } = edge();
    // The user's limit (2) is tighter than the address's (3): it is the one reported.
    expect(await admit('10.0.0.2', 'alice')).toMatchObject({ allowed: true, limit: 2, remaining: 1 });
    expect(await admit('10.0.0.2', 'alice')).toMatchObject({ allowed: true, limit: 2, remaining: 0 });
    expect(await admit('10.0.0.2', 'alice')).toMatchObject({ allowed: false, limit: 2, retryAfterSeconds: 60 });
    // The same user from another address is still out of requests; another user at the first address is not.
    expect(await admit('10.0.0.3', 'alice')).toMatchObject({ allowed: false, limit: 2 });
    expect(await admit('10.0.0.2', 'bob')).toMatchObject({ allowed: true, limit: 3, remaining: 0 });
    // Now the address is spent: even a user with requests left is refused there, with the address's figures.
    expect(await admit('10.0.0.2', 'carol')).toMatchObject({ allowed: false, limit: 3 });
  });
});
