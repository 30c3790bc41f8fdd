import type { Browser, Page } from 'playwright-core';
import { startPlatformUnderTest, testModelsSettings, type PlatformUnderTest } from '@parley/platform/testing';
import { freePort, startTcpProxy, uniqueName, type TcpProxy } from '@parley/testing';
import { questionOfWords, registerUser } from '@parley/testing/parley-client';
import { startTestOidcProvider, type TestOidcProvider } from '../../../platform/test/support/test-oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureWebBuild, WEB_BUILD } from '../../../scripts/web-build';
import {
  ask,
  browserAvailable,
  lastReply,
  launchBrowser,
  openApp,
  registerThroughForm,
  seriousAccessibilityViolations,
  signInThroughForm,
} from './support/browser';

/**
 * The web client as people use it: Debian's chromium on the app the gateway
 * serves at `/`, against the real platform (embedded here, every service its
 * own process on PostgreSQL, Redis and Kafka in CI). Each flow signs up its
 * own person in its own browser profile.
 */

const ADMIN_EMAIL = 'web-admin@example.com';
const FLOW_TIMEOUT = 90_000;
/** The slow development model writes a word per tick: long enough to act on a reply mid-stream, short enough for a suite. */
const SLOW_TOKEN_MS = 120;

const email = (tag: string) => `${uniqueName(tag)}@example.com`;
const echo = (question: string) => `Echo: ${question}`;

/** What the reply's body shows now, without the action buttons. */
const replyText = (page: Page) => lastReply(page).locator('.message-body').innerText();
const replyBusy = async (page: Page) => (await lastReply(page).getAttribute('aria-busy')) === 'true';

describe.skipIf(!browserAvailable)('the web client, in a real browser', () => {
  let platform: PlatformUnderTest;
  let browser: Browser;
  let base: string;
  let identityProvider: TestOidcProvider;
  /** The app at an address known before the platform starts (a proxy to the gateway), so the identity provider can send browsers back to it. */
  let oidcBase: string;
  let oidcProxy: TcpProxy | undefined;

  beforeAll(async () => {
    await ensureWebBuild(WEB_BUILD, { log: () => {} });
    const oidcPort = await freePort();
    oidcBase = `http://127.0.0.1:${oidcPort}`;
    identityProvider = await startTestOidcProvider(
      { grace: { email: 'grace@corp.example', verified: true, name: 'Grace Hopper' } },
      { redirectUris: [`${oidcBase}/auth/callback/corp`] },
    );
    platform = await startPlatformUnderTest({
      settings: {
        ...testModelsSettings({ slowTokenMs: SLOW_TOKEN_MS }),
        ADMIN_EMAILS: ADMIN_EMAIL,
        // Every flow signs a new person up from this one address.
        REGISTRATIONS_PER_IP: '1000',
        OIDC_PROVIDERS: identityProvider.providersSetting,
      },
    });
    base = new URL(platform.url).origin;
    oidcProxy = await startTcpProxy('127.0.0.1', Number(new URL(base).port), { listenPort: oidcPort });
    browser = await launchBrowser();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await oidcProxy?.close();
    await platform?.stop();
    await identityProvider?.close();
  });

  it(
    'lets a new person register and watch a reply stream in token by token, rendered as Markdown',
    async () => {
      const { page, context } = await openApp(browser, base);
      await registerThroughForm(page, email('stream'));
      const question = `**bold** ${questionOfWords(12)}`;
      await ask(page, question, 'dev/slow');

      // Seen part-way: the reply grows word by word while it is marked busy.
      await expect.poll(async () => (await replyBusy(page)) && /word3/.test(await replyText(page)), { timeout: 30_000 }).toBe(true);
      expect(await replyText(page)).not.toContain('word11');
      await expect.poll(() => replyBusy(page), { timeout: 30_000 }).toBe(false);
      expect(await replyText(page)).toBe(echo(question).replace('**bold**', 'bold'));
      expect(await lastReply(page).locator('strong').innerText()).toBe('bold');
      await expect.poll(() => lastReply(page).innerText()).toMatch(/\d+ \+ \d+ tokens/);

      // The conversation is in the list, under the title its first question gave it.
      await expect.poll(() => page.locator('.conversation a').first().innerText()).toContain('bold');
      expect(page.url()).toMatch(/\/c\/[0-9a-f-]+$/);
      await context.close();
    },
    FLOW_TIMEOUT,
  );

  it(
    'stops a reply with Escape, regenerates it, moves between the versions and edits the question',
    async () => {
      const { page, context } = await openApp(browser, base);
      await registerThroughForm(page, email('branches'));
      const question = questionOfWords(60, 'long');
      await ask(page, question, 'dev/slow');
      await expect.poll(async () => /long2/.test(await replyText(page)), { timeout: 30_000 }).toBe(true);
      await page.getByLabel('Your message').press('Escape');
      await expect.poll(() => lastReply(page).innerText(), { timeout: 30_000 }).toContain('Stopped.');
      const stopped = await replyText(page);
      expect(stopped).not.toContain('long59');

      await lastReply(page).getByRole('button', { name: 'Regenerate' }).click();
      await expect.poll(() => lastReply(page).getByRole('group', { name: 'Versions' }).innerText(), { timeout: 30_000 }).toContain('2/2');
      await lastReply(page).getByRole('button', { name: 'Stop' }).click();
      await expect.poll(() => lastReply(page).innerText(), { timeout: 30_000 }).toContain('Stopped.');

      await lastReply(page).getByRole('button', { name: 'Previous version' }).click();
      await expect.poll(() => lastReply(page).getByRole('group', { name: 'Versions' }).innerText()).toContain('1/2');
      expect(await replyText(page)).toBe(stopped);

      // Editing the question makes a new branch with its own reply.
      const userMessage = page.locator('article.message.user').last();
      await userMessage.getByRole('button', { name: 'Edit' }).click();
      await page.getByLabel('Edit your message').fill('an edited question');
      await page.getByRole('button', { name: 'Save and ask again' }).click();
      await expect
        .poll(() => page.locator('article.message.user').last().getByRole('group', { name: 'Versions' }).innerText())
        .toContain('2/2');
      await expect.poll(() => replyText(page), { timeout: 30_000 }).toBe(echo('an edited question'));
      await context.close();
    },
    FLOW_TIMEOUT,
  );

  it(
    'resumes a reply after a reload mid-stream, without losing or repeating a word',
    async () => {
      const { page, context } = await openApp(browser, base);
      await registerThroughForm(page, email('reload'));
      const question = questionOfWords(40, 'reload');
      await ask(page, question, 'dev/slow');
      await expect.poll(async () => /reload3/.test(await replyText(page)), { timeout: 30_000 }).toBe(true);
      await page.reload();
      // Still signed in (the refresh cookie), back on the conversation, the reply streaming again.
      await expect.poll(() => replyText(page).catch(() => ''), { timeout: 60_000 }).toBe(echo(question));
      await context.close();
    },
    FLOW_TIMEOUT,
  );

  it(
    'resumes a reply after the network drops mid-stream',
    async () => {
      const gatewayPort = Number(new URL(base).port);
      let proxy: TcpProxy = await startTcpProxy('127.0.0.1', gatewayPort);
      const port = proxy.port;
      try {
        const { page, context } = await openApp(browser, `http://127.0.0.1:${port}`);
        await registerThroughForm(page, email('network'));
        const question = questionOfWords(40, 'drop');
        await ask(page, question, 'dev/slow');
        await expect.poll(async () => /drop3/.test(await replyText(page)), { timeout: 30_000 }).toBe(true);
        await proxy.close();
        proxy = await startTcpProxy('127.0.0.1', gatewayPort, { listenPort: port });
        await expect.poll(() => replyText(page), { timeout: 60_000 }).toBe(echo(question));
        await context.close();
      } finally {
        await proxy.close();
      }
    },
    FLOW_TIMEOUT,
  );

  it(
    'shows a failed reply with its code and reason, and retries it',
    async () => {
      const { page, context } = await openApp(browser, base);
      await registerThroughForm(page, email('failure'));
      await ask(page, 'will this work?', 'broken/model');
      const failure = lastReply(page).getByRole('alert');
      await expect.poll(() => failure.innerText().catch(() => ''), { timeout: 30_000 }).toMatch(/[A-Z_]{5,}/);
      await failure.getByRole('button', { name: 'Retry' }).click();
      await expect.poll(() => lastReply(page).getByRole('group', { name: 'Versions' }).innerText(), { timeout: 30_000 }).toContain('2/2');
      await expect
        .poll(
          () =>
            lastReply(page)
              .getByRole('alert')
              .innerText()
              .catch(() => ''),
          { timeout: 30_000 },
        )
        .toMatch(/[A-Z_]{5,}/);
      await context.close();
    },
    FLOW_TIMEOUT,
  );

  it(
    'translates a message beside the original, in the language the person prefers',
    async () => {
      const { page, context } = await openApp(browser, base);
      await registerThroughForm(page, email('translate'));
      await page.getByRole('link', { name: 'Settings' }).click();
      await page.getByLabel('Preferred language (for translations)').selectOption('de');
      await expect
        .poll(() =>
          page
            .getByRole('status')
            .innerText()
            .catch(() => ''),
        )
        .toContain('Saved.');
      await page.getByRole('button', { name: 'New chat' }).click();
      await ask(page, 'good morning', 'dev/echo');
      await expect.poll(() => replyText(page), { timeout: 30_000 }).toBe(echo('good morning'));
      await lastReply(page).getByRole('button', { name: 'Translate' }).click();
      const translation = lastReply(page).getByRole('complementary', { name: 'Translation into de' });
      await expect
        .poll(
          () =>
            translation
              .locator('.translation-text')
              .innerText()
              .catch(() => ''),
          { timeout: 30_000 },
        )
        .not.toBe('');
      // Beside the original, never instead of it.
      expect(await replyText(page)).toContain(echo('good morning'));
      expect(await translation.getAttribute('lang')).toBe('de');
      await context.close();
    },
    FLOW_TIMEOUT,
  );

  it(
    'asks two models at once, streams their replies side by side, and continues with the one picked',
    async () => {
      const { page, context } = await openApp(browser, base);
      await registerThroughForm(page, email('compare'));
      await page.getByRole('button', { name: 'Compare models' }).click();
      await page.getByRole('checkbox', { name: /Echo \(development model\)/ }).check();
      await page.getByRole('checkbox', { name: /Slow echo/ }).check();
      await ask(page, 'which of you is faster');
      const columns = page.getByRole('region', { name: 'Replies side by side' }).locator('article');
      await expect.poll(() => columns.count(), { timeout: 30_000 }).toBe(2);
      // Named by the model each was asked of, in the order chosen, from the start.
      await expect.poll(() => columns.nth(0).getAttribute('aria-label')).toBe('Echo (development model)');
      await expect.poll(() => columns.nth(1).getAttribute('aria-label')).toBe('Slow echo');
      for (const index of [0, 1]) {
        await expect
          .poll(() => columns.nth(index).locator('.message-body').innerText(), { timeout: 30_000 })
          .toBe(echo('which of you is faster'));
      }
      await columns.nth(1).getByRole('button', { name: 'Continue with this reply' }).click();
      await expect.poll(() => columns.count()).toBe(0);
      await expect.poll(() => lastReply(page).getAttribute('aria-label')).toBe('Reply by Slow echo');
      expect(await lastReply(page).getByRole('group', { name: 'Versions' }).innerText()).toContain('2/2');

      await ask(page, 'and now?', 'dev/echo');
      await expect.poll(() => replyText(page), { timeout: 30_000 }).toBe(echo('and now?'));
      // The conversation went on from the picked reply.
      const replies = page.locator('article.message.assistant');
      expect(await replies.nth(0).getAttribute('aria-label')).toBe('Reply by Slow echo');
      await context.close();
    },
    FLOW_TIMEOUT,
  );

  it(
    'creates an API key shown once, which then works on /v1 until it is revoked',
    async () => {
      const { page, context } = await openApp(browser, base);
      await registerThroughForm(page, email('keys'));
      await page.goto('/settings/api-keys');
      await page.getByLabel('Name').fill('my script');
      await page.getByRole('button', { name: 'Create an API key' }).click();
      const key = await page.getByTestId('new-api-key').innerText();
      expect(key).toMatch(/^pk_/);
      const models = () => fetch(`${base}/v1/models`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.status);
      expect(await models()).toBe(200);

      await page.reload();
      await expect.poll(() => page.locator('.table-list').innerText()).toContain('my script');
      expect(await page.getByTestId('new-api-key').count()).toBe(0);
      await page.getByRole('button', { name: 'Revoke the key “my script”' }).click();
      await expect.poll(() => page.getByText('No API keys yet.').isVisible()).toBe(true);
      expect(await models()).toBe(401);
      await context.close();
    },
    FLOW_TIMEOUT,
  );

  it(
    'keeps the refresh token out of reach of page scripts, signs out, and signs back in to the same conversations',
    async () => {
      const address = email('return');
      const { page, context } = await openApp(browser, base);
      await registerThroughForm(page, address);
      await ask(page, 'remember me', 'dev/echo');
      await expect.poll(() => replyText(page), { timeout: 30_000 }).toBe(echo('remember me'));

      const [cookie] = await context.cookies();
      expect(cookie).toMatchObject({
        name: 'parley_refresh',
        httpOnly: true,
        secure: true,
        sameSite: 'Strict',
        path: '/api/v1/auth/browser',
      });
      expect(await page.evaluate(() => document.cookie)).toBe('');
      const stored = await page.evaluate(() => JSON.stringify({ ...window.localStorage, ...window.sessionStorage }));
      expect(stored).not.toContain(cookie!.value);

      await page.getByRole('button', { name: 'Sign out' }).click();
      await expect.poll(() => page.getByRole('tab', { name: 'Sign in' }).isVisible()).toBe(true);
      expect(await context.cookies()).toEqual([]);
      await page.reload();
      await expect.poll(() => page.getByRole('tab', { name: 'Sign in' }).isVisible()).toBe(true);

      await signInThroughForm(page, address);
      await expect.poll(() => page.locator('.conversation a').first().innerText()).toContain('remember me');
      await context.close();
    },
    FLOW_TIMEOUT,
  );

  it(
    'renders a hostile reply without running any of it',
    async () => {
      const { page, context, errors } = await openApp(browser, base);
      const dialogs: string[] = [];
      page.on('dialog', (dialog) => {
        dialogs.push(dialog.message());
        void dialog.dismiss();
      });
      await registerThroughForm(page, email('hostile'));
      const hostile = [
        '<script>window.pwned = "script"</script>',
        '<img src=x onerror="window.pwned = \'img\'">',
        '[click me](javascript:window.pwned="link")',
        '<a href="javascript:alert(1)" onclick="alert(1)">raw link</a>',
        '<iframe src="javascript:alert(1)"></iframe>',
        '```js',
        'x'.repeat(30_000),
        '```',
      ].join('\n\n');
      await ask(page, hostile, 'dev/echo');
      await expect.poll(async () => (await replyText(page)).startsWith('Echo: '), { timeout: 30_000 }).toBe(true);
      // The link a model wrote with a javascript: address is inert text: clicking it does nothing.
      await lastReply(page).getByText('click me').click();

      const found = await page.evaluate(() => {
        const root = document.querySelector('.messages')!;
        return {
          pwned: (window as unknown as { pwned?: string }).pwned ?? null,
          dangerous: root.querySelectorAll('script, iframe, img, object, embed').length,
          handlers: [...root.querySelectorAll('*')].flatMap((el) =>
            [...el.attributes].filter((a) => a.name.startsWith('on')).map((a) => a.name),
          ),
          scriptLinks: [...root.querySelectorAll('a')].filter((a) => /^\s*javascript:/i.test(a.getAttribute('href') ?? '')).length,
        };
      });
      expect(found).toEqual({ pwned: null, dangerous: 0, handlers: [], scriptLinks: 0 });
      expect(dialogs).toEqual([]);
      expect(errors.filter((e) => !e.includes('401'))).toEqual([]);
      await context.close();
    },
    FLOW_TIMEOUT,
  );

  it(
    'shows admins the moderation flags and the usage report, and hides them from everyone else',
    async () => {
      const { page, context } = await openApp(browser, base);
      await registerThroughForm(page, ADMIN_EMAIL);
      await page.goto('/settings/admin');
      await expect.poll(() => page.getByRole('heading', { name: 'Moderation flags' }).isVisible()).toBe(true);
      await expect.poll(() => page.getByRole('heading', { name: 'Usage report (30 days)' }).isVisible()).toBe(true);
      await expect.poll(() => page.locator('.settings').innerText(), { timeout: 30_000 }).toMatch(/replies, .* in all/);
      await context.close();

      const other = await openApp(browser, base);
      await registerThroughForm(other.page, email('not-admin'));
      await other.page.goto('/settings/admin');
      await expect
        .poll(() =>
          other.page
            .getByRole('heading', { name: 'Preferences' })
            .count()
            .then(() => other.page.locator('.settings nav').innerText()),
        )
        .not.toContain('Admin');
      await other.context.close();
    },
    FLOW_TIMEOUT,
  );

  it(
    'speaks Chinese to a browser that asks for it, and switches to English',
    async () => {
      const { page, context } = await openApp(browser, base, { locale: 'zh-CN' });
      await expect.poll(() => page.getByRole('tab', { name: '登录' }).isVisible()).toBe(true);
      expect(await page.evaluate(() => document.documentElement.lang)).toBe('zh-CN');
      await page.getByLabel('界面语言').selectOption('en');
      await expect.poll(() => page.getByRole('tab', { name: 'Sign in' }).isVisible()).toBe(true);
      expect(await page.evaluate(() => document.documentElement.lang)).toBe('en');
      await context.close();
    },
    FLOW_TIMEOUT,
  );

  it(
    'fits a phone: the conversations open in a drawer from the menu button',
    async () => {
      const { page, context } = await openApp(browser, base, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
      await registerThroughForm(page, email('phone'));
      const menu = page.getByRole('button', { name: 'Conversations' });
      expect(await page.locator('#sidebar').isVisible()).toBe(false);
      await menu.click();
      await expect.poll(() => page.locator('#sidebar').isVisible()).toBe(true);
      expect(await menu.getAttribute('aria-expanded')).toBe('true');
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(width).toBeLessThanOrEqual(390);
      await context.close();
    },
    FLOW_TIMEOUT,
  );

  it(
    'works from the keyboard: Ctrl+K searches, Ctrl+Shift+O starts a new chat',
    async () => {
      const { page, context } = await openApp(browser, base);
      await registerThroughForm(page, email('keyboard'));
      await ask(page, 'a findable zebra', 'dev/echo');
      await expect.poll(() => replyText(page), { timeout: 30_000 }).toBe(echo('a findable zebra'));
      await page.keyboard.press('Control+Shift+O');
      await expect.poll(() => new URL(page.url()).pathname).toBe('/');
      await page.keyboard.press('Control+K');
      expect(await page.evaluate(() => document.activeElement?.getAttribute('type'))).toBe('search');
      await page.keyboard.type('zebra');
      await expect.poll(() => page.getByRole('list', { name: 'Search results' }).innerText(), { timeout: 15_000 }).toContain('zebra');
      await page.keyboard.type('-nothing-like-it');
      await expect
        .poll(() => page.getByRole('list', { name: 'Search results' }).innerText(), { timeout: 15_000 })
        .toContain('No conversation matches.');
      await context.close();
    },
    FLOW_TIMEOUT,
  );

  it(
    'signs in with an OpenID Connect provider from its button',
    async () => {
      const { page, context } = await openApp(browser, oidcBase);
      await page.getByRole('button', { name: 'Continue with Corp SSO' }).click();
      // The provider's own (development) sign-in and consent pages.
      await page.locator('input[name="login"]').fill('grace');
      await page.locator('input[name="password"]').fill('any password');
      await page.locator('button[type="submit"]').click();
      await page.locator('button[type="submit"]').click();
      await expect.poll(() => page.getByLabel('Your message').isVisible(), { timeout: 30_000 }).toBe(true);
      expect(new URL(page.url()).pathname).toBe('/');
      await expect.poll(() => page.locator('.who').innerText()).toBe('Grace Hopper');
      const cookies = await context.cookies();
      expect(cookies.find((cookie) => cookie.name === 'parley_refresh')).toMatchObject({
        httpOnly: true,
        secure: true,
        sameSite: 'Strict',
      });
      await context.close();
    },
    FLOW_TIMEOUT,
  );

  it(
    'lists the devices signed in, revokes one, and changes the password (ending every session)',
    async () => {
      const address = email('devices');
      const laptop = await openApp(browser, base);
      await registerThroughForm(laptop.page, address);
      const phone = await openApp(browser, base, { userAgent: 'Parley test phone' });
      await signInThroughForm(phone.page, address);

      await laptop.page.goto('/settings/account');
      const devices = laptop.page.getByRole('region', { name: 'Signed-in devices' }).locator('li');
      await expect.poll(() => devices.count()).toBe(2);
      await devices.filter({ hasText: 'Parley test phone' }).getByRole('button', { name: 'Revoke' }).click();
      await expect.poll(() => devices.count()).toBe(1);
      expect(await devices.first().innerText()).toContain('this device');
      // The revoked device is signed out the next time it needs its session.
      await phone.page.reload();
      await expect.poll(() => phone.page.getByRole('tab', { name: 'Sign in' }).isVisible()).toBe(true);

      await laptop.page.getByLabel('Current password').fill('not my password');
      await laptop.page.getByLabel('New password (at least 8 characters)').fill('a brand new passphrase');
      await laptop.page.getByRole('button', { name: 'Change password' }).click();
      await expect
        .poll(() =>
          laptop.page
            .getByRole('status')
            .innerText()
            .catch(() => ''),
        )
        .toMatch(/\(BAD_USER_INPUT\)|\(UNAUTHENTICATED\)/);
      await laptop.page.getByLabel('Current password').fill('a long enough passphrase');
      await laptop.page.getByRole('button', { name: 'Change password' }).click();
      await expect
        .poll(() =>
          laptop.page
            .getByRole('status')
            .innerText()
            .catch(() => ''),
        )
        .toContain('Your password was changed');
      await signInThroughForm(laptop.page, address, 'a brand new passphrase');
      await laptop.context.close();
      await phone.context.close();
    },
    FLOW_TIMEOUT,
  );

  it(
    'remembers the model per conversation, shows the budget left, and translates replies automatically when asked to',
    async () => {
      const { page, context } = await openApp(browser, base);
      await registerThroughForm(page, email('settings'));
      await expect.poll(() => page.locator('.chat-header').innerText()).toMatch(/left today/);
      await ask(page, 'first conversation', 'dev/slow');
      await expect.poll(() => replyText(page), { timeout: 30_000 }).toBe(echo('first conversation'));
      const first = page.url();
      await page.getByRole('button', { name: 'New chat' }).click();
      expect(await page.getByLabel('Model', { exact: true }).inputValue()).toBe('');
      await page.goto(first);
      await expect.poll(() => page.getByLabel('Model', { exact: true }).inputValue()).toBe('dev/slow');

      await page.goto('/settings/preferences');
      await page.getByLabel('Preferred language (for translations)').selectOption('fr');
      await expect
        .poll(() =>
          page
            .getByRole('status')
            .innerText()
            .catch(() => ''),
        )
        .toContain('Saved.');
      await page.getByLabel('Translate replies automatically').check();
      await expect.poll(() => page.getByLabel('Translate replies automatically').isChecked()).toBe(true);
      await page.goto(first);
      const translation = lastReply(page).getByRole('complementary', { name: 'Translation into fr' });
      await expect
        .poll(
          () =>
            translation
              .locator('.translation-text')
              .innerText()
              .catch(() => ''),
          { timeout: 30_000 },
        )
        .not.toBe('');
      await context.close();
    },
    FLOW_TIMEOUT,
  );

  it(
    'follows the same reply in a second tab, and both end with the same text',
    async () => {
      const { page, context } = await openApp(browser, base);
      await registerThroughForm(page, email('tabs'));
      const question = questionOfWords(30, 'tab');
      await ask(page, question, 'dev/slow');
      await expect.poll(async () => /tab2/.test(await replyText(page)), { timeout: 30_000 }).toBe(true);
      const second = await context.newPage();
      await second.goto(page.url());
      await second.bringToFront();
      await expect.poll(() => replyText(second).catch(() => ''), { timeout: 60_000 }).toBe(echo(question));
      await page.bringToFront();
      await expect.poll(() => replyText(page), { timeout: 60_000 }).toBe(echo(question));
      await context.close();
    },
    FLOW_TIMEOUT,
  );

  it(
    'opens a 520-message conversation at its end, rendering only what is on screen',
    async () => {
      const address = email('long');
      const user = await registerUser(platform.url, address);
      const history = platform.chat.history();
      const conversation = await history.createConversation({ ownerId: user.id, title: 'A long conversation' });
      for (let turn = 0; turn < 260; turn++) {
        await history.appendMessage(conversation, { role: 'USER', content: `question ${turn}` });
        await history.appendMessage(conversation, { role: 'ASSISTANT', content: `answer ${turn}` });
      }
      const { page, context } = await openApp(browser, base);
      await signInThroughForm(page, address);
      await page.goto(`/c/${conversation.id}`);
      await expect.poll(() => replyText(page), { timeout: 30_000 }).toBe('answer 259');
      const rendered = await page.locator('article.message').count();
      expect(rendered).toBeGreaterThan(2);
      expect(rendered).toBeLessThan(60);
      // Scrolling to the top reaches the first message.
      await page.locator('.messages').evaluate((element) => element.scrollTo(0, 0));
      await expect.poll(() => page.locator('article.message').first().innerText()).toContain('question 0');
      await context.close();
    },
    FLOW_TIMEOUT,
  );

  it(
    'has no serious accessibility violations on any screen, in either theme',
    async () => {
      // axe is injected as an inline script, which the app's CSP (rightly) refuses.
      const { page, context } = await openApp(browser, base, { bypassCSP: true });
      const report: Record<string, unknown[]> = {};
      report['sign-in'] = await seriousAccessibilityViolations(page);
      await registerThroughForm(page, email('a11y'));
      await ask(page, '# A heading\n\n- a list\n\n```js\nconst x = 1;\n```', 'dev/echo');
      await expect.poll(() => replyBusy(page), { timeout: 30_000 }).toBe(false);
      report['chat'] = await seriousAccessibilityViolations(page);
      for (const tab of ['preferences', 'account', 'usage', 'api-keys']) {
        await page.goto(`/settings/${tab}`);
        await page.locator('.settings-body').waitFor();
        report[`settings/${tab}`] = await seriousAccessibilityViolations(page);
      }
      await page.emulateMedia({ colorScheme: 'dark' });
      await page.goto('/');
      await page.locator('.conversation a').first().click();
      await expect.poll(() => replyBusy(page)).toBe(false);
      report['chat (dark)'] = await seriousAccessibilityViolations(page);
      expect(Object.fromEntries(Object.entries(report).filter(([, violations]) => violations.length > 0))).toEqual({});
      await context.close();
    },
    FLOW_TIMEOUT * 2,
  );
});
