import { startPlatformUnderTest, type PlatformUnderTest } from '@parley/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawGraphQLPost } from '@parley/testing';

/**
 * The gateway's limits are tested over stand-in subgraphs (gateway/test/edge);
 * this checks the other half: a platform's own gateway, embedded or a process of
 * its own, reads them from the platform's settings.
 */
describe("the platform's gateway", () => {
  let platform: PlatformUnderTest;

  beforeAll(async () => {
    platform = await startPlatformUnderTest({ settings: { MAX_QUERY_DEPTH: '3', MAX_QUERY_ALIASES: '2' } });
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it('applies the operation limits set in the platform settings', async () => {
    const shallow = await rawGraphQLPost(platform.url, { query: '{ models { id } }' });
    expect(shallow.status).toBe(200);
    expect(shallow.body.errors).toBeUndefined();

    const deep = await rawGraphQLPost(platform.url, { query: '{ conversations { edges { node { title } } } }' });
    expect(deep.status).toBe(400);
    expect(deep.body.errors?.[0]?.extensions?.['code']).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(deep.body.errors?.[0]?.message).toMatch(/at most 3/);

    const aliased = await rawGraphQLPost(platform.url, { query: '{ a: models { id } b: models { id } c: models { id } }' });
    expect(aliased.status).toBe(400);
    expect(aliased.body.errors?.[0]?.message).toMatch(/alias/i);
  });
});
