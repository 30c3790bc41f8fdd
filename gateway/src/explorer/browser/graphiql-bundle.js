/* global window, document, Worker */
/**
 * The entry point of graphiql.js, the bundle the gateway builds with esbuild
 * (see explorer-bundles.ts); the browser never runs this file as it is.
 * GraphiQL 5 and React 19 ship ES modules only, so they are bundled here, and
 * what graphiql-bootstrap.js needs is left on `window` in the shape GraphiQL
 * 3's UMD build left it: the bootstrap stays a plain script that its tests
 * can run with stand-ins.
 */
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { getOperationAST } from 'graphql';
import { createClient } from 'graphql-ws';
import { createElement } from 'react';
import { createRoot } from 'react-dom/client';

// Monaco starts its workers through this hook. The gateway serves them as
// files of their own, so the page's policy allows them as scripts from
// 'self', with no blob: URL. Their versioned URLs are in the page, on the
// element GraphiQL renders into; a label with no worker of its own (Monaco
// asks for "editorWorkerService") gets the plain editor worker.
window.MonacoEnvironment = {
  getWorker(_workerId, label) {
    const urls = document.getElementById('graphiql').dataset;
    const url = label === 'json' ? urls.jsonWorker : label === 'graphql' ? urls.graphqlWorker : urls.editorWorker;
    return new Worker(url, { name: label });
  },
};

window.React = { createElement };
window.ReactDOM = { createRoot };
window.GraphiQL = Object.assign(GraphiQL, { createFetcher: createGraphiQLFetcher, GraphQL: { getOperationAST } });
window.graphqlWs = { createClient };
