/* global window */
/**
 * The gateway refuses operations nested deeper than MAX_QUERY_DEPTH (12 by
 * default), and graphql-js's introspection query, which both GraphiQL and
 * Apollo Sandbox send, nests its TypeRef fragment 9 levels deep (15 in all).
 * Both explorers pass their introspection through here: TypeRef is cut to 6
 * levels, which still describes six wrappers around a type ([[X!]!]! has
 * five; Parley's schema has at most three) and fits in depth 12. Any other
 * query is left as it is.
 */
(function () {
  'use strict';

  const TYPE_REF_LEVELS = 6;
  let selection = 'kind name';
  for (let level = 0; level < TYPE_REF_LEVELS; level++) selection = `kind name ofType { ${selection} }`;
  const shallowTypeRef = `{ ${selection} }`;

  function withShallowTypeRefs(query) {
    const start = query.search(/fragment\s+TypeRef\s+on\s+__Type\s*\{/);
    if (start < 0) return query;
    const open = query.indexOf('{', start);
    let depth = 0;
    for (let i = open; i < query.length; i++) {
      if (query[i] === '{') depth++;
      else if (query[i] === '}' && --depth === 0) return query.slice(0, open) + shallowTypeRef + query.slice(i + 1);
    }
    return query;
  }

  window.parleyIntrospection = { withShallowTypeRefs };
})();
