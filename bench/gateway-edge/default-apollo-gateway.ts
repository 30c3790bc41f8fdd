/**
 * The reference: a default-configured @apollo/gateway (ApolloGateway +
 * ApolloServer through `startStandaloneServer`, the data source's DEFAULT
 * fetcher) over the same supergraph and subgraphs as Parley's gateway. The
 * only addition is forwarding the Authorization header in `willSendRequest`,
 * because the subgraphs need it. Nothing is tuned.
 *
 *   SUBGRAPH_URLS='{"users":"http://127.0.0.1:…/graphql",…}' npx tsx bench/gateway-edge/default-apollo-gateway.ts
 *
 * Its own process, so its CPU time can be read apart from everything else.
 * Prints one JSON line with its URL and pid when it listens.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { INTERNAL_CREDENTIAL_HEADER } from '@parley/runtime';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';

interface Context {
  authorization: string | undefined;
}

const supergraphSdl = readFileSync(resolve(import.meta.dirname, '../../supergraph.graphql'), 'utf8');
const subgraphUrls = JSON.parse(process.env.SUBGRAPH_URLS ?? '{}') as Record<string, string>;

const gateway = new ApolloGateway({
  supergraphSdl,
  buildService: ({ name, url }) =>
    new RemoteGraphQLDataSource<Context>({
      url: subgraphUrls[name] ?? url,
      willSendRequest({ request, context }) {
        // Parley's subgraphs answer only requests with the internal credential (libs/runtime internal-credential.ts).
        request.http?.headers.set(INTERNAL_CREDENTIAL_HEADER, process.env.INTERNAL_SERVICE_TOKEN ?? '');
        if (context.authorization) request.http?.headers.set('authorization', context.authorization);
      },
    }),
});
const server = new ApolloServer<Context>({ gateway });
const { url } = await startStandaloneServer(server, {
  listen: { port: 0, host: '127.0.0.1' },
  context: async ({ req }) => ({ authorization: req.headers.authorization }),
});
process.stdout.write(`${JSON.stringify({ url, pid: process.pid })}\n`);
process.on('SIGTERM', () => void server.stop().then(() => process.exit(0)));
