import { GraphQLError, Kind, type SelectionSetNode, type ValidationContext, type ValidationRule } from 'graphql';

/**
 * Refuses operations whose fields nest deeper than `maxDepth` (fragments count
 * as what they expand to). A deep selection under `MessageCompleted.message`
 * fans out into nested subgraph fetches, so this bounds what one
 * subscription can make the platform do. Fragment depths are memoised: a
 * fragment spread many times is measured once, and cycles (reported by
 * NoFragmentCyclesRule) count as zero instead of looping.
 */
export function maxDepthRule(maxDepth: number): ValidationRule {
  return (context) => ({
    OperationDefinition(operation) {
      // Introspection is bounded by the schema (and off in production); tools send the standard query, 15 deep.
      if (operation.selectionSet.selections.every((s) => s.kind === Kind.FIELD && s.name.value.startsWith('__'))) return;
      const depth = depthOf(operation.selectionSet, context, new Map());
      if (depth > maxDepth) {
        context.reportError(
          new GraphQLError(
            `${operation.name ? `Operation "${operation.name.value}"` : 'The operation'} nests fields ${depth} deep; at most ${maxDepth} are allowed.`,
            { nodes: operation },
          ),
        );
      }
    },
  });
}

/** `fragments` holds each fragment's depth once known, and -1 while it is being measured (a cycle). */
function depthOf(selectionSet: SelectionSetNode, context: ValidationContext, fragments: Map<string, number>): number {
  let deepest = 0;
  for (const selection of selectionSet.selections) {
    let depth: number;
    if (selection.kind === Kind.FIELD) {
      depth = 1 + (selection.selectionSet ? depthOf(selection.selectionSet, context, fragments) : 0);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      depth = depthOf(selection.selectionSet, context, fragments);
    } else {
      const name = selection.name.value;
      const known = fragments.get(name);
      if (known !== undefined) {
        depth = Math.max(known, 0);
      } else {
        const fragment = context.getFragment(name);
        fragments.set(name, -1);
        depth = fragment ? depthOf(fragment.selectionSet, context, fragments) : 0;
        fragments.set(name, depth);
      }
    }
    deepest = Math.max(deepest, depth);
  }
  return deepest;
}
