import type { EdgeDependencies, EdgeRoutes } from '../http/edge-routes';
import { ASSETS_PREFIX, explorerAssetSets } from './explorer-assets';
import { graphiqlPage } from './graphiql-page';
import { sandboxPage } from './sandbox-page';
import { staticAssets } from './static-assets';

/** Where the explorers send operations: the gateway's own GraphQL endpoint (and its graphql-ws socket). */
const GRAPHQL_PATH = '/graphql';

/**
 * The explorers: GraphiQL at /graphiql, served whole by the gateway so it
 * works offline, and Apollo Sandbox at /sandbox where Apollo's CDN is
 * reachable. Both talk to /graphql from the browser with the user's own
 * token, like any other client, so of `deps` they use the logger alone (to
 * report GraphiQL's bundle build). `sockets`: where their policies let them
 * open graphql-ws beside 'self' (`publicSockets`).
 */
export function explorerRoutes(deps: EdgeDependencies, { sockets }: { sockets: readonly string[] }): EdgeRoutes {
  const assets = staticAssets(ASSETS_PREFIX, explorerAssetSets(deps.logger));
  return {
    routes: {
      '/graphiql': graphiqlPage(assets, GRAPHQL_PATH, sockets),
      '/sandbox': sandboxPage(assets, GRAPHQL_PATH, sockets),
    },
    prefixRoutes: { [ASSETS_PREFIX]: assets.handler },
  };
}
