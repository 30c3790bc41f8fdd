import { RegisterDocument } from '@parley/client';
import { postGraphQL } from '@parley/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realServices, startPlatformUnderTest, type PlatformUnderTest } from '../support/platform-under-test';

describe.runIf(realServices())('rate limits across gateway replicas (services mode)', () => {
  let platform: PlatformUnderTest;
  beforeAll(async () => {
    platform = await startPlatformUnderTest({ gateways: 2, settings: { RATE_LIMIT_PER_USER: '6', RATE_LIMIT_WINDOW_SECONDS: '60' } });
  }, 120_000);
  afterAll(async () => {
    await platform?.stop();
  });

  it('counts one user’s requests on both gateways against one limit, kept in Redis', async () => {
    const [a, b] = platform.gatewayUrls as [string, string];
    const { body } = await postGraphQL(a, RegisterDocument, {
      variables: { input: { email: 'replicas@example.com', password: 'a long enough passphrase' } },
    });
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${body.data!.register.accessToken}` };
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const response = await fetch(i % 2 === 0 ? a : b, { method: 'POST', headers, body: JSON.stringify({ query: '{ me { id } }' }) });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429, 429]);
  });
});
