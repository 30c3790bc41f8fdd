import { serverAudits } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatformUnderTest, type PlatformUnderTest } from '../../src/testing/platform-under-test';

/**
 * graphql-http's server audit suite (the GraphQL-over-HTTP spec) against the
 * gateway. Every MUST audit must pass; the SHOULD and MAY results are printed
 * so the closing note can list them.
 */
describe('GraphQL over HTTP compliance (graphql-http server audits)', () => {
  let platform: PlatformUnderTest;
  beforeAll(async () => {
    platform = await startPlatformUnderTest();
  }, 120_000);
  afterAll(async () => {
    await platform?.stop();
  });

  const audits = serverAudits({ url: () => platform.url });

  for (const audit of audits.filter((a) => a.name.startsWith('MUST'))) {
    it(audit.name, async () => {
      const result = await audit.fn();
      expect(result.status === 'ok' ? 'ok' : `${result.status}: ${result.reason}`).toBe('ok');
    });
  }

  it('answers an operationName the document does not have with 400 and a GraphQL error, as a client error', async () => {
    const response = await fetch(platform.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body: JSON.stringify({ query: 'query Known { __typename }', operationName: 'Unknown' }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      errors: [
        expect.objectContaining({
          message: 'The document has no operation named "Unknown".',
          extensions: { code: 'OPERATION_RESOLUTION_FAILURE' },
        }),
      ],
    });
  });

  it('reports the SHOULD and MAY audits', async () => {
    const lines: string[] = [];
    for (const audit of audits.filter((a) => !a.name.startsWith('MUST'))) {
      const result = await audit.fn();
      lines.push(
        `${result.status === 'ok' ? 'ok  ' : result.status.padEnd(4)} ${audit.name}${result.status === 'ok' ? '' : ` — ${result.reason}`}`,
      );
    }
    console.log(`graphql-http SHOULD/MAY audits:\n${lines.join('\n')}`);
    expect(lines.length).toBeGreaterThan(0);
  });
});
