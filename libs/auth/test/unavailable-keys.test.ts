import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ErrorCode, UnauthenticatedError, UpstreamUnavailableError } from '@parley/errors';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { retryingFetch } from '@parley/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { remoteAccessTokenVerifier } from '../src';

type Answer = (req: IncomingMessage, res: ServerResponse) => void;

/** A JWKS endpoint on a real port whose answer the test sets; `arrived` resolves on the next request it receives. */
async function keyServer(initial: Answer) {
  let answer = initial;
  let arrival: (() => void) | undefined;
  const server: Server = createServer((req, res) => {
    arrival?.();
    answer(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    answer: (next: Answer) => (answer = next),
    arrived: () => new Promise<void>((resolve) => (arrival = resolve)),
    close: () =>
      new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
    /** Listens again on the same port after `close`: a users service back from a restart. */
    reopen: () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve)),
  };
}

/** A signing key, its JWKS, and tokens signed with it (each one new, so no verified-token cache answers for another). */
async function signingKey(kid = 'k1') {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] };
  const sign = () =>
    new SignJWT({ roles: ['user'] })
      .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' })
      .setIssuer('parley')
      .setAudience('parley-api')
      .setSubject('u1')
      .setJti(crypto.randomUUID())
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
  return { jwks, sign };
}

const serving =
  (jwks: object): Answer =>
  (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(jwks));
  };

async function signedToken() {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }] };
  const token = await new SignJWT({ roles: ['user'] })
    .setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'at+jwt' })
    .setIssuer('parley')
    .setAudience('parley-api')
    .setSubject('u1')
    .setJti('j1')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(privateKey);
  return { jwks, token };
}

const refusal = (verification: Promise<unknown>) =>
  verification.then(
    () => {
      throw new Error('the token was accepted');
    },
    (error: unknown) => error,
  );

describe('an access token whose keys cannot be fetched', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
  });

  it('is refused as retriable UPSTREAM_UNAVAILABLE when the JWKS never answers, and accepted once it does', async () => {
    const { jwks, token } = await signedToken();
    // Holds every request open: no answer, not even headers.
    const keys = await keyServer(() => undefined);
    closers.push(keys.close);
    const verifier = remoteAccessTokenVerifier({ jwksUrl: keys.url, issuer: 'parley', audience: 'parley-api', jwksTimeoutMs: 200 });

    const asked = keys.arrived();
    const error = await refusal(verifier.verify(token));
    await asked;
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(error).not.toBeInstanceOf(UnauthenticatedError);
    expect(error).toMatchObject({ code: ErrorCode.UPSTREAM_UNAVAILABLE, retriable: true, message: expect.stringMatching(/try again/i) });

    // The same token, asked again once the keys can be had, passes: the refusal was not the token's.
    keys.answer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(jwks));
    });
    await expect(verifier.verify(token)).resolves.toMatchObject({ userId: 'u1' });
  });

  it.each<[string, Answer]>([
    [
      'answers 500',
      (_req, res) => {
        res.writeHead(500);
        res.end('down');
      },
    ],
    [
      'answers something other than JSON',
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('<html>');
      },
    ],
    [
      'answers JSON that is not a key set',
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"keys": "none"}');
      },
    ],
    ['drops the connection', (req) => req.socket.destroy()],
  ])('is refused as UPSTREAM_UNAVAILABLE when the JWKS %s', async (_what, answer) => {
    const { token } = await signedToken();
    const keys = await keyServer(answer);
    closers.push(keys.close);
    const verifier = remoteAccessTokenVerifier({ jwksUrl: keys.url, issuer: 'parley', audience: 'parley-api' });
    expect(await refusal(verifier.verify(token))).toBeInstanceOf(UpstreamUnavailableError);
  });

  it('is refused as UPSTREAM_UNAVAILABLE when nothing listens where the JWKS should be', async () => {
    const { token } = await signedToken();
    const keys = await keyServer(() => undefined);
    await keys.close();
    const verifier = remoteAccessTokenVerifier({ jwksUrl: keys.url, issuer: 'parley', audience: 'parley-api' });
    expect(await refusal(verifier.verify(token))).toBeInstanceOf(UpstreamUnavailableError);
  });

  it('is still the token’s fault (401) when the JWKS answers but has no key for it', async () => {
    const { token } = await signedToken();
    const other = (await signedToken()).jwks;
    const keys = await keyServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: other.keys.map((key) => ({ ...key, kid: 'k2' })) }));
    });
    closers.push(keys.close);
    const verifier = remoteAccessTokenVerifier({ jwksUrl: keys.url, issuer: 'parley', audience: 'parley-api' });
    const error = await refusal(verifier.verify(token));
    expect(error).toBeInstanceOf(UnauthenticatedError);
    expect(error).toMatchObject({ message: 'The access token was signed with an unknown key.' });
  });

  it('keeps accepting tokens signed with keys it already has when the set, due for a refresh, cannot be fetched', async () => {
    const key = await signingKey();
    const keys = await keyServer(serving(key.jwks));
    closers.push(keys.close);
    const verifier = remoteAccessTokenVerifier({ jwksUrl: keys.url, issuer: 'parley', audience: 'parley-api', jwksMaxAgeMs: 50 });
    await expect(verifier.verify(await key.sign())).resolves.toMatchObject({ userId: 'u1' });

    await keys.close();
    // Past the set's age: the next verification asks the users service again, which is gone.
    await new Promise((resolve) => setTimeout(resolve, 100));
    await expect(verifier.verify(await key.sign())).resolves.toMatchObject({ userId: 'u1' });
  });

  it('refuses a token whose key the known set lacks as UPSTREAM_UNAVAILABLE while the set cannot be fetched: it may be newer', async () => {
    const key = await signingKey('k1');
    const rotated = await signingKey('k2');
    const keys = await keyServer(serving(key.jwks));
    closers.push(keys.close);
    const verifier = remoteAccessTokenVerifier({ jwksUrl: keys.url, issuer: 'parley', audience: 'parley-api', jwksMaxAgeMs: 50 });
    await verifier.verify(await key.sign());
    await keys.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await refusal(verifier.verify(await rotated.sign()))).toBeInstanceOf(UpstreamUnavailableError);
  });

  it('waits for a users service that refuses connections while it restarts, given a retrying fetch', async () => {
    const key = await signingKey();
    const keys = await keyServer(serving(key.jwks));
    closers.push(keys.close);
    await keys.close();
    // The users service comes back once the verifier has found it gone and is waiting to ask again.
    const jwksFetch = retryingFetch({ budgetMs: 5_000, onRetry: () => void keys.reopen() });
    const verifier = remoteAccessTokenVerifier({
      jwksUrl: keys.url,
      issuer: 'parley',
      audience: 'parley-api',
      jwksTimeoutMs: 10_000,
      jwksFetch,
    });
    await expect(verifier.verify(await key.sign())).resolves.toMatchObject({ userId: 'u1' });
  });
});
