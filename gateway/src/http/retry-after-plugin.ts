import type { ApolloServerPlugin } from '@apollo/server';
import { retryAfterOfErrors } from '@parley/errors';

/**
 * Retry-After on a GraphQL answer whose errors say when to come back (a subgraph's RATE_LIMITED, such as sign-in
 * attempts or replies in progress, or an OVERLOADED relayed from a subgraph), as REST sends it for the same refusal.
 *
 * The status stays 200. These are field errors of an operation that ran, and GraphQL over HTTP has them answered
 * 2xx whatever the media type (`application/json`: 200 for any well-formed request; `application/graphql-response+json`:
 * 2xx whenever the response has a `data` entry, which an executed operation's always has). A 429 here would also
 * tell `application/json` clients that the body may be an intermediary's, not a GraphQL response. A refusal before
 * any execution (the edge's rate limit and admission, http/edge-protection.ts) has no `data` entry and is 429 or
 * 503, with the same header.
 */
export function retryAfterPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          const seconds = retryAfterOfErrors(response.body.singleResult.errors);
          if (seconds !== null) response.http.headers.set('retry-after', String(seconds));
        },
      };
    },
  };
}
