import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createAccessTokenVerifier } from '../src';

async function setup(cacheSize?: number, ended: Set<string> = new Set()) {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };
  let lookups = 0;
  const keySet = createLocalJWKSet({ keys: [jwk] });
  let clock = new Date('2026-11-27T08:00:00Z');
  const verifier = createAccessTokenVerifier({
    keys: async (header, token) => {
      lookups++;
      return keySet(header, token);
    },
    issuer: 'parley',
    audience: 'parley-api',
    now: () => clock,
    ...(cacheSize === undefined ? {} : { cacheSize }),
    revokedSessions: ended,
  });
  const issuedAt = Math.floor(clock.getTime() / 1000);
  const sign = (claims: Record<string, unknown>) =>
    new SignJWT({ roles: ['user'], ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'at+jwt' })
      .setIssuer('parley')
      .setAudience('parley-api')
      .setSubject('u1')
      .setJti('j1')
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + 900)
      .sign(privateKey);
  const token = await sign({ sid: 's1' });
  return {
    verifier,
    token,
    sign,
    lookups: () => lookups,
    advance: (seconds: number) => (clock = new Date(clock.getTime() + seconds * 1000)),
  };
}

describe('the access-token verifier', () => {
  it('verifies a token once and answers repeats from memory until it expires', async () => {
    const { verifier, token, lookups, advance } = await setup();
    const first = await verifier.verify(token);
    expect(first).toEqual({ userId: 'u1', roles: ['user'], tokenId: 'j1', sessionId: 's1', scopes: null, apiKeyId: null });
    await verifier.verify(token);
    await verifier.verify(token);
    expect(lookups()).toBe(1);
    advance(901 + 5);
    await expect(verifier.verify(token)).rejects.toThrow(/expired/);
  });

  it('hands out copies, so a caller cannot change what the next request sees', async () => {
    const { verifier, token } = await setup();
    const viewer = await verifier.verify(token);
    viewer.roles.push('admin');
    expect((await verifier.verify(token)).roles).toEqual(['user']);
  });

  it('verifies every time with the cache off', async () => {
    const { verifier, token, lookups } = await setup(0);
    await verifier.verify(token);
    await verifier.verify(token);
    expect(lookups()).toBe(2);
  });

  it('never caches a refusal', async () => {
    const { verifier, token } = await setup();
    const tampered = `${token.slice(0, -4)}AAAA`;
    await expect(verifier.verify(tampered)).rejects.toThrow(/signature is invalid/);
    await expect(verifier.verify(tampered)).rejects.toThrow(/signature is invalid/);
  });

  it('refuses a token of a session that ended, also when it was verified and remembered before', async () => {
    const ended = new Set<string>();
    const { verifier, token, sign, lookups } = await setup(undefined, ended);
    const otherSession = await sign({ sid: 's2' });
    await verifier.verify(token);
    await verifier.verify(otherSession);
    ended.add('s1');
    // The remembered answer (no signature check, lookups stays 2) is refused as well.
    await expect(verifier.verify(token)).rejects.toThrow('This session has ended; sign in again.');
    expect(lookups()).toBe(2);
    await expect(verifier.verify(otherSession)).resolves.toMatchObject({ sessionId: 's2' });
    // Refused again after a fresh check of the signature, too (the refusal forgot the remembered answer).
    await expect(verifier.verify(token)).rejects.toThrow('This session has ended; sign in again.');
    expect(lookups()).toBe(3);
  });

  it('refuses a token of an ended session on its first verification, and never checks a token without a session', async () => {
    const { verifier, token, sign } = await setup(undefined, new Set(['s1']));
    await expect(verifier.verify(token)).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      message: 'This session has ended; sign in again.',
    });
    // An API key's token carries no session: what ends it is the key's revocation, checked at each trade.
    await expect(verifier.verify(await sign({ scope: 'chat', akid: 'k1' }))).resolves.toMatchObject({ sessionId: null, apiKeyId: 'k1' });
  });
});
