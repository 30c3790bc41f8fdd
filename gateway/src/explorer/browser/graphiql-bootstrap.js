/* global window, document, location */
/**
 * Starts GraphiQL on /graphiql. It is a served file rather than an inline
 * script so that the page's Content-Security-Policy can allow scripts from
 * 'self' only. graphiql.js ran before it (both deferred, in document order)
 * and left React, ReactDOM, GraphiQL and graphql-ws on `window`, as
 * graphiql-bundle.js says.
 */
(function () {
  'use strict';

  const DEFAULT_QUERY = `# Parley's GraphQL API. Every type and field is documented: open the
# Docs panel (the book icon), or hover a field.
#
# Sign in (SignIn or register), then put the access token in the Headers tab:
#   { "Authorization": "Bearer <accessToken>" }
# Subscriptions (messageStream) run over graphql-ws on the same endpoint and
# send that token in connection_init.

query Models {
  models { id displayName healthy }
}

mutation SignIn {
  login(email: "ada@example.com", password: "a long passphrase") { accessToken expiresAt }
}

query Me {
  me { email settings { preferredLanguage defaultModel } }
}

mutation Send {
  sendMessage(input: { content: "What is a tree?" }) {
    conversation { id }
    assistantMessage { id status }
  }
}

subscription Follow($messageId: ID!) {
  messageStream(messageId: $messageId) {
    seq
    ... on MessageDelta { delta }
    ... on MessageCompleted { message { status content } }
    ... on MessageFailed { code reason }
  }
}
`;

  const { React, ReactDOM, GraphiQL, graphqlWs, parleyIntrospection } = window;
  const root = document.getElementById('graphiql');
  if (!React || !ReactDOM || !GraphiQL || !graphqlWs || !parleyIntrospection) {
    root.textContent = 'GraphiQL could not start: one of its scripts did not load. Reload the page.';
    return;
  }

  const endpoint = new URL(root.dataset.graphqlPath || '/graphql', location.href);
  // The same path on the same host: the gateway runs graphql-ws beside HTTP on /graphql.
  const socketUrl = endpoint.href.replace(/^http/, 'ws');

  // Queries, mutations and introspection go over HTTP with the Headers tab's headers as they are.
  const overHttp = GraphiQL.createFetcher({ url: endpoint.href, enableIncrementalDelivery: false });

  // A browser cannot set headers on a WebSocket, so the gateway reads the token from connection_init.
  let socket = null;
  function socketFor(authorization) {
    if (socket && socket.authorization === authorization) return socket.client;
    // The gateway authenticates a connection once, when it opens: another token needs another connection.
    if (socket) socket.client.dispose();
    const client = graphqlWs.createClient({
      url: socketUrl,
      connectionParams: authorization ? { authorization } : {},
      // 4403 is a refused token, which trying again will not change.
      shouldRetry: (event) => !(event && event.code === 4403),
    });
    socket = { authorization, client };
    return client;
  }

  async function* overSocket(params, authorization) {
    try {
      yield* socketFor(authorization).iterate(params);
    } catch (error) {
      // The gateway refused the operation itself: graphql-ws hands over its GraphQL errors, shown as a result.
      if (Array.isArray(error)) {
        yield { errors: error };
        return;
      }
      if (error && typeof error.code === 'number') throw new Error(describeClose(error), { cause: error });
      throw error;
    }
  }

  function describeClose(event) {
    const closed = `The subscription's connection closed (${event.code}${event.reason ? ` ${event.reason}` : ''}).`;
    return event.code === 4403
      ? `${closed} The gateway refused the token: put a valid one in the Headers tab as { "Authorization": "Bearer <accessToken>" }.`
      : closed;
  }

  // The Authorization header of the Headers tab, whatever its case, e.g. "Bearer eyJ…".
  function authorizationFrom(headers) {
    for (const [name, value] of Object.entries(headers || {})) {
      if (name.toLowerCase() === 'authorization' && typeof value === 'string' && value.trim() !== '') return value.trim();
    }
    return undefined;
  }

  function isSubscription(params, options) {
    const ast = options && options.documentAST;
    if (!ast) return false;
    const operation = GraphiQL.GraphQL.getOperationAST(ast, params.operationName || undefined);
    return Boolean(operation && operation.operation === 'subscription');
  }

  function fetcher(params, options) {
    if (isSubscription(params, options)) return overSocket(params, authorizationFrom(options.headers));
    // See introspection-depth.js: GraphiQL's own introspection query is deeper than the gateway allows.
    if (params.operationName === 'IntrospectionQuery') {
      return overHttp({ ...params, query: parleyIntrospection.withShallowTypeRefs(params.query) }, options);
    }
    return overHttp(params, options);
  }

  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher,
      defaultQuery: DEFAULT_QUERY,
      // The token goes there, so it is the tab to show first.
      defaultEditorToolsVisibility: 'headers',
    }),
  );
})();
