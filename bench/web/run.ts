/**
 * The web client's weight and how soon it paints (bench/web/README.md), against the embedded platform serving its
 * build at `/` as `npm start` does:
 *
 *   npx tsx bench/web/run.ts [runs=20]
 *
 * 1. What web/dist/index.html loads before the first paint — its module script, its modulepreloads and its
 *    stylesheets — as the gateway sends them (gzipped); and apart from that, the chunks loaded later (Markdown).
 *    Budget: initial JavaScript ≤ 250 kB gzipped.
 * 2. First paint and first contentful paint (the page's 'paint' entries) of the sign-in page (`/`, signed out) and of
 *    a conversation (`/c/<id>`, signed in, six questions and their replies in Markdown), each cold (a new browser
 *    context: empty cache, no connection open) and warm (a new tab in a context that loaded it before), and when the
 *    sign-in form, the first message and its Markdown are on screen (a MutationObserver added with addInitScript;
 *    the app's CSP forbids inline scripts, an init script goes in through CDP). Then both cold loads again with the
 *    network and CPU throttled (150 ms round trip, 1.6 Mbit/s down, 0.75 up, CPU 4× slower, Lighthouse's "slow 4G"
 *    mobile profile). Budget: first paint under 1 s.
 *
 * The kinds of load alternate within each of `runs` rounds, after one round not counted (the server reads the build
 * into memory at its first request; JIT). The platform runs in its own process (server.ts); the browser is Debian's
 * chromium (PARLEY_CHROMIUM elsewhere), headless, one instance for the whole run. PARLEY_WEB_DIR measures another
 * build than web/dist (which is otherwise built first when stale, as npm start does).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { MessageStateDocument, SendMessageDocument } from '@parley/client';
import { postGraphQL } from '@parley/testing';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { BUILD_MARKER, ensureWebBuild, webBuildState, WEB_BUILD } from '../../scripts/web-build';
import { describeMachine } from '../support/machine';
import { createReport, resultsDir, saveResults } from '../support/report';

const runs = Number(process.argv[2] ?? 20);
const CHROMIUM = process.env.PARLEY_CHROMIUM ?? '/usr/bin/chromium';
const JS_BUDGET_BYTES = 250_000;
const FIRST_PAINT_BUDGET_MS = 1000;
const PASSWORD = 'a long enough passphrase';
const EMAIL = 'web-bench@example.com';
const VIEWPORT = { width: 1280, height: 800 };
/** Lighthouse's mobile "slow 4G": 150 ms RTT, 1.6 Mbit/s down, 750 kbit/s up, CPU 4× slower. */
const THROTTLED = { latency: 150, downloadThroughput: 1_600_000 / 8, uploadThroughput: 750_000 / 8, cpuRate: 4 };

/** What a conversation measured holds: questions with a heading, a list, a table, code; dev/echo answers each. */
const QUESTIONS = [
  '# Release notes\n\nWhat changed in **version 2**, and what should I do before upgrading?',
  'The steps, as a list:\n\n- back up the data directory\n- run `npm run migrate`\n- restart the gateway',
  '| model | context | price |\n| --- | --- | --- |\n| echo | 32k | free |\n| slow echo | 32k | free |',
  '```ts\nexport function greet(name: string): string {\n  return `Hello, ${name}!`;\n}\n```',
  'A longer paragraph, to fill the screen the way a real answer would: '.repeat(6).trim(),
  '## Summary\n\n1. upgrade\n2. check the logs\n3. tell the team',
];

// ---------------------------------------------------------------------------------------------------------------
// The build and its weight

const webDir = process.env.PARLEY_WEB_DIR ? resolve(process.env.PARLEY_WEB_DIR) : WEB_BUILD.distDir;
if (!process.env.PARLEY_WEB_DIR) await ensureWebBuild(WEB_BUILD);
if (!existsSync(join(webDir, 'index.html'))) throw new Error(`No web client build in ${webDir}`);
const commit = git(['rev-parse', '--short', 'HEAD']);
const webSourcesChanged = git(['status', '--porcelain', '--', 'web/src', 'web/index.html', 'web/vite.config.ts']) !== '';
/** What the build measured was made from: web/dist's marker (scripts/web-build.ts), or what another one says of itself. */
const buildFrom = (() => {
  let marker: { sourcesHash?: string; builtAt?: string; by?: string } = {};
  try {
    marker = JSON.parse(readFileSync(join(webDir, BUILD_MARKER), 'utf8'));
  } catch {
    // No marker: say where it is, no more.
  }
  const where = process.env.PARLEY_WEB_DIR ? process.env.PARLEY_WEB_DIR : 'web/dist';
  const what = [
    marker.by && `by ${marker.by}`,
    marker.builtAt && `at ${marker.builtAt}`,
    marker.sourcesHash && `sources hash ${marker.sourcesHash.slice(0, 12)}`,
  ].filter(Boolean);
  const fresh = !process.env.PARLEY_WEB_DIR && webBuildState(WEB_BUILD).fresh;
  return `${where}${what.length ? ` (${what.join(', ')})` : ''}${fresh ? `, the sources at ${commit}${webSourcesChanged ? ' with uncommitted changes to web/' : ''}` : ''}`;
})();

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: WEB_BUILD.root, encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

interface Asset {
  path: string;
  kind: 'module script' | 'modulepreload' | 'stylesheet' | 'lazy chunk' | 'lazy stylesheet';
  rawBytes: number;
  servedBytes: number;
  encoding: string;
}

/** The files index.html names, by kind: these load before the first paint. */
function initialFiles(html: string): { path: string; kind: Asset['kind'] }[] {
  const attribute = (tag: string, name: string) => new RegExp(`\\s${name}=["']?([^"'\\s>]+)`, 'i').exec(tag)?.[1];
  const files: { path: string; kind: Asset['kind'] }[] = [];
  for (const [tag] of html.matchAll(/<script\b[^>]*>/gi)) {
    const src = attribute(tag, 'src');
    if (src && attribute(tag, 'type') === 'module') files.push({ path: src, kind: 'module script' });
  }
  for (const [tag] of html.matchAll(/<link\b[^>]*>/gi)) {
    const rel = attribute(tag, 'rel');
    const href = attribute(tag, 'href');
    if (href && rel === 'modulepreload') files.push({ path: href, kind: 'modulepreload' });
    if (href && rel === 'stylesheet') files.push({ path: href, kind: 'stylesheet' });
  }
  return files;
}

/** A file as the gateway sends it to a browser that takes gzip: the bytes on the wire, and its encoding. */
function served(base: string, path: string, encoding: 'gzip' | 'identity'): Promise<{ bytes: number; encoding: string }> {
  return new Promise((done, fail) => {
    const req = request(new URL(path, base), { headers: { 'accept-encoding': encoding } }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () =>
        res.statusCode === 200
          ? done({ bytes, encoding: res.headers['content-encoding'] ?? 'identity' })
          : fail(new Error(`${path}: ${res.statusCode}`)),
      );
    });
    req.on('error', fail);
    req.end();
  });
}

async function weighBuild(base: string): Promise<Asset[]> {
  const html = readFileSync(join(webDir, 'index.html'), 'utf8');
  const initial = initialFiles(html);
  const named = new Set(initial.map((f) => f.path));
  const later = readdirSync(join(webDir, 'assets'))
    .map((name) => `/assets/${name}`)
    .filter((path) => !named.has(path) && /\.(js|css)$/.test(path))
    .map((path) => ({ path, kind: (path.endsWith('.css') ? 'lazy stylesheet' : 'lazy chunk') as Asset['kind'] }));
  const assets: Asset[] = [];
  for (const file of [...initial, ...later]) {
    const gz = await served(base, file.path, 'gzip');
    const raw = await served(base, file.path, 'identity');
    assets.push({ ...file, rawBytes: raw.bytes, servedBytes: gz.bytes, encoding: gz.encoding });
  }
  return assets;
}

// ---------------------------------------------------------------------------------------------------------------
// The platform, and the conversation measured

const server = spawn(process.execPath, ['--import', 'tsx', resolve(import.meta.dirname, 'server.ts')], {
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, PARLEY_WEB_DIR: webDir },
});
const stopServer = () =>
  new Promise<void>((done) => {
    if (server.exitCode !== null) return done();
    server.once('exit', () => done());
    server.kill('SIGTERM');
  });

async function browserSession(base: string, path: 'register' | 'login', body: Record<string, string>): Promise<{ accessToken: string }> {
  const response = await fetch(`${base}/api/v1/auth/browser/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-parley-client': 'web' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as { accessToken: string };
}

/** Signs the bench's user up and has it ask the questions, each after the last reply finished; the conversation's id. */
async function seedConversation(base: string, graphqlUrl: string): Promise<string> {
  const { accessToken: token } = await browserSession(base, 'register', { email: EMAIL, password: PASSWORD, displayName: 'Bench' });
  let conversationId: string | undefined;
  for (const content of QUESTIONS) {
    const sent = await postGraphQL(graphqlUrl, SendMessageDocument, {
      token,
      variables: { input: { content, model: 'dev/echo', ...(conversationId ? { conversationId } : {}) } },
    });
    if (!sent.body.data) throw new Error(`sendMessage: ${JSON.stringify(sent.body.errors)}`);
    conversationId = sent.body.data.sendMessage.conversation.id;
    const replyId = sent.body.data.sendMessage.assistantMessage.id;
    for (let waited = 0; ; waited += 50) {
      const { body } = await postGraphQL(graphqlUrl, MessageStateDocument, { token, variables: { id: replyId } });
      const status = body.data?.message?.status;
      if (status === 'COMPLETED') break;
      if (status === 'FAILED' || status === 'CANCELLED' || waited > 20_000)
        throw new Error(`the reply to a seeded question ended ${status}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return conversationId!;
}

// ---------------------------------------------------------------------------------------------------------------
// One page load, measured in the page

/**
 * Runs in every document before its own scripts: notes (performance.now(), from the navigation's start) when the
 * sign-in form, the first message and its rendered Markdown enter the DOM, and when the frame after that has been
 * painted (a task queued from requestAnimationFrame runs once the frame is out).
 */
const OBSERVER = `(() => {
  const marks = {};
  window.__bench = marks;
  const seen = (name, selector) => {
    if (name in marks || !document.querySelector(selector)) return;
    marks[name] = performance.now();
    requestAnimationFrame(() => setTimeout(() => (marks[name + 'OnScreen'] = performance.now())));
  };
  new MutationObserver(() => {
    seen('signInForm', '[role="tablist"] [role="tab"]');
    seen('firstMessage', 'article.message');
    seen('markdown', 'article.message .markdown:not(.plain)');
  }).observe(document, { childList: true, subtree: true });
  let lcp = 0;
  new PerformanceObserver((list) => { for (const e of list.getEntries()) lcp = e.startTime; }).observe({ type: 'largest-contentful-paint', buffered: true });
  marks.lcp = () => lcp;
})();`;

/** The app's "this browser was signed in" hint in localStorage (not a credential: the cookie is). */
const SIGNED_IN_HINT = `try { localStorage.setItem('parley.signedIn', '1'); } catch {}`;

const COLLECT = `(() => {
  const marks = window.__bench;
  const paint = Object.fromEntries(performance.getEntriesByType('paint').map((e) => [e.name, e.startTime]));
  const fcp = paint['first-contentful-paint'];
  const resources = performance.getEntriesByType('resource')
    .filter((e) => fcp !== undefined && e.responseEnd <= fcp)
    .map((e) => ({ name: new URL(e.name).pathname, type: e.initiatorType, encoded: e.encodedBodySize, decoded: e.decodedBodySize }));
  const nav = performance.getEntriesByType('navigation')[0];
  return {
    firstPaint: paint['first-paint'],
    firstContentfulPaint: fcp,
    largestContentfulPaint: marks.lcp() || undefined,
    signInForm: marks.signInFormOnScreen,
    firstMessage: marks.firstMessageOnScreen,
    markdown: marks.markdownOnScreen,
    documentBytes: nav ? nav.encodedBodySize : undefined,
    resources,
  };
})()`;

interface Sample {
  firstPaint: number;
  firstContentfulPaint: number;
  /** Absent when the entry had not come by then (it may follow the frame by a while, throttled). */
  largestContentfulPaint?: number;
  signInForm?: number;
  firstMessage?: number;
  markdown?: number;
  resources: { name: string; type: string; encoded: number; decoded: number }[];
}

type Target = 'signIn' | 'conversation';

async function load(page: Page, url: string, target: Target, throttled = false): Promise<Sample> {
  if (throttled) {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: THROTTLED.latency,
      downloadThroughput: THROTTLED.downloadThroughput,
      uploadThroughput: THROTTLED.uploadThroughput,
    });
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: THROTTLED.cpuRate });
  }
  await page.goto(url, { waitUntil: 'commit' });
  const ready = target === 'signIn' ? 'signInFormOnScreen' : 'markdownOnScreen';
  // Polled from here: waitForFunction evaluates its predicate with eval, which the app's CSP refuses. The paint
  // entries come once the compositor reports the frame presented, which can be after the page saw its element.
  const done = `window.__bench?.${ready} !== undefined && performance.getEntriesByName('first-contentful-paint').length > 0`;
  for (const deadline = Date.now() + 60_000; !(await page.evaluate(done));) {
    if (Date.now() > deadline) throw new Error(`${url}: ${ready} never came`);
    await new Promise((r) => setTimeout(r, 25));
  }
  const sample = (await page.evaluate(COLLECT)) as Sample;
  if (sample.firstPaint === undefined || sample.firstContentfulPaint === undefined) throw new Error(`no paint entries for ${url}`);
  if (target === 'conversation') {
    const count = await page.locator('article.message').count();
    if (count < 2) throw new Error(`the conversation showed ${count} messages`);
  }
  return sample;
}

// ---------------------------------------------------------------------------------------------------------------
// The run

const loadBefore = loadavg();
const startedAt = new Date();
let browser: Browser | undefined;
try {
  const { url: graphqlUrl } = await new Promise<{ url: string; pid: number }>((done, fail) => {
    server.once('exit', (code) => fail(new Error(`server.ts exited with ${code} before it listened`)));
    createInterface({ input: server.stdout! }).once('line', (line) => done(JSON.parse(line)));
  });
  const base = new URL(graphqlUrl).origin;
  const assets = await weighBuild(base);
  const conversationId = await seedConversation(base, graphqlUrl);
  const conversationPath = `/c/${conversationId}`;

  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  const chromiumVersion = browser.version();
  const newContext = () => browser!.newContext({ baseURL: base, locale: 'en-US', viewport: VIEWPORT });
  const signIn = async (context: BrowserContext) => {
    const answer = await context.request.post('/api/v1/auth/browser/login', {
      headers: { 'x-parley-client': 'web' },
      data: { email: EMAIL, password: PASSWORD },
    });
    if (!answer.ok()) throw new Error(`login: ${answer.status()} ${await answer.text()}`);
    // What the app leaves in a browser that signed in (web/src/auth/session.ts): without it, a page load does not ask the cookie.
    await context.addInitScript(SIGNED_IN_HINT);
  };

  // The warm contexts: each loaded its page once, and keeps its cache (and connections) from then on.
  const warmSignIn = await newContext();
  await warmSignIn.addInitScript(OBSERVER);
  const warmConversation = await newContext();
  await warmConversation.addInitScript(OBSERVER);
  await signIn(warmConversation);

  const kinds = {
    'sign-in page, cold': async () => {
      const context = await newContext();
      await context.addInitScript(OBSERVER);
      try {
        return await load(await context.newPage(), '/', 'signIn');
      } finally {
        await context.close();
      }
    },
    'sign-in page, warm': async () => {
      const page = await warmSignIn.newPage();
      try {
        return await load(page, '/', 'signIn');
      } finally {
        await page.close();
      }
    },
    'conversation, cold': async () => {
      const context = await newContext();
      await context.addInitScript(OBSERVER);
      try {
        await signIn(context);
        return await load(await context.newPage(), conversationPath, 'conversation');
      } finally {
        await context.close();
      }
    },
    'conversation, warm': async () => {
      const page = await warmConversation.newPage();
      try {
        return await load(page, conversationPath, 'conversation');
      } finally {
        await page.close();
      }
    },
    'sign-in page, cold, slow 4G + 4× CPU': async () => {
      const context = await newContext();
      await context.addInitScript(OBSERVER);
      try {
        return await load(await context.newPage(), '/', 'signIn', true);
      } finally {
        await context.close();
      }
    },
    'conversation, cold, slow 4G + 4× CPU': async () => {
      const context = await newContext();
      await context.addInitScript(OBSERVER);
      try {
        await signIn(context);
        return await load(await context.newPage(), conversationPath, 'conversation', true);
      } finally {
        await context.close();
      }
    },
  } satisfies Record<string, () => Promise<Sample>>;
  type Kind = keyof typeof kinds;
  const samples = Object.fromEntries(Object.keys(kinds).map((k) => [k, [] as Sample[]])) as Record<Kind, Sample[]>;

  for (const measure of Object.values(kinds)) await measure(); // the round not counted
  for (let round = 0; round < runs; round++) {
    for (const [kind, measure] of Object.entries(kinds) as [Kind, () => Promise<Sample>][]) samples[kind].push(await measure());
    console.error(`round ${round + 1}/${runs}`);
  }
  await warmSignIn.close();
  await warmConversation.close();
  const loadAfter = loadavg();

  // -------------------------------------------------------------------------------------------------------------
  // The report

  const kB = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;
  const initialJs = assets.filter((a) => a.kind === 'module script' || a.kind === 'modulepreload');
  const initialCss = assets.filter((a) => a.kind === 'stylesheet');
  const lazy = assets.filter((a) => a.kind.startsWith('lazy'));
  const sum = (list: Asset[], key: 'rawBytes' | 'servedBytes') => list.reduce((s, a) => s + a[key], 0);
  const initialJsServed = sum(initialJs, 'servedBytes');

  const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
  /** Nearest rank: the smallest value at least `p` % of the runs are at or under (of 20 runs, p95 is the 19th). */
  const rank = (values: number[], p: number) => sorted(values)[Math.max(0, Math.ceil((p / 100) * values.length) - 1)]!;
  const figures = (values: (number | undefined)[]) => {
    const present = values.filter((v): v is number => v !== undefined);
    return present.length === 0
      ? null
      : { median: rank(present, 50), p95: rank(present, 95), min: Math.min(...present), max: Math.max(...present) };
  };
  const cell = (values: (number | undefined)[]) => {
    const f = figures(values);
    const missing = values.length - values.filter((v) => v !== undefined).length;
    return f
      ? `${f.median.toFixed(0)} / ${f.p95.toFixed(0)} (${f.min.toFixed(0)}–${f.max.toFixed(0)})${missing > 0 && missing < values.length ? `, ${values.length - missing} of ${values.length} runs` : ''}`
      : '—';
  };
  const METRICS = ['firstPaint', 'firstContentfulPaint', 'largestContentfulPaint', 'signInForm', 'firstMessage', 'markdown'] as const;
  const table = {} as Record<Kind, Record<(typeof METRICS)[number], ReturnType<typeof figures>>>;
  for (const kind of Object.keys(kinds) as Kind[]) {
    const row = {} as (typeof table)[Kind];
    for (const metric of METRICS) row[metric] = figures(samples[kind].map((x) => x[metric]));
    table[kind] = row;
  }

  // What the browser fetched before its first contentful paint, cold: each file, in how many of the runs.
  const coldRuns = samples['sign-in page, cold'];
  const beforePaint = new Map<string, { type: string; encoded: number; runs: number }>();
  for (const run of coldRuns) {
    for (const r of run.resources) {
      const seen = beforePaint.get(r.name) ?? { type: r.type, encoded: r.encoded, runs: 0 };
      beforePaint.set(r.name, { ...seen, runs: seen.runs + 1 });
    }
  }

  const unthrottled: Kind[] = ['sign-in page, cold', 'sign-in page, warm', 'conversation, cold', 'conversation, warm'];
  const worstFirstPaintP95 = Math.max(...unthrottled.map((k) => table[k].firstPaint!.p95));
  const worstFcpP95 = Math.max(...unthrottled.map((k) => table[k].firstContentfulPaint!.p95));

  const report = createReport();
  const say = report.say;
  say('# The web client: initial weight and first paint');
  say();
  say(
    `Machine: ${describeMachine()}, Chromium ${chromiumVersion} (Debian's, headless). Load average before the run: ${loadBefore.map((x) => x.toFixed(2)).join(', ')}; after: ${loadAfter.map((x) => x.toFixed(2)).join(', ')}.`,
  );
  say(
    `Command: ${process.env.PARLEY_WEB_DIR ? `PARLEY_WEB_DIR=${process.env.PARLEY_WEB_DIR} ` : ''}npx tsx bench/web/run.ts ${runs} (${startedAt.toISOString()}), at ${commit}; the build measured: ${buildFrom}.`,
  );
  say(
    `Server: the embedded platform (one process, PGlite, every service in it) on 127.0.0.1, product settings but the per-address sign-in limits; nothing else asked of it during the run. The browser on the same two cores, over loopback: no network latency unless throttled. ${runs} rounds, each loading every kind below once in turn, after one round not counted.`,
  );
  say();
  say('## What loads before the first paint');
  say();
  say(`Sizes as the gateway sends them to a browser that takes gzip (its zlib at the default level); kB = 1,000 bytes.`);
  say();
  say('| file | loaded | raw | sent (gzip) |');
  say('| --- | --- | --- | --- |');
  for (const a of assets)
    say(
      `| \`${a.path}\` | ${a.kind} | ${kB(a.rawBytes)} | ${a.encoding === 'gzip' ? kB(a.servedBytes) : `${kB(a.servedBytes)} (not gzipped)`} |`,
    );
  say();
  say(
    `Initial JavaScript: **${kB(initialJsServed)} gzipped** (${kB(sum(initialJs, 'rawBytes'))} raw) in ${initialJs.length} file${initialJs.length === 1 ? '' : 's'}; budget ≤ ${kB(JS_BUDGET_BYTES)}: **${initialJsServed <= JS_BUDGET_BYTES ? 'met' : 'not met'}**. Initial CSS: ${kB(sum(initialCss, 'servedBytes'))} gzipped (${kB(sum(initialCss, 'rawBytes'))} raw). Loaded later, when a message is first shown as Markdown: ${lazy.map((a) => `\`${a.path}\` ${kB(a.servedBytes)} gzipped (${kB(a.rawBytes)} raw)`).join(', ') || 'nothing'}.`,
  );
  say(
    `Fetched in full by the browser before its first contentful paint of the sign-in page, cold (Resource Timing, in how many of the ${coldRuns.length} runs): ${
      [...beforePaint]
        .map(([name, r]) => `\`${name}\` (${r.type}, ${kB(r.encoded)} on the wire, ${r.runs}/${coldRuns.length})`)
        .join(', ') || 'nothing but the document'
    }.`,
  );
  say();
  say('## Paint timings');
  say();
  say(
    'Milliseconds from the navigation\'s start: median / p95 (min–max) over the runs; p95 by nearest rank. First paint and first contentful paint are the page\'s `paint` entries; largest contentful paint its last `largest-contentful-paint` entry by then; "on screen" is when the frame after the element entered the DOM was out. A first-time visitor (no "was signed in" hint in localStorage) gets the sign-in form without a request to the gateway. A conversation, in a browser that was signed in, paints "Loading…" first, shows its messages once the session is renewed through the refresh cookie and the conversation read, and their Markdown once the lazy chunk has loaded.',
  );
  say();
  say(
    '| load | first paint | first contentful paint | largest contentful paint | sign-in form on screen | first message on screen | its Markdown on screen |',
  );
  say('| --- | --- | --- | --- | --- | --- | --- |');
  for (const kind of Object.keys(kinds) as Kind[]) {
    const s = samples[kind];
    say(
      `| ${kind} | ${cell(s.map((x) => x.firstPaint))} | ${cell(s.map((x) => x.firstContentfulPaint))} | ${cell(s.map((x) => x.largestContentfulPaint))} | ${cell(s.map((x) => x.signInForm))} | ${cell(s.map((x) => x.firstMessage))} | ${cell(s.map((x) => x.markdown))} |`,
    );
  }
  say();
  say(
    `First paint under ${FIRST_PAINT_BUDGET_MS} ms, unthrottled: the worst p95 is ${worstFirstPaintP95.toFixed(0)} ms (first contentful paint ${worstFcpP95.toFixed(0)} ms): **${worstFirstPaintP95 < FIRST_PAINT_BUDGET_MS ? 'met' : 'not met'}**. Throttled (slow 4G, CPU 4×): first paint p95 ${table['sign-in page, cold, slow 4G + 4× CPU'].firstPaint!.p95.toFixed(0)} ms on the sign-in page, ${table['conversation, cold, slow 4G + 4× CPU'].firstPaint!.p95.toFixed(0)} ms on a conversation (${table['sign-in page, cold, slow 4G + 4× CPU'].firstPaint!.p95 < FIRST_PAINT_BUDGET_MS && table['conversation, cold, slow 4G + 4× CPU'].firstPaint!.p95 < FIRST_PAINT_BUDGET_MS ? 'under' : 'over'} the budget).`,
  );

  const out = resultsDir(import.meta.dirname);
  report.write(resolve(out, 'RESULTS.md'));
  saveResults(out, 'results.json', {
    runs,
    chromium: chromiumVersion,
    build: buildFrom,
    commit,
    assets,
    initialJsGzipBytes: initialJsServed,
    initialCssGzipBytes: sum(initialCss, 'servedBytes'),
    lazyGzipBytes: sum(lazy, 'servedBytes'),
    jsBudgetBytes: JS_BUDGET_BYTES,
    firstPaintBudgetMs: FIRST_PAINT_BUDGET_MS,
    worstFirstPaintP95Ms: worstFirstPaintP95,
    worstFirstContentfulPaintP95Ms: worstFcpP95,
    timings: table,
  });
} finally {
  await browser?.close();
  await stopServer();
}
process.exit(0);
