import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@parley/runtime';
import { GRAPHIQL_BUNDLE, graphiqlBundles } from './explorer-bundles';
import type { AssetSet } from './static-assets';

export { MONACO_WORKERS } from './explorer-bundles';

/** Where the explorer's files are served from; GraphiQL's page and the sandbox's share them. */
export const ASSETS_PREFIX = '/graphiql/assets/';

/** The scripts of /graphiql, in the order they must run: graphiql.js leaves React, GraphiQL and graphql-ws on `window` for the bootstrap. */
export const GRAPHIQL_SCRIPTS = [GRAPHIQL_BUNDLE, 'introspection-depth.js', 'graphiql-bootstrap.js'] as const;
export const GRAPHIQL_STYLES = ['graphiql.css', 'explorer.css'] as const;
export const SANDBOX_SCRIPTS = ['introspection-depth.js', 'sandbox-bootstrap.js'] as const;
export const SANDBOX_STYLES = ['explorer.css'] as const;

const require = createRequire(import.meta.url);

/**
 * Every file comes from the installed packages (or from beside this module),
 * never from a CDN, so /graphiql works with no network at all and always
 * matches the versions in package-lock.json. The files that are served as
 * they are and the ones esbuild builds are separate sets, so /sandbox, which
 * needs only the former, never waits for a build.
 */
export function explorerAssetSets(logger: Logger): AssetSet[] {
  const files: Record<string, () => string> = {
    // GraphiQL's whole stylesheet: its own, Monaco's, and the fonts as data: URLs.
    'graphiql.css': () => packageFile('graphiql', 'dist/style.css'),
    'graphiql-bootstrap.js': () => ownFile('graphiql-bootstrap.js'),
    'sandbox-bootstrap.js': () => ownFile('sandbox-bootstrap.js'),
    'introspection-depth.js': () => ownFile('introspection-depth.js'),
    'explorer.css': () => ownFile('explorer.css'),
  };
  return [
    {
      names: Object.keys(files),
      load: () => Promise.all(Object.entries(files).map(async ([name, path]) => ({ name, body: await readFile(path()) }))),
    },
    graphiqlBundles(logger),
  ];
}

/**
 * A file inside an installed package, found beside its package.json, which
 * every package exports: not every file is in an "exports" map, and the path
 * on disk is what is served.
 */
function packageFile(packageName: string, file: string): string {
  return join(dirname(require.resolve(`${packageName}/package.json`)), file);
}

/** The browser-side files written for the explorer (not TypeScript: the browser runs them as they are). */
function ownFile(file: string): string {
  return fileURLToPath(new URL(`./browser/${file}`, import.meta.url));
}
