import { createHash } from 'node:crypto';
import { ModelsDocument } from '@parley/client';
import { loadConfig } from '@parley/runtime';
import { postGraphQL } from '@parley/testing';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, subscribe } from '@parley/testing/subscriptions';
import { gatewayProtectionFrom, gatewayProtectionSettingsSchema } from '../../src/config/protection-settings';
import { rawGraphQLPost } from '@parley/testing';
import { startGatewayOverStandIns, startStandInSubgraphs, type StandInSubgraphs } from '../support/stand-in-subgraphs';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const post = rawGraphQLPost;
const persisted = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });

/** Over the stand-in subgraphs, whose one model is listed as "dev/echo" and which speak seven languages. */
describe('automatic persisted queries', () => {
  let standIns: StandInSubgraphs;
  let gateway: { url: string; close(): Promise<void> };
  beforeAll(async () => {
    standIns = await startStandInSubgraphs();
    gateway = await startGatewayOverStandIns(standIns);
  });
  afterAll(async () => {
    await gateway?.close();
    await standIns?.close();
  });

  it('asks for the text of an unknown hash, registers it when sent with its hash, then runs the hash alone', async () => {
    const query = '{ supportedLanguages { code } }';
    const hash = sha256(query);
    const unknown = await post(gateway.url, { extensions: persisted(hash) });
    expect(unknown.body.errors?.[0]?.extensions?.['code']).toBe('PERSISTED_QUERY_NOT_FOUND');
    const registered = await post(gateway.url, { query, extensions: persisted(hash) });
    expect(registered.body.data.supportedLanguages.length).toBeGreaterThan(5);
    const byHash = await post(gateway.url, { extensions: persisted(hash) });
    expect(byHash.body.data).toEqual(registered.body.data);
  });

  it("knows the client's own operations by hash from the first request (the manifest)", async () => {
    const { body } = await post(gateway.url, { operationName: 'Models', extensions: persisted(sha256(print(ModelsDocument))) });
    expect(body.errors).toBeUndefined();
    expect(body.data.models).toContainEqual(expect.objectContaining({ id: 'dev/echo' }));
  });

  it('refuses a text that does not match its hash', async () => {
    const { status, body } = await post(gateway.url, { query: '{ models { id } }', extensions: persisted(sha256('{ me { id } }')) });
    expect(status).toBe(400);
    expect(body.errors?.[0]?.message).toMatch(/sha does not match/);
  });
});

describe('trusted documents (TRUSTED_DOCUMENTS=on)', () => {
  let standIns: StandInSubgraphs;
  let gateway: { url: string; close(): Promise<void> };
  let token: string;
  beforeAll(async () => {
    standIns = await startStandInSubgraphs();
    gateway = await startGatewayOverStandIns(standIns, {
      protection: gatewayProtectionFrom(loadConfig(gatewayProtectionSettingsSchema, { TRUSTED_DOCUMENTS: 'on' })),
    });
    token = await standIns.signIn('trusted@example.com');
  });
  afterAll(async () => {
    await gateway?.close();
    await standIns?.close();
  });

  it("runs the client's operations, by text or by hash", async () => {
    expect((await postGraphQL(gateway.url, ModelsDocument)).body.errors).toBeUndefined();
    const byHash = await post(gateway.url, { extensions: persisted(sha256(print(ModelsDocument))) });
    expect(byHash.body.errors).toBeUndefined();
  });

  it('refuses any other operation with 403 FORBIDDEN, and will not register one as a persisted query', async () => {
    const query = '{ models { id displayName } }';
    const adHoc = await post(gateway.url, { query });
    expect(adHoc.status).toBe(403);
    expect(adHoc.body.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    expect(adHoc.body.errors?.[0]?.message).toMatch(/trusted documents/);
    await post(gateway.url, { query, extensions: persisted(sha256(query)) });
    const byHash = await post(gateway.url, { extensions: persisted(sha256(query)) });
    expect(byHash.body.errors?.[0]?.extensions?.['code']).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it('refuses ad-hoc operations over WebSocket too', async () => {
    const client = connect(gateway.url, { token });
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
