import type { RouteHandler } from '@parley/runtime';
import { LOCKED_DOWN, serializeCsp } from '../http/content-security-policy';
import { GRAPHIQL_SCRIPTS, GRAPHIQL_STYLES, MONACO_WORKERS } from './explorer-assets';
import { escapeHtml, sendHtmlPage } from './html-page';
import { allowOnlyReads } from '../http/read-only-methods';
import type { StaticAssets } from './static-assets';

const WORKERS = Object.entries(MONACO_WORKERS);

/**
 * GET /graphiql: GraphiQL with every script, worker and stylesheet from this
 * gateway, so it works with no network beyond the gateway. The page holds no
 * inline script: graphiql-bootstrap.js starts GraphiQL, which lets the policy
 * allow scripts from 'self' alone.
 */
export function graphiqlPage(assets: StaticAssets, graphqlPath: string, sockets: readonly string[]): RouteHandler {
  return async (req, res) => {
    if (!allowOnlyReads(req, res)) return;
    const urls = await assets.urls([...GRAPHIQL_STYLES, ...GRAPHIQL_SCRIPTS, ...WORKERS.map(([, name]) => name)]);
    const policy = serializeCsp({
      ...LOCKED_DOWN,
      'script-src': ["'self'"],
      // Monaco's workers are files the gateway serves, started by URL (MonacoEnvironment.getWorker in
      // graphiql-bundle.js), so no blob: is needed. CSP 3 would fall back to script-src; naming it keeps
      // browsers that govern workers by child-src or default-src (older Safari) from refusing them.
      'worker-src': ["'self'"],
      // GraphiQL's panes and Monaco position themselves with inline styles, and Monaco adds <style> elements.
      'style-src': ["'self'", "'unsafe-inline'"],
      // The fonts are inlined in graphiql.css as data: URLs.
      'font-src': ["'self'", 'data:'],
      'img-src': ["'self'", 'data:'],
      'connect-src': ["'self'", ...sockets],
    });
    sendHtmlPage(req, res, renderGraphiqlPage(urls, graphqlPath), policy);
  };
}

function renderGraphiqlPage(urls: Record<string, string>, graphqlPath: string): string {
  const url = (name: string) => escapeHtml(urls[name] ?? '');
  const workers = WORKERS.map(([attribute, name]) => ` data-${attribute}="${url(name)}"`).join('');
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Parley · GraphiQL</title>
${GRAPHIQL_STYLES.map((name) => `    <link rel="stylesheet" href="${url(name)}" />`).join('\n')}
${GRAPHIQL_SCRIPTS.map((name) => `    <script defer src="${url(name)}"></script>`).join('\n')}
  </head>
  <body>
    <div id="graphiql" data-graphql-path="${escapeHtml(graphqlPath)}"${workers}>Loading GraphiQL…</div>
    <noscript>GraphiQL needs JavaScript.</noscript>
  </body>
</html>
`;
}
