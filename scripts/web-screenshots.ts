/**
 * The web client's screenshots in docs/screenshots/, taken from the real app on the embedded platform:
 *
 *   npx tsx scripts/web-screenshots.ts
 *
 * Builds web/dist first when it is stale (as npm start does; PARLEY_WEB_DIR photographs another build as it is),
 * starts the embedded platform in this process on a temporary data directory (removed afterwards) with the test
 * models file (platform/src/testing/test-models-config.ts: "Echo (development model)", "Slow echo" and a broken
 * one), signs a person up through the form, asks a few questions whose echoed replies show Markdown (a heading, a
 * list, a GFM table, a code block), and photographs, in Debian's chromium (PARLEY_CHROMIUM elsewhere):
 *
 *   sign-in.png      the sign-in page, 1280×800
 *   chat-light.png   a conversation, light theme, 1280×800
 *   chat-dark.png    the same, prefers-color-scheme: dark
 *   chat-phone.png   the same on a phone, 390×844 (touch, mobile viewport)
 *   chat-zh-CN.png   another person's conversation in a browser that asks for Chinese
 *   settings.png     /settings/preferences
 *   compare.png      one question asked of two models, their replies side by side
 *
 * Fonts: the Chinese screenshot needs a CJK font (Debian: apt-get install fonts-noto-cjk; without one the script
 * says so), and the conversation list's delete button is an emoji (🗑), a box without a colour emoji font
 * (fonts-noto-color-emoji). The committed PNGs were taken with both.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startEmbeddedPlatform } from '@parley/platform';
import { testModelsSettings } from '@parley/platform/testing';
import { createLogger } from '@parley/runtime';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { ensureWebBuild, WEB_BUILD } from './web-build';

const CHROMIUM = process.env.PARLEY_CHROMIUM ?? '/usr/bin/chromium';
const OUT = resolve(import.meta.dirname, '..', 'docs', 'screenshots');
const PASSWORD = 'a long enough passphrase';
const DESKTOP = { width: 1280, height: 800 };
const PHONE: BrowserContextOptions = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

/** Each question starts with a line of its own, so that the echoed reply ("Echo: " before it) keeps its Markdown. */
const CONVERSATION = [
  'Plan a weekend in Lisbon for two, please. Something like:\n\n## Weekend in Lisbon\n\n- **Saturday:** Alfama, tram 28, dinner in Bairro Alto\n- **Sunday:** Belém, pastéis de nata, sunset at a miradouro\n- **Budget:** about €300 each',
  'Compare the ways to get there:\n\n| from | by | time | cost |\n| --- | --- | --- | --- |\n| Porto | train | 2 h 50 | €25 |\n| Madrid | plane | 1 h 20 | €80 |\n| Seville | bus | 6 h | €30 |',
  'And a snippet to split the bill:\n\n```ts\nexport function split(total: number, people: number): number {\n  return Math.round((total / people) * 100) / 100;\n}\n```',
];
const OTHER_CONVERSATIONS = ['Summarise the quarterly report in three bullet points', 'Explain the TCP handshake to a ten-year-old'];
/** What the app leaves in a browser that signed in (web/src/auth/session.ts); without it a page load does not ask the cookie. */
const SIGNED_IN_HINT = `try { localStorage.setItem('parley.signedIn', '1'); } catch {}`;
const CHINESE_QUESTION = '你好，请介绍一下你自己';
const COMPARE_QUESTION = 'Which is greener for 300 km: the train or the plane?';

if (!/\S/.test(fontsFor('zh'))) {
  console.warn('No CJK font found (fc-list :lang=zh): chat-zh-CN.png will show boxes. Debian: apt-get install fonts-noto-cjk');
}

const webClientDir = process.env.PARLEY_WEB_DIR ? resolve(process.env.PARLEY_WEB_DIR) : WEB_BUILD.distDir;
if (!process.env.PARLEY_WEB_DIR) await ensureWebBuild(WEB_BUILD);

const dataDir = mkdtempSync(join(tmpdir(), 'parley-screenshots-'));
const platform = await startEmbeddedPlatform({
  logger: createLogger({ service: 'parley', level: 'error' }),
  dataDir,
  port: 0,
  settings: { ...testModelsSettings({ slowTokenMs: 40 }), LOGIN_ATTEMPTS_PER_IP: '1000', REGISTRATIONS_PER_IP: '1000' },
  webClientDir,
});
const base = new URL(platform.url).origin;
let browser: Browser | undefined;
try {
  mkdirSync(OUT, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  const open = async (options: BrowserContextOptions = {}) => {
    const context = await browser!.newContext({ baseURL: base, locale: 'en-US', viewport: DESKTOP, ...options });
    const page = await context.newPage();
    page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
    return { context, page };
  };

  // The sign-in page, and signing up through it.
  const { context, page } = await open();
  await page.goto('/');
  await page.getByRole('tab', { name: 'Sign in' }).waitFor();
  await settle(page);
  await shoot(page, 'sign-in.png');

  const email = 'ana@example.com';
  await page.getByRole('tab', { name: 'Create account' }).click();
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Display name (optional)').fill('Ana Silva');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByLabel('Your message').waitFor();

  // Two older conversations for the list, then the one photographed.
  for (const question of OTHER_CONVERSATIONS) {
    await newChat(page);
    await ask(page, question, 'dev/echo');
  }
  await newChat(page);
  for (const question of CONVERSATION) await ask(page, question, 'dev/echo');
  const conversationUrl = new URL(page.url()).pathname;
  await page.locator('article.message .markdown:not(.plain)').last().waitFor();
  // Light: from the first reply (its heading and list) down; dark: the end (the table and the code).
  await page.evaluate(`document.querySelector('article.message.assistant').scrollIntoView({ block: 'start' })`);
  await settle(page);
  await shoot(page, 'chat-light.png');

  await page.emulateMedia({ colorScheme: 'dark' });
  await page.evaluate(`(() => { const list = document.querySelector('.messages'); list.scrollTop = list.scrollHeight; })()`);
  await settle(page);
  await shoot(page, 'chat-dark.png');
  await page.emulateMedia({ colorScheme: 'light' });

  await page.goto('/settings/preferences');
  await page.locator('.settings-body').waitFor();
  await settle(page);
  await shoot(page, 'settings.png');

  // One question to two models: their replies side by side, each with its button to continue.
  await page.goto('/');
  await page.getByLabel('Your message').waitFor();
  await page.getByRole('button', { name: 'Compare models' }).click();
  await page.getByRole('checkbox', { name: /Echo \(development model\)/ }).check();
  await page.getByRole('checkbox', { name: /Slow echo/ }).check();
  const box = page.getByLabel('Your message');
  await box.fill(COMPARE_QUESTION);
  await box.press('Enter');
  const columns = page.getByRole('region', { name: 'Replies side by side' }).locator('article');
  await waitFor(async () => {
    if ((await columns.count()) !== 2) return false;
    const busy = await Promise.all([0, 1].map((i) => columns.nth(i).getAttribute('aria-busy')));
    return busy.every((b) => b === 'false') && (await columns.locator('.markdown:not(.plain)').count()) === 2;
  }, 'the compared replies to finish');
  await settle(page);
  await shoot(page, 'compare.png');
  await context.close();

  // The same person on a phone: the conversation, the drawer closed.
  const phone = await open(PHONE);
  await signIn(phone.context, email);
  await phone.page.goto(conversationUrl);
  await phone.page.locator('article.message .markdown:not(.plain)').last().waitFor();
  await settle(phone.page);
  await shoot(phone.page, 'chat-phone.png');
  await phone.context.close();

  // Another person, in a browser that asks for Chinese.
  const zh = await open({ locale: 'zh-CN' });
  await register(zh.context, 'li.hua@example.com', '李华');
  await zh.page.goto('/');
  const zhBox = zh.page.locator('.composer textarea');
  await zhBox.waitFor();
  await zhBox.fill(CHINESE_QUESTION);
  await zhBox.press('Enter');
  await waitFor(async () => (await lastReplyFinished(zh.page)) !== null, 'the Chinese reply');
  await settle(zh.page);
  await shoot(zh.page, 'chat-zh-CN.png');
  await zh.context.close();
} finally {
  await browser?.close();
  await platform.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(0);

async function newChat(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'New chat' }).click();
  await waitFor(async () => new URL(page.url()).pathname === '/', 'a new chat');
}

/** Asks `question` of `model` and waits until its reply has finished. */
async function ask(page: Page, question: string, model: string): Promise<void> {
  const before = await page.locator('article.message.assistant').count();
  await page.getByLabel('Model', { exact: true }).selectOption(model);
  const box = page.getByLabel('Your message');
  await box.fill(question);
  await box.press('Enter');
  await waitFor(
    async () => (await page.locator('article.message.assistant').count()) > before && (await lastReplyFinished(page)) !== null,
    `the reply to “${question.slice(0, 30)}…”`,
  );
}

/** The last reply's text once it is finished (not busy, Markdown rendered), or null. */
async function lastReplyFinished(page: Page): Promise<string | null> {
  const reply = page.locator('article.message.assistant').last();
  if ((await reply.count()) === 0 || (await reply.getAttribute('aria-busy')) !== 'false') return null;
  if ((await reply.locator('.markdown:not(.plain)').count()) === 0) return null;
  return reply.locator('.message-body').innerText();
}

/** Signs a browser context in through the gateway's browser-session route (its refresh cookie), as the form does. */
async function signIn(context: BrowserContext, email: string): Promise<void> {
  const answer = await context.request.post('/api/v1/auth/browser/login', {
    headers: { 'x-parley-client': 'web' },
    data: { email, password: PASSWORD },
  });
  if (!answer.ok()) throw new Error(`sign-in: ${answer.status()} ${await answer.text()}`);
  await context.addInitScript(SIGNED_IN_HINT);
}

async function register(context: BrowserContext, email: string, displayName: string): Promise<void> {
  const answer = await context.request.post('/api/v1/auth/browser/register', {
    headers: { 'x-parley-client': 'web' },
    data: { email, password: PASSWORD, displayName },
  });
  if (!answer.ok()) throw new Error(`sign-up: ${answer.status()} ${await answer.text()}`);
  await context.addInitScript(SIGNED_IN_HINT);
}

async function waitFor(condition: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !(await condition());) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Lets fonts load, layout (the virtualized list measures its rows) and transitions finish before a photograph. */
async function settle(page: Page): Promise<void> {
  // No focus ring on the composer (it keeps the focus after sending), no caret.
  await page.evaluate('document.activeElement instanceof HTMLElement && document.activeElement.blur()');
  await page.evaluate('document.fonts.ready.then(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))))');
  await page.waitForTimeout(400);
}

async function shoot(page: Page, name: string): Promise<void> {
  const path = join(OUT, name);
  await page.screenshot({ path, animations: 'disabled', caret: 'hide' });
  console.log(`${name}: ${(statSync(path).size / 1000).toFixed(0)} kB`);
}

function fontsFor(lang: string): string {
  try {
    return execFileSync('fc-list', [`:lang=${lang}`, 'family'], { encoding: 'utf8' });
  } catch {
    return 'unknown';
  }
}
