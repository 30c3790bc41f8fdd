import { createHash } from 'node:crypto';
import { ModelsDocument, RegisterDocument } from '@parley/client';
import { postGraphQL } from '@parley/testing';
import { print } from 'graphql';
import { rawGraphQLPost } from '../support/raw-graphql-post';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, subscribe } from '@parley/testing/subscriptions';
import { startPlatformUnderTest, type PlatformUnderTest } from '../../src/testing/platform-under-test';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const post = rawGraphQLPost;
const persisted = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });

describe('automatic persisted queries', () => {
  let platform: PlatformUnderTest;
  beforeAll(async () => {
    platform = await startPlatformUnderTest();
  }, 120_000);
  afterAll(async () => {
    await platform?.stop();
  });

  it('asks for the text of an unknown hash, registers it when sent with its hash, then runs the hash alone', async () => {
    const query = '{ supportedLanguages { code } }';
    const hash = sha256(query);
    const unknown = await post(platform.url, { extensions: persisted(hash) });
    expect(unknown.body.errors?.[0]?.extensions?.['code']).toBe('PERSISTED_QUERY_NOT_FOUND');
    const registered = await post(platform.url, { query, extensions: persisted(hash) });
    expect(registered.body.data.supportedLanguages.length).toBeGreaterThan(5);
    const byHash = await post(platform.url, { extensions: persisted(hash) });
    expect(byHash.body.data).toEqual(registered.body.data);
  });

  it("knows the client's own operations by hash from the first request (the manifest)", async () => {
    const { body } = await post(platform.url, { operationName: 'Models', extensions: persisted(sha256(print(ModelsDocument))) });
    expect(body.errors).toBeUndefined();
    expect(body.data.models).toContainEqual(expect.objectContaining({ id: 'dev/echo' }));
  });

  it('refuses a text that does not match its hash', async () => {
    const { status, body } = await post(platform.url, { query: '{ models { id } }', extensions: persisted(sha256('{ me { id } }')) });
    expect(status).toBe(400);
    expect(body.errors?.[0]?.message).toMatch(/sha does not match/);
  });
});

describe('trusted documents (TRUSTED_DOCUMENTS=on)', () => {
  let platform: PlatformUnderTest;
  let token: string;
  beforeAll(async () => {
    platform = await startPlatformUnderTest({ settings: { TRUSTED_DOCUMENTS: 'on' } });
    const { body } = await postGraphQL(platform.url, RegisterDocument, {
      variables: { input: { email: 'trusted@example.com', password: 'a long enough passphrase' } },
    });
    token = body.data!.register.accessToken;
  }, 120_000);
  afterAll(async () => {
    await platform?.stop();
  });

  it("runs the client's operations, by text or by hash", async () => {
    expect((await postGraphQL(platform.url, ModelsDocument)).body.errors).toBeUndefined();
    const byHash = await post(platform.url, { extensions: persisted(sha256(print(ModelsDocument))) });
    expect(byHash.body.errors).toBeUndefined();
  });

  it('refuses any other operation with 403 FORBIDDEN, and will not register one as a persisted query', async () => {
    const query = '{ models { id displayName } }';
    const adHoc = await post(platform.url, { query });
    expect(adHoc.status).toBe(403);
    expect(adHoc.body.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    expect(adHoc.body.errors?.[0]?.message).toMatch(/trusted documents/);
    await post(platform.url, { query, extensions: persisted(sha256(query)) });
    const byHash = await post(platform.url, { extensions: persisted(sha256(query)) });
    expect(byHash.body.errors?.[0]?.extensions?.['code']).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it('refuses ad-hoc operations over WebSocket too', async () => {
    const client = connect(platform.url, { token });
    try {
      const query = subscribe(client, '{ models { id displayName } }');
      const subscription = subscribe(client, 'subscription { messageStream(messageId: "00000000-0000-0000-0000-000000000000") { seq } }');
      const [q, s] = await Promise.all([query.ended, subscription.ended]);
      expect(JSON.stringify(query.results[0]?.errors ?? q.errors)).toMatch(/trusted documents/);
      expect(JSON.stringify(subscription.results[0]?.errors ?? s.errors)).toMatch(/trusted documents/);
    } finally {
      await client.dispose();
    }
  });
});
