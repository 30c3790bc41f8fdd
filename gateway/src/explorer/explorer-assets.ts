import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AssetSource } from './static-assets';

/** Where the explorer's files are served from; GraphiQL's page and the sandbox's share them. */
export const ASSETS_PREFIX = '/graphiql/assets/';

/** The scripts of /graphiql, in the order they must run: GraphiQL's UMD build expects React and ReactDOM on `window`. */
export const GRAPHIQL_SCRIPTS = [
  'react.production.min.js',
  'react-dom.production.min.js',
  'graphiql.min.js',
  'graphql-ws.min.js',
  'introspection-depth.js',
  'graphiql-bootstrap.js',
] as const;
export const GRAPHIQL_STYLES = ['graphiql.min.css', 'explorer.css'] as const;
export const SANDBOX_SCRIPTS = ['introspection-depth.js', 'sandbox-bootstrap.js'] as const;
export const SANDBOX_STYLES = ['explorer.css'] as const;

const require = createRequire(import.meta.url);

/**
 * Every file comes from the installed packages (or from beside this module),
 * never from a CDN, so /graphiql works with no network at all and always
 * matches the versions in package-lock.json.
 */
export function explorerAssetSources(): AssetSource[] {
  return [
    { name: 'react.production.min.js', path: packageFile('react', 'umd/react.production.min.js') },
    { name: 'react-dom.production.min.js', path: packageFile('react-dom', 'umd/react-dom.production.min.js') },
    { name: 'graphiql.min.js', path: packageFile('graphiql', 'graphiql.min.js') },
    { name: 'graphiql.min.css', path: packageFile('graphiql', 'graphiql.min.css') },
    { name: 'graphql-ws.min.js', path: packageFile('graphql-ws', 'umd/graphql-ws.min.js') },
    { name: 'graphiql-bootstrap.js', path: ownFile('graphiql-bootstrap.js') },
    { name: 'sandbox-bootstrap.js', path: ownFile('sandbox-bootstrap.js') },
    { name: 'introspection-depth.js', path: ownFile('introspection-depth.js') },
    { name: 'explorer.css', path: ownFile('explorer.css') },
  ];
}

/**
 * A file inside an installed package. React and graphql-ws leave their UMD
 * builds out of their "exports" maps, so resolving the file itself fails;
 * package.json is exported by all four, and the file is found beside it.
 */
function packageFile(packageName: string, file: string): string {
  return join(dirname(require.resolve(`${packageName}/package.json`)), file);
}

/** The browser-side files written for the explorer (not TypeScript: the browser runs them as they are). */
function ownFile(file: string): string {
  return fileURLToPath(new URL(`./browser/${file}`, import.meta.url));
}
