import { getIntrospectionQuery } from 'graphql';
import { loadConfig } from '@parley/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayProtectionFrom, gatewayProtectionSettingsSchema } from '../../src/config/protection-settings';
import { rawGraphQLPost } from '@parley/testing';
import { startGatewayOverStandIns, startStandInSubgraphs, type StandInSubgraphs } from '../support/stand-in-subgraphs';

const post = rawGraphQLPost;

/** A gateway over the stand-in subgraphs, its protection read from these settings as a gateway process reads its own. */
async function gatewayWith(standIns: StandInSubgraphs, settings: Record<string, string>) {
  return startGatewayOverStandIns(standIns, { protection: gatewayProtectionFrom(loadConfig(gatewayProtectionSettingsSchema, settings)) });
}

describe('protection limits on every operation', () => {
  let standIns: StandInSubgraphs;
  let gateway: { url: string; close(): Promise<void> };
  let token: string;
  const auth = () => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    standIns = await startStandInSubgraphs();
    gateway = await gatewayWith(standIns, {
      MAX_QUERY_DEPTH: '7',
      MAX_QUERY_COST: '1500',
      MAX_QUERY_ALIASES: '5',
      MAX_ROOT_FIELDS: '4',
      MAX_QUERY_TOKENS: '300',
      MAX_REQUEST_BYTES: '4096',
    });
    token = await standIns.signIn('limits@example.com');
  });
  afterAll(async () => {
    await gateway?.close();
    await standIns?.close();
  });

  it('answers an operation within every limit', async () => {
    const { status, body } = await post(gateway.url, { query: '{ me { id email } models { id } }' }, auth());
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
  });

  it('refuses an operation nested too deep, with 400 and the depth it found', async () => {
    const query = '{ conversations { edges { node { messages { edges { node { conversation { title } } } } } } } }';
    const { status, body } = await post(gateway.url, { query }, auth());
    expect(status).toBe(400);
    expect(body.errors?.[0]?.extensions?.['code']).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(body.errors?.[0]?.message).toMatch(/nests fields 8 deep; at most 7/);
  });

  it('refuses an operation whose lists multiply past the cost limit, naming the figures, before fetching anything', async () => {
    const query =
      'query Big($n: Int) { conversations(first: $n) { edges { node { title messages(first: 50) { edges { node { content } } } } } } }';
    const small = await post(gateway.url, { query, variables: { n: 2 } }, auth());
    expect(small.status).toBe(200);
    const { status, body } = await post(gateway.url, { query, variables: { n: 30 } }, auth());
    expect(status).toBe(400);
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'cost', maximum: 1500 });
    expect(body.errors?.[0]?.message).toMatch(/could cost \d+ .*limit is 1500/);
  });

  it('refuses too many aliases and too many root fields', async () => {
    const aliases = await post(gateway.url, { query: `{ ${Array.from({ length: 6 }, (_, i) => `a${i}: me { id }`).join(' ')} }` }, auth());
    expect(aliases.status).toBe(400);
    expect(aliases.body.errors?.[0]?.message).toMatch(/uses 6 aliases; at most 5/);
    const roots = await post(
      gateway.url,
      {
        query:
          '{ me { id } models { id } supportedLanguages { code } conversations { pageInfo { hasNextPage } } translate(text: "hi", to: "fr") { text } }',
      },
      auth(),
    );
    expect(roots.status).toBe(400);
    expect(roots.body.errors?.[0]?.message).toMatch(/asks for 5 top-level fields; at most 4/);
  });

  it('stops parsing a document with too many tokens', async () => {
    const query = `{ me { ${Array.from({ length: 400 }, () => 'id').join(' ')} } }`;
    const { status, body } = await post(gateway.url, { query }, auth());
    expect(status).toBe(400);
    expect(body.errors?.[0]?.extensions?.['code']).toBe('GRAPHQL_PARSE_FAILED');
    expect(body.errors?.[0]?.message).toMatch(/more than 300 tokens .*Send a smaller operation/);
  });

  it('refuses a body over the size limit with 413, and a batch of operations with 400', async () => {
    const big = await post(gateway.url, { query: '{ me { id } }', variables: { padding: 'x'.repeat(5_000) } }, auth());
    expect(big.status).toBe(413);
    expect(big.body.errors?.[0]?.extensions?.['code']).toBe('PAYLOAD_TOO_LARGE');
    const batch = await post(gateway.url, [{ query: '{ me { id } }' }, { query: '{ models { id } }' }], auth());
    expect(batch.status).toBe(400);
    expect(batch.body.errors?.[0]?.message).toMatch(/batch/i);
  });

  it('refuses a GET query without a preflight header (CSRF prevention)', async () => {
    const url = `${gateway.url}?query=${encodeURIComponent('{ models { id } }')}`;
    const simple = await fetch(url);
    expect(simple.status).toBe(400);
    expect(await simple.text()).toMatch(/CSRF/);
    const withPreflightHeader = await fetch(url, { headers: { 'apollo-require-preflight': 'true' } });
    expect(withPreflightHeader.status).toBe(200);
  });

  it('applies the same limits to operations over WebSocket', async () => {
    const { connect, subscribe } = await import('@parley/testing/subscriptions');
    const client = connect(gateway.url, { token });
    try {
      const query = '{ conversations { edges { node { messages { edges { node { conversation { title } } } } } } } }';
      const result = subscribe(client, query);
      await result.ended;
      const errors = result.results[0]?.errors ?? (await result.ended).errors;
      expect(JSON.stringify(errors)).toMatch(/nests fields 8 deep; at most 7/);
    } finally {
      await client.dispose();
    }
  });

  it('keeps introspection on outside production, and lets tools send the standard (deep) introspection query', async () => {
    const { body } = await post(gateway.url, { query: '{ __schema { queryType { name } } }' }, auth());
    expect(body.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    const standard = await post(gateway.url, { query: getIntrospectionQuery() }, auth());
    expect(standard.body.errors).toBeUndefined();
    expect(standard.body.data.__schema.types.length).toBeGreaterThan(20);
  });
});

describe('production mode', () => {
  let standIns: StandInSubgraphs;
  let gateway: { url: string; close(): Promise<void> };
  beforeAll(async () => {
    standIns = await startStandInSubgraphs();
    gateway = await gatewayWith(standIns, { NODE_ENV: 'production' });
  });
  afterAll(async () => {
    await gateway?.close();
    await standIns?.close();
  });

  it('turns introspection and "Did you mean" suggestions off', async () => {
    const introspection = await post(gateway.url, { query: '{ __schema { types { name } } }' });
    expect(introspection.status).toBe(400);
    expect(introspection.body.errors?.[0]?.message).toMatch(/introspection/i);
    const typo = await post(gateway.url, { query: '{ modls { id } }' });
    expect(typo.body.errors?.[0]?.message).not.toMatch(/Did you mean/);
  });
});
