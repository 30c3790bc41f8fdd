import { randomUUID } from 'node:crypto';
import { MeDocument } from '@parley/client';
import { postGraphQL } from '@parley/testing';
import { exportSPKI, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatformUnderTest, type PlatformUnderTest } from '../../src/testing/platform-under-test';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('access tokens the gateway and every subgraph refuse', () => {
  let platform: PlatformUnderTest;
  let userId: string;
  let kid: string;
  let sign: (claims: Record<string, unknown>, header?: Record<string, unknown>) => Promise<string>;
  const now = () => Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    platform = await startPlatformUnderTest();
    userId = (await platform.users.directory().create({ email: 'victim@example.com' })).id;
    const active = await platform.users.keys.activeKey();
    kid = active.kid;
    sign = (claims, header = {}) =>
      new SignJWT({ roles: ['user'], ...claims })
        .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt', ...header })
        .sign(active.privateKey);
  });
  afterAll(async () => {
    await platform?.stop();
  });

  const valid = () => ({ iss: 'parley', aud: 'parley-api', sub: userId, jti: randomUUID(), iat: now(), nbf: now(), exp: now() + 600 });

  it('accepts a well-formed token signed by the users service (the control case)', async () => {
    const { status, body } = await postGraphQL(platform.url, MeDocument, { token: await sign(valid()) });
    expect(status).toBe(200);
    expect(body.data!.me!.id).toBe(userId);
  });

  const cases: [string, () => Promise<string>, RegExp][] = [
    ['malformed', async () => 'abc.def.ghi', /malformed/],
    ['expired', async () => sign({ ...valid(), iat: now() - 3600, nbf: now() - 3600, exp: now() - 60 }), /has expired/],
    ['not yet valid', async () => sign({ ...valid(), nbf: now() + 600 }), /not valid yet/],
    ['alg none', async () => `${b64({ alg: 'none', typ: 'at+jwt', kid })}.${b64(valid())}.`, /algorithm that is not accepted/],
    [
      'HS256 signed with the public key',
      async () => {
        const { keys } = await platform.users.keys.publicJwks();
        const pem = await exportSPKI((await importJWK(keys[0] as JWK, 'ES256', { extractable: true })) as Parameters<typeof exportSPKI>[0]);
        return new SignJWT({ roles: ['admin'] })
          .setProtectedHeader({ alg: 'HS256', kid, typ: 'at+jwt' })
          .setIssuer('parley')
          .setAudience('parley-api')
          .setSubject(userId)
          .setJti('x')
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(new TextEncoder().encode(pem));
      },
      /algorithm that is not accepted/,
    ],
    [
      'unknown kid',
      async () => {
        const { privateKey } = await generateKeyPair('ES256');
        return new SignJWT({ roles: ['user'], ...valid() })
          .setProtectedHeader({ alg: 'ES256', kid: 'someone-elses', typ: 'at+jwt' })
          .sign(privateKey);
      },
      /unknown key/,
    ],
    ['wrong issuer', async () => sign({ ...valid(), iss: 'https://evil.example' }), /"iss" claim is not accepted/],
    ['wrong audience', async () => sign({ ...valid(), aud: 'another-api' }), /"aud" claim is not accepted/],
    ['wrong type (an ID token, not an access token)', async () => sign(valid(), { typ: 'JWT' }), /"typ" claim is not accepted/],
    [
      'tampered',
      async () => {
        const [header, , signature] = (await sign(valid())).split('.');
        return `${header}.${b64({ ...valid(), roles: ['admin'] })}.${signature}`;
      },
      /signature is invalid/,
    ],
  ];

  it.each(cases)('refuses a %s token with 401 UNAUTHENTICATED and says why', async (_name, make, message) => {
    const token = await make();
    const { status, body } = await postGraphQL(platform.url, MeDocument, { token });
    expect(status).toBe(401);
    expect(body.data ?? null).toBeNull();
    expect(body.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
    expect(body.errors?.[0]?.message).toMatch(message);
    // Zero trust: the subgraph refuses it too when called directly, even with the internal credential.
    for (const subgraph of ['users', 'chat']) {
      const direct = await postGraphQL(platform.subgraphUrls[subgraph]!, '{ __typename }', { token, headers: platform.internalHeaders });
      expect(direct.status, subgraph).toBe(401);
      expect(direct.body.errors?.[0]?.message, subgraph).toMatch(message);
    }
  });
});
