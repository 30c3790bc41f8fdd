import { LoginDocument, RefreshTokenDocument } from '@parley/client';
import { captureLogs, postGraphQL } from '@parley/testing';
import { registerUser } from '@parley/testing/parley-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPlatform, type EmbeddedPlatform } from '../../src/embedded-platform';

describe('sessions that expire, and limits per client address', () => {
  let platform: EmbeddedPlatform;
  let now = Date.now();
  const days = (n: number) => n * 86_400_000;

  beforeAll(async () => {
    platform = await startEmbeddedPlatform({
      logger: captureLogs('silent').logger,
      port: 0,
      clock: { now: () => new Date(now) },
      settings: { REFRESH_IDLE_DAYS: '30', REFRESH_MAX_DAYS: '90', LOGIN_ATTEMPTS_PER_IP: '3' },
    });
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it('ends a session left unused longer than the idle limit', async () => {
    const { refreshToken } = await registerUser(platform.url, 'idle@example.com');
    now += days(29);
    const kept = await postGraphQL(platform.url, RefreshTokenDocument, { variables: { refreshToken } });
    expect(kept.body.errors).toBeUndefined();
    now += days(31);
    const expired = await postGraphQL(platform.url, RefreshTokenDocument, {
      variables: { refreshToken: kept.body.data!.refreshToken.refreshToken },
    });
    expect(expired.body.errors?.[0]).toMatchObject({
      message: 'This session has expired; sign in again.',
      extensions: { code: 'UNAUTHENTICATED' },
    });
  });

  it('ends a session at its maximum age even when used every day', async () => {
    let { refreshToken } = await registerUser(platform.url, 'busy@example.com');
    for (let day = 0; day < 90; day += 20) {
      now += days(20);
      const next = await postGraphQL(platform.url, RefreshTokenDocument, { variables: { refreshToken } });
      if (day + 20 <= 90) expect(next.body.errors, `day ${day + 20}`).toBeUndefined();
      else expect(next.body.errors?.[0]?.message, `day ${day + 20}`).toMatch(/expired/);
      refreshToken = next.body.data?.refreshToken.refreshToken ?? refreshToken;
    }
  });

  it('limits sign-in attempts per client address, whichever accounts they try', async () => {
    const from = (localAddress: string, email: string) =>
      postGraphQL(platform.url, LoginDocument, { variables: { email, password: 'wrong password!' }, localAddress });
    for (let i = 0; i < 3; i++) {
      expect((await from('127.0.0.2', `stranger${i}@example.com`)).body.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
    }
    const limited = (await from('127.0.0.2', 'stranger9@example.com')).body.errors?.[0];
    expect(limited?.extensions?.['code']).toBe('RATE_LIMITED');
    expect(limited?.message).toMatch(/from your address/);
    // Another machine is not affected.
    expect((await from('127.0.0.3', 'stranger0@example.com')).body.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
  });

  it('counts the address the gateway settled on: an X-Forwarded-For the client wrote itself does not escape the limit', async () => {
    // The gateway trusts no proxy here, so the client is its socket's peer (127.0.0.1) whatever the header says. Users
    // trusts loopback (the gateway) and is told that one address: were the client's header passed on, users would
    // walk past the loopback hop and believe the entry the client wrote.
    const spoofing = (forwardedFor: string) =>
      postGraphQL(platform.url, LoginDocument, {
        variables: { email: 'someone@example.com', password: 'wrong password!' },
        headers: { 'x-forwarded-for': forwardedFor },
      });
    for (const forwardedFor of ['198.51.100.1', '198.51.100.2', '198.51.100.3, 127.0.0.1']) {
      expect((await spoofing(forwardedFor)).body.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
    }
    const limited = (await spoofing('198.51.100.4')).body.errors?.[0];
    expect(limited?.extensions?.['code']).toBe('RATE_LIMITED');
    expect(limited?.message).toMatch(/from your address/);
  });
});
