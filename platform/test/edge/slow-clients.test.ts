import { INTERNAL_CREDENTIAL_HEADER } from '@parley/runtime';
import { captureLogs, postWithStalledBody } from '@parley/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPlatform, type EmbeddedPlatform } from '../../src/embedded-platform';

/**
 * A client that sends a request's headers and then trickles its body, or never finishes it, holds a socket, a
 * parser and an admission slot for as long as it likes unless every port bounds the body (BODY_TIMEOUT_MS): the
 * request is answered 408 REQUEST_TIMEOUT in its route's dialect and the connection closed with the answer.
 */
describe('a request body that never arrives whole', () => {
  let platform: EmbeddedPlatform;
  const logs = captureLogs('warn');

  beforeAll(async () => {
    platform = await startEmbeddedPlatform({ logger: logs.logger, port: 0, settings: { BODY_TIMEOUT_MS: '300' } });
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it("is answered 408 by the gateway's GraphQL endpoint, in GraphQL's shape, and its connection closed", async () => {
    const answer = await postWithStalledBody(platform.url);
    expect(answer.status).toBe(408);
    expect(answer.headers['connection']).toBe('close');
    expect(answer.body).toMatchObject({ errors: [{ extensions: { code: 'REQUEST_TIMEOUT' } }] });
    expect(logs.text()).toContain('the request body did not arrive in time');
  });

  it("is answered 408 by the gateway's REST API, in its shape, and its connection closed", async () => {
    const answer = await postWithStalledBody(new URL('/api/v1/auth/login', platform.url).toString());
    expect(answer.status).toBe(408);
    expect(answer.headers['connection']).toBe('close');
    expect(answer.body).toMatchObject({ error: { code: 'REQUEST_TIMEOUT' } });
  });

  it("is answered 408 by a subgraph's own port (users), and its connection closed", async () => {
    // Parley's own caller (the credential): one without it is refused before its body is read, and closed as below.
    const answer = await postWithStalledBody(platform.subgraphUrls['users']!, {
      headers: { [INTERNAL_CREDENTIAL_HEADER]: platform.internalServiceToken },
    });
    expect(answer.status).toBe(408);
    expect(answer.headers['connection']).toBe('close');
    expect(answer.body).toMatchObject({ errors: [{ extensions: { code: 'REQUEST_TIMEOUT' } }] });
  });

  it('has its connection closed when it was answered before its body came', async () => {
    // Refused at once (no such route); Node would go on reading the rest of the body for as long as it takes.
    const answer = await postWithStalledBody(new URL('/no-such-route', platform.subgraphUrls['users']).toString());
    expect(answer.status).toBe(404);
    expect(answer.raw.match(/HTTP\/1\.1 /g)).toHaveLength(1);
  });
});
