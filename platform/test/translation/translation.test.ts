import {
  CreateApiKeyDocument,
  DetectLanguageDocument,
  MessageTranslationDocument,
  TranslateDocument,
  TranslatedThreadDocument,
  UpdateSettingsDocument,
} from '@parley/client';
import { postGraphQL } from '@parley/testing';
import { echoReply, registerUser, sendAndWaitForReply } from '@parley/testing/parley-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startPlatformUnderTest, type PlatformUnderTest } from '../../src/testing/platform-under-test';
import { startTranslationFakes, toChinese, type TranslationFakes } from '../support/test-translation-config';

describe('translation through the gateway', () => {
  let platform: PlatformUnderTest;
  let fakes: TranslationFakes;
  let alice: string;
  let sentence = 0;
  /** A sentence no other test translated, so each test starts from an empty cache. */
  const fresh = () => `Please bring the blue notebook number ${++sentence} to the meeting tomorrow.`;

  const translate = (variables: { text: string; to: string; from?: string }, token: string | undefined = alice) =>
    postGraphQL(platform.url, TranslateDocument, { token, variables });
  const libreTexts = () => fakes.libre.calls.flatMap((c) => c.q);

  beforeAll(async () => {
    fakes = await startTranslationFakes();
    platform = await startPlatformUnderTest({ settings: fakes.settings });
    alice = (await registerUser(platform.url, 'alice@example.com')).token;
  }, 120_000);
  afterAll(async () => {
    await platform?.stop();
    await fakes?.close();
  });
  beforeEach(() => {
    fakes.libre.setStatus(200);
    fakes.llm.setHealth(200);
  });

  it('translates with the first provider, detecting the source language, then answers the same request from the cache', async () => {
    const text = 'Hello, how are you today?';
    const first = await translate({ text, to: 'zh-CN' });
    expect(first.body.errors).toBeUndefined();
    expect(first.body.data!.translate).toEqual({
      text: '你好，你今天怎么样？',
      from: 'en',
      to: 'zh-CN',
      cached: false,
      provider: 'libretranslate',
      flagged: false,
    });
    expect(fakes.libre.calls.at(-1)).toMatchObject({ q: [text], source: 'en', target: 'zh-Hans' });

    const calls = fakes.libre.calls.length;
    const again = await translate({ text, to: 'zh-cn' });
    expect(again.body.data!.translate).toMatchObject({ text: '你好，你今天怎么样？', cached: true, provider: 'libretranslate' });
    expect(fakes.libre.calls.length).toBe(calls);
  });

  it('makes one upstream call for concurrent requests of the same uncached text', async () => {
    const text = fresh();
    const calls = fakes.libre.calls.length;
    const answers = await Promise.all(Array.from({ length: 6 }, () => translate({ text, to: 'zh-CN' })));
    for (const { body } of answers) expect(body.data!.translate.text).toBe(toChinese(text));
    expect(fakes.libre.calls.length).toBe(calls + 1);
  });

  it('falls back to the LLM through the models service when LibreTranslate is down', async () => {
    fakes.libre.setStatus(503);
    const llmCalls = fakes.llm.chatRequests().length;
    const { body } = await translate({ text: 'Hello, how are you today?', to: 'zh-CN', from: 'en-US' });
    // Cached from the first test: a hit never reaches a provider, even one that is down.
    expect(body.data!.translate).toMatchObject({ cached: true });

    const text = fresh();
    const fallback = await translate({ text, to: 'zh-CN' });
    expect(fallback.body.errors).toBeUndefined();
    expect(fallback.body.data!.translate).toMatchObject({
      text: '你好，你今天怎么样？',
      from: 'en',
      provider: 'llm',
      cached: false,
      flagged: false,
    });
    const request = fakes.llm.chatRequests().at(-1)!;
    expect(fakes.llm.chatRequests().length).toBe(llmCalls + 1);
    expect(request.body.messages.at(-1)).toEqual({ role: 'user', content: text });
    expect(request.body.messages[0]!.content).toMatch(/into Chinese \(Simplified\)/);
  });

  it('flags an output in the wrong language, retries it with the next provider, and caches only the good answer', async () => {
    const text = fresh();
    fakes.libre.setTranslate((t) => t); // "translates" English into English
    try {
      const { body } = await translate({ text, to: 'zh-CN' });
      expect(body.data!.translate).toMatchObject({ provider: 'llm', flagged: false, text: '你好，你今天怎么样？' });
      const again = await translate({ text, to: 'zh-CN' });
      expect(again.body.data!.translate).toMatchObject({ provider: 'llm', cached: true });
    } finally {
      fakes.libre.setTranslate((t, _s, target) => (target.startsWith('zh') ? toChinese(t) : t));
    }
  });

  it('answers a translation every provider got wrong as flagged, and never caches it', async () => {
    const text = fresh();
    fakes.libre.setTranslate((t) => t);
    fakes.llm.setDefault({ tokens: ['Still', ' English', ' after', ' all', ' of', ' this', ' time.'] });
    try {
      const first = await translate({ text, to: 'zh-CN' });
      expect(first.body.data!.translate).toMatchObject({ flagged: true, cached: false });
      const calls = fakes.libre.calls.length;
      const second = await translate({ text, to: 'zh-CN' });
      expect(second.body.data!.translate).toMatchObject({ flagged: true, cached: false });
      expect(fakes.libre.calls.length).toBe(calls + 1);
    } finally {
      fakes.libre.setTranslate((t, _s, target) => (target.startsWith('zh') ? toChinese(t) : t));
      fakes.llm.setDefault({ tokens: ['你好，', '你今天怎么样？'] });
    }
  });

  it('answers UPSTREAM_UNAVAILABLE, naming both providers, when every provider is down', async () => {
    fakes.libre.setStatus(503);
    fakes.llm.queue({ status: 503 });
    const { body } = await translate({ text: fresh(), to: 'zh-CN' });
    expect(body.data).toBeNull();
    expect(body.errors?.[0]?.extensions?.['code']).toBe('UPSTREAM_UNAVAILABLE');
    expect(body.errors?.[0]?.message).toMatch(/LibreTranslate/);
    expect(body.errors?.[0]?.message).toMatch(/translator\/llm/);
  });

  it('detects languages with a confidence, and says "und" for text too short to tell', async () => {
    const detect = async (text: string) =>
      (await postGraphQL(platform.url, DetectLanguageDocument, { token: alice, variables: { text } })).body;
    const english = (await detect('The weather is lovely this morning.')).data!.detectLanguage;
    expect(english.language).toBe('en');
    expect(english.confidence).toBeGreaterThan(0.6);
    expect((await detect('今天早上天气很好，我们去公园散步吧。')).data!.detectLanguage.language).toBe('zh-CN');
    expect((await detect('今天早上天氣很好，我們去公園散步吧。')).data!.detectLanguage.language).toBe('zh-TW');
    expect((await detect('Bonjour, comment allez-vous aujourd’hui ?')).data!.detectLanguage.language).toBe('fr');
    expect((await detect('ok')).data!.detectLanguage).toEqual({ language: 'und', confidence: 0 });
  });

  it('refuses bad input with BAD_USER_INPUT and a message that says what to do', async () => {
    const unsupported = await translate({ text: 'Hello there, friend.', to: 'xx-YY' });
    expect(unsupported.body.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'to',
      supported: expect.arrayContaining(['en', 'zh-CN']),
    });
    expect(unsupported.body.errors?.[0]?.message).toMatch(/not a supported language.*zh-CN/);

    const badSource = await translate({ text: 'Hello there, friend.', to: 'en', from: 'klingon' });
    expect(badSource.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'from' });

    const empty = await translate({ text: '   ', to: 'zh-CN' });
    expect(empty.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'text' });
    expect(empty.body.errors?.[0]?.message).toMatch(/empty/);

    const calls = fakes.libre.calls.length;
    const long = await translate({ text: 'word '.repeat(500), to: 'zh-CN' });
    expect(long.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'text', maxChars: 2000 });
    expect(long.body.errors?.[0]?.message).toMatch(/2500 characters.*at most 2000/);
    expect(fakes.libre.calls.length).toBe(calls);

    const anonymous = await postGraphQL(platform.url, TranslateDocument, { variables: { text: 'Hello there.', to: 'fr' } });
    expect(anonymous.body.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
  });

  it('lets an API key translate and detect languages only with the "chat" scope', async () => {
    const keyWith = async (scopes: string[]) =>
      (
        await postGraphQL(platform.url, CreateApiKeyDocument, {
          token: alice,
          variables: { name: `translation ${scopes.join(' ')}`, scopes },
        })
      ).body.data!.createApiKey.key;
    const models = await keyWith(['models']);
    const chat = await keyWith(['chat']);
    const text = 'The weather is lovely this morning.';
    const detect = (token: string) => postGraphQL(platform.url, DetectLanguageDocument, { token, variables: { text } });

    const calls = fakes.libre.calls.length;
    for (const refused of [(await translate({ text: fresh(), to: 'zh-CN' }, models)).body, (await detect(models)).body]) {
      expect(refused.data).toBeNull();
      expect(refused.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
      expect(refused.errors?.[0]?.message).toMatch(/lacks the "chat" scope/);
    }
    expect(fakes.libre.calls.length).toBe(calls);

    const translated = await translate({ text, to: 'zh-CN' }, chat);
    expect(translated.body.errors).toBeUndefined();
    expect(translated.body.data!.translate.text).toBe('今天早上天气很好。');
    expect((await detect(chat)).body.data!.detectLanguage.language).toBe('en');
  });

  it('gives the same text back, untouched, when it already is in the target language', async () => {
    const calls = fakes.libre.calls.length;
    const { body } = await translate({ text: 'The weather is lovely this morning.', to: 'en' });
    expect(body.data!.translate).toEqual({
      text: 'The weather is lovely this morning.',
      from: 'en',
      to: 'en',
      cached: false,
      provider: 'none',
      flagged: false,
    });
    expect(fakes.libre.calls.length).toBe(calls);
  });

  describe('Message.translation', () => {
    /** Sends a message and waits for its reply to complete: the messages translated below are answered ones. */
    const sendAnswered = (token: string, input: { content: string; conversationId?: string }) =>
      sendAndWaitForReply(platform.url, token, input, { status: 'COMPLETED' });

    // Twenty-five messages sent and answered one after another: 14 s on a busy machine, so the 30 s default is too near.
    it('translates a page of 50 messages with one upstream call, keeping each original beside its translation', async () => {
      const bob = (await registerUser(platform.url, 'bob@example.com')).token;
      const first = await sendAnswered(bob, { content: 'Tell me about page item 1 of the batch.' });
      for (let i = 2; i <= 25; i++)
        await sendAnswered(bob, { content: `Tell me about page item ${i} of the batch.`, conversationId: first.conversation.id });
      const calls = fakes.libre.calls.length;

      const { body } = await postGraphQL(platform.url, TranslatedThreadDocument, {
        token: bob,
        variables: { id: first.conversation.id, to: 'zh-CN' },
      });
      expect(body.errors).toBeUndefined();
      const nodes = body.data!.conversation!.messages.edges.map((e) => e.node);
      expect(nodes).toHaveLength(50);
      for (const node of nodes) {
        expect(node.content).toMatch(/page item \d+ of the batch/);
        expect(node.translation).toEqual({
          text: toChinese(node.content),
          from: 'en',
          to: 'zh-CN',
          cached: false,
          provider: 'libretranslate',
        });
      }
      expect(fakes.libre.calls.length).toBe(calls + 1);
      expect(fakes.libre.calls.at(-1)!.q).toHaveLength(50);

      const again = await postGraphQL(platform.url, TranslatedThreadDocument, {
        token: bob,
        variables: { id: first.conversation.id, to: 'zh-CN' },
      });
      expect(again.body.data!.conversation!.messages.edges.every((e) => e.node.translation?.cached)).toBe(true);
      expect(fakes.libre.calls.length).toBe(calls + 1);
    }, 120_000);

    it('does not let another user read a message, or its translation', async () => {
      const carol = (await registerUser(platform.url, 'carol@example.com')).token;
      const dave = (await registerUser(platform.url, 'dave@example.com')).token;
      const sent = await sendAnswered(carol, { content: 'A private thought about my garden.' });
      const own = await postGraphQL(platform.url, MessageTranslationDocument, {
        token: carol,
        variables: { id: sent.assistantMessage.id, to: 'zh-CN' },
      });
      expect(own.body.data!.message!.translation).toMatchObject({ from: 'en', to: 'zh-CN' });
      const { body } = await postGraphQL(platform.url, MessageTranslationDocument, {
        token: dave,
        variables: { id: sent.assistantMessage.id, to: 'zh-CN' },
      });
      expect(body.data?.message ?? null).toBeNull();
    });

    it('pre-translates finished replies for users with auto-translate on, so their translation is a cache hit', async () => {
      const erin = (await registerUser(platform.url, 'erin@example.com')).token;
      const settings = await postGraphQL(platform.url, UpdateSettingsDocument, {
        token: erin,
        variables: { input: { autoTranslate: true, preferredLanguage: 'zh-CN' } },
      });
      expect(settings.body.errors).toBeUndefined();
      const question = 'What should I plant in my vegetable garden this spring?';
      const sent = await sendAnswered(erin, { content: question });
      const reply = echoReply(question);
      // The auto-translator works from chat.message.completed, in the background.
      await expect.poll(() => libreTexts().includes(reply), { timeout: 20_000, interval: 50 }).toBe(true);
      const calls = fakes.libre.calls.length;

      // The cache write follows the upstream answer by a moment; a request in that moment joins the auto-translation.
      const translation = async () =>
        (
          await postGraphQL(platform.url, MessageTranslationDocument, {
            token: erin,
            variables: { id: sent.assistantMessage.id, to: 'zh-CN' },
          })
        ).body.data!.message;
      await expect.poll(async () => (await translation())?.translation?.cached, { timeout: 10_000, interval: 50 }).toBe(true);
      expect(await translation()).toMatchObject({
        content: reply,
        translation: { text: toChinese(reply), cached: true, provider: 'libretranslate' },
      });
      expect(fakes.libre.calls.length).toBe(calls);
    });
  });
});
