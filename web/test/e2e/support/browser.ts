import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { expect } from 'vitest';

/**
 * Debian's chromium, driven by playwright-core (Playwright's own browser
 * download cannot work here). PARLEY_CHROMIUM points elsewhere. Without a
 * browser the browser suites are skipped with a note, so `npm test` still
 * runs on a machine with only Node; CI installs chromium and sets
 * REQUIRE_BROWSER=1, which turns a missing browser into a failure.
 */
export const CHROMIUM = process.env.PARLEY_CHROMIUM ?? '/usr/bin/chromium';
export const browserAvailable = existsSync(CHROMIUM);
if (!browserAvailable && process.env.REQUIRE_BROWSER === '1') {
  throw new Error(
    `REQUIRE_BROWSER=1 but there is no browser at ${CHROMIUM}: install Debian's chromium (apt-get install chromium) or set PARLEY_CHROMIUM`,
  );
}
if (!browserAvailable)
  console.warn(`Browser suites skipped: no chromium at ${CHROMIUM} (apt-get install chromium, or set PARLEY_CHROMIUM).`);

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

/** A fresh browser profile (its own cookies and storage) on the app at `baseUrl`. */
export async function openApp(
  browser: Browser,
  baseUrl: string,
  options: BrowserContextOptions = {},
): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ baseURL: baseUrl, locale: 'en-US', ...options });
  const page = await context.newPage();
  // Anything the page throws, and every console error, fails the suite that looks at `errors`.
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  await page.goto('/');
  return { context, page, errors };
}

/** Signs a new account up through the form, as a person would, and waits for the chat. */
export async function registerThroughForm(page: Page, email: string, password = 'a long enough passphrase'): Promise<void> {
  await page.getByRole('tab', { name: 'Create account' }).click();
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Display name (optional)').fill(email.split('@')[0]!);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await signedIn(page);
}

export async function signInThroughForm(page: Page, email: string, password = 'a long enough passphrase'): Promise<void> {
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).last().click();
  await signedIn(page);
}

/** Waits for the signed-in frame (on whatever screen the address names), or fails with what the sign-in page said. */
async function signedIn(page: Page): Promise<void> {
  const outcome = async () => {
    if ((await page.locator('.layout').count()) > 0) return 'signed in';
    const error = page.locator('.auth-card .error');
    return (await error.count()) > 0 ? await error.first().innerText() : 'waiting';
  };
  await expect.poll(outcome).toBe('signed in');
}

/** Picks the model for the next question and sends it with Enter. */
export async function ask(page: Page, question: string, model?: string): Promise<void> {
  if (model) await page.getByLabel('Model', { exact: true }).selectOption(model);
  const box = page.getByLabel('Your message');
  await box.fill(question);
  await box.press('Enter');
}

/** The visible text of the last reply in the conversation. */
export function lastReply(page: Page) {
  return page.locator('article.message.assistant').last();
}

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/**
 * axe-core over the page as it is now: the serious and critical violations
 * (WCAG 2.1 A and AA), each with the elements it found. The page's CSP
 * forbids inline scripts, so the context that runs this must bypass CSP.
 */
export async function seriousAccessibilityViolations(
  page: Page,
): Promise<{ id: string; impact: string; help: string; targets: string[] }[]> {
  await page.addScriptTag({ content: AXE_SOURCE });
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: {
          run(
            context: unknown,
            options: unknown,
          ): Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }>;
        };
      }
    ).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
