/* global window, document, location */
/**
 * Starts Apollo Sandbox on /sandbox, pointed at this gateway's /graphql. A
 * served file rather than an inline script, so the page's policy allows
 * scripts from 'self' and Apollo's CDN only. The CDN script ran before it
 * (both deferred) or failed to load, which is what happens offline.
 */
(function () {
  'use strict';

  const target = document.getElementById('sandbox');
  if (typeof window.EmbeddedSandbox !== 'function') {
    document.getElementById('sandbox-unavailable').hidden = false;
    return;
  }
  const endpoint = new URL(target.dataset.graphqlPath || '/graphql', location.href);
  new window.EmbeddedSandbox({
    target,
    initialEndpoint: endpoint.href,
    // This page exists for this gateway; another endpoint belongs in Apollo's own Sandbox.
    endpointIsEditable: false,
    // Parley authenticates with bearer tokens (the Headers tab), never cookies.
    initialState: { includeCookies: false },
    // The embed relays every request out of its iframe for this page to send: the introspection
    // query is made to fit the gateway's depth limit on the way.
    handleRequest: (url, options) => fetch(url, { ...options, body: fitted(options.body) }),
  });

  // See introspection-depth.js; a body that is not an introspection query goes as it came.
  function fitted(body) {
    if (typeof body !== 'string' || !body.includes('__schema') || !window.parleyIntrospection) return body;
    try {
      const request = JSON.parse(body);
      if (typeof request.query !== 'string') return body;
      return JSON.stringify({ ...request, query: window.parleyIntrospection.withShallowTypeRefs(request.query) });
    } catch {
      return body;
    }
  }
})();
