import type { RouteHandler } from '@parley/runtime';
import { LOCKED_DOWN, serializeCsp } from '../http/content-security-policy';
import { SANDBOX_SCRIPTS, SANDBOX_STYLES } from './explorer-assets';
import { escapeHtml, sendHtmlPage } from './html-page';
import { allowOnlyReads } from '../http/read-only-methods';
import type { StaticAssets } from './static-assets';

/** Apollo's embeddable Sandbox: its script from Apollo's CDN, its UI in an iframe from Apollo's site. */
export const SANDBOX_SCRIPT_URL = 'https://embeddable-sandbox.cdn.apollographql.com/_latest/embeddable-sandbox.umd.production.min.js';
const SANDBOX_SCRIPT_ORIGIN = new URL(SANDBOX_SCRIPT_URL).origin;
const SANDBOX_FRAME_ORIGIN = 'https://sandbox.embed.apollographql.com';

/**
 * GET /sandbox: Apollo Sandbox on this gateway's /graphql, where the network
 * reaches Apollo's CDN. It is a page of its own rather than Apollo Server's
 * landing page plugin because the gateway serves /graphql through its own
 * route, and because GraphiQL remains the offline explorer, which the page
 * links to. The embed sends every operation from this page (it relays them
 * out of its iframe), so the gateway needs no CORS for Apollo's origin.
 */
export function sandboxPage(assets: StaticAssets, graphqlPath: string, sockets: readonly string[]): RouteHandler {
  return async (req, res) => {
    if (!allowOnlyReads(req, res)) return;
    const urls = await assets.urls([...SANDBOX_STYLES, ...SANDBOX_SCRIPTS]);
    const policy = serializeCsp({
      ...LOCKED_DOWN,
      'script-src': ["'self'", SANDBOX_SCRIPT_ORIGIN],
      'frame-src': [SANDBOX_FRAME_ORIGIN],
      // The embed sizes its iframe with a style attribute.
      'style-src': ["'self'", "'unsafe-inline'"],
      'img-src': ["'self'", 'data:'],
      'connect-src': ["'self'", ...sockets],
    });
    sendHtmlPage(req, res, renderSandboxPage(urls, graphqlPath), policy);
  };
}

function renderSandboxPage(urls: Record<string, string>, graphqlPath: string): string {
  const url = (name: string) => escapeHtml(urls[name] ?? '');
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Parley · Apollo Sandbox</title>
    <!-- Stops the embed from fetching /favicon.ico and then Apollo's icon from its CDN. -->
    <link rel="icon" href="data:," />
${SANDBOX_STYLES.map((name) => `    <link rel="stylesheet" href="${url(name)}" />`).join('\n')}
    <script defer src="${escapeHtml(SANDBOX_SCRIPT_URL)}"></script>
${SANDBOX_SCRIPTS.map((name) => `    <script defer src="${url(name)}"></script>`).join('\n')}
  </head>
  <body class="sandbox-page">
    <p class="explorer-note">
      Apollo Sandbox loads from Apollo's servers. Offline, or behind a firewall?
      <a href="/graphiql">GraphiQL</a> is served by this gateway and needs nothing else.
    </p>
    <p id="sandbox-unavailable" class="explorer-note" hidden>
      Apollo Sandbox could not be loaded from Apollo's CDN; use <a href="/graphiql">GraphiQL</a> instead.
    </p>
    <div id="sandbox" data-graphql-path="${escapeHtml(graphqlPath)}"></div>
  </body>
</html>
`;
}
