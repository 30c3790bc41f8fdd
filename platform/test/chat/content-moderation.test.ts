import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConversationsWithOwnersDocument, MessageStreamDocument, ModerationFlagsDocument } from '@parley/client';
import { postGraphQL, startFakeUpstream } from '@parley/testing';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { finishedReply, registerUser, trySendMessage } from '@parley/testing/parley-client';
import { connect, subscribe } from '@parley/testing/subscriptions';
import { startPlatformUnderTest, type PlatformUnderTest } from '../../src/testing/platform-under-test';

/** A model deployment "fake/model" served by the fake upstream, which records what each model call was sent. */
function modelsFile(upstreamUrl: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'parley-moderation-')), 'models.yaml');
  const free = { contextWindow: 32_768, inputPricePerMTok: 0, outputPricePerMTok: 0 };
  writeFileSync(
    path,
    stringify({
      deployments: [
        { id: 'dev-echo', model: 'dev/echo', displayName: 'Echo', provider: 'dev', ...free },
        {
          id: 'fake',
          model: 'fake/model',
          displayName: 'Fake',
          provider: 'openai',
          baseUrl: upstreamUrl,
          apiKeyEnv: 'FAKE_KEY',
          upstreamModel: 'upstream-model',
          ...free,
        },
      ],
    }),
  );
  return path;
}

describe('content moderation of what users send and what models answer', () => {
  let platform: PlatformUnderTest;
  let upstream: Awaited<ReturnType<typeof startFakeUpstream>>;
  let alice: string;
  let admin: string;

  const lastPrompt = () => upstream.chatRequests().at(-1)!.body.messages.at(-1)!.content;

  beforeAll(async () => {
    upstream = await startFakeUpstream({ tokens: ['Fine', ' thanks.'] }, { flagWords: ['menacing-phrase'] });
    platform = await startPlatformUnderTest({
      settings: {
        MODELS_CONFIG: modelsFile(upstream.baseUrl),
        FAKE_KEY: 'sk-fake',
        ROUTER_MAX_ATTEMPTS: '1',
        MODERATION_BLOCK_LIST: 'forbidden-project,机密项目',
        MODERATION_PROVIDER_MODEL: 'fake/model',
        ADMIN_EMAILS: 'admin@example.com',
      },
    });
    alice = (await registerUser(platform.url, 'alice@example.com')).token;
    admin = (await registerUser(platform.url, 'admin@example.com')).token;
  }, 120_000);
  afterAll(async () => {
    await platform?.stop();
    await upstream?.close();
  });

  it('redacts e-mail addresses, phone numbers, card numbers and resident ID numbers before storing or sending a message', async () => {
    const english = await trySendMessage(platform.url, alice, {
      content: 'Mail me at alice.smith@example.com or call +1 (415) 555-0100; my card is 4111 1111 1111 1111.',
      model: 'fake/model',
    });
    expect(english.body.errors).toBeUndefined();
    const expected = 'Mail me at [email] or call [phone]; my card is [payment_card].';
    expect(english.body.data!.sendMessage.userMessage.content).toBe(expected);
    await finishedReply(platform.url, alice, english.body.data!.sendMessage.assistantMessage.id);
    expect(lastPrompt()).toBe(expected);

    const chinese = await trySendMessage(platform.url, alice, {
      content: '我的邮箱是zhang.wei@example.cn，电话13812345678，身份证号11010519491231002X。',
      model: 'fake/model',
    });
    const expectedChinese = '我的邮箱是[email]，电话[phone]，身份证号[national_id]。';
    expect(chinese.body.data!.sendMessage.userMessage.content).toBe(expectedChinese);
    await finishedReply(platform.url, alice, chinese.body.data!.sendMessage.assistantMessage.id);
    expect(lastPrompt()).toBe(expectedChinese);
  });

  it('leaves numbers alone that only look like cards or IDs (failed checksums)', async () => {
    const content = 'Order 4111 1111 1111 1112 and reference 110105194912310021 are fine.';
    const { body } = await trySendMessage(platform.url, alice, { content, model: 'dev/echo' });
    expect(body.data!.sendMessage.userMessage.content).toBe(content);
  });

  it('refuses a blocked input with CONTENT_BLOCKED naming the category, storing nothing and calling no model', async () => {
    const calls = upstream.chatRequests().length;
    const before = (await postGraphQL(platform.url, ConversationsWithOwnersDocument, { token: alice, variables: { first: 50 } })).body.data!
      .conversations.edges.length;
    for (const content of ['Tell me everything about the forbidden-project.', '请介绍一下机密项目的进展']) {
      const { body } = await trySendMessage(platform.url, alice, { content, model: 'fake/model' });
      expect(body.data).toBeNull();
      expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'CONTENT_BLOCKED', category: 'block_list' });
      expect(body.errors?.[0]?.message).toMatch(/not sent.*term this deployment blocks/);
    }
    const provider = await trySendMessage(platform.url, alice, {
      content: 'This contains a menacing-phrase for the provider.',
      model: 'fake/model',
    });
    expect(provider.body.errors?.[0]?.extensions).toMatchObject({ code: 'CONTENT_BLOCKED', category: 'provider' });
    expect(JSON.stringify(upstream.moderationRequests().at(-1)?.body.input)).toContain('menacing-phrase');

    expect(upstream.chatRequests().length).toBe(calls);
    const after = (await postGraphQL(platform.url, ConversationsWithOwnersDocument, { token: alice, variables: { first: 50 } })).body.data!
      .conversations.edges.length;
    expect(after).toBe(before);
  });

  it('ends a reply that turns blocked with MessageFailed CONTENT_BLOCKED, streaming and keeping none of the blocked text', async () => {
    upstream.queue({ tokens: ['Sure, ', 'the code name ', 'is forbid', 'den-proj', 'ect and ', 'more.'], tokenDelayMs: 20 });
    const { body } = await trySendMessage(platform.url, alice, { content: 'What is the code name?', model: 'fake/model' });
    const replyId = body.data!.sendMessage.assistantMessage.id;
    const client = connect(platform.url, { token: alice });
    try {
      const stream = subscribe(client, print(MessageStreamDocument), { messageId: replyId, afterSeq: 0 });
      await stream.ended;
      const events = stream.results.map((r) => r.data!['messageStream']);
      const streamed = events
        .filter((e) => e.__typename === 'MessageDelta')
        .map((e) => e.delta as string)
        .join('');
      expect(streamed).not.toMatch(/forbid|proj/);
      expect(events.at(-1)).toMatchObject({ __typename: 'MessageFailed', code: 'CONTENT_BLOCKED' });
      expect(events.at(-1)!.reason).toMatch(/stopped.*term this deployment blocks/);
    } finally {
      await client.dispose();
    }
    const reply = await finishedReply(platform.url, alice, replyId);
    expect(reply).toMatchObject({ status: 'FAILED', content: '', failure: { code: 'CONTENT_BLOCKED' } });
  });

  it('redacts PII in a reply as it streams, even when it arrives split across deltas', async () => {
    upstream.queue({ tokens: ['Write to ', 'bob.jones@', 'exam', 'ple.org or ', 'call 138', '1234', '5678 today.'] });
    const { body } = await trySendMessage(platform.url, alice, { content: 'How do I reach Bob?', model: 'fake/model' });
    const replyId = body.data!.sendMessage.assistantMessage.id;
    const reply = await finishedReply(platform.url, alice, replyId);
    expect(reply).toMatchObject({ status: 'COMPLETED', content: 'Write to [email] or call [phone] today.' });
    const log = await platform.messageStreams.readAfter(replyId, 0);
    const streamed = log.flatMap((e) => (e.kind === 'delta' ? [e.delta] : [])).join('');
    expect(streamed).toBe('Write to [email] or call [phone] today.');
  });

  it('lists what was flagged to admins only, with categories but never the flagged text', async () => {
    const { body } = await postGraphQL(platform.url, ModerationFlagsDocument, { token: admin, variables: { first: 50 } });
    expect(body.errors).toBeUndefined();
    const flags = body.data!.moderationFlags.edges.map((e) => e.node);
    const seen = new Set(flags.map((f) => `${f.direction} ${f.category} ${f.action}`));
    for (const expected of [
      'INPUT email redact',
      'INPUT phone redact',
      'INPUT payment_card redact',
      'INPUT national_id redact',
      'INPUT block_list block',
      'INPUT provider block',
      'OUTPUT block_list block',
      'OUTPUT email redact',
      'OUTPUT phone redact',
    ]) {
      expect(seen).toContain(expected);
    }
    // The texts that were flagged, not fragments of them: ids are random and may hold any four digits.
    expect(JSON.stringify(body)).not.toMatch(/example\.com|4111 1111|555-0100|forbidden-project|机密项目/);

    const firstPage = (await postGraphQL(platform.url, ModerationFlagsDocument, { token: admin, variables: { first: 2 } })).body.data!
      .moderationFlags;
    expect(firstPage.pageInfo.hasNextPage).toBe(true);
    const secondPage = (
      await postGraphQL(platform.url, ModerationFlagsDocument, {
        token: admin,
        variables: { first: 2, after: firstPage.pageInfo.endCursor },
      })
    ).body.data!.moderationFlags;
    expect(secondPage.edges.map((e) => e.node.id)).toEqual(flags.slice(2, 4).map((f) => f.id));

    const refused = await postGraphQL(platform.url, ModerationFlagsDocument, { token: alice, variables: { first: 10 } });
    expect(refused.body.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
  });
});
