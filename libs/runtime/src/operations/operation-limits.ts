import {
  GraphQLError,
  Kind,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { maxDepthRule } from './max-depth-rule';
import { maxGeneratingMutationsRule } from './root-mutations';

/** What one operation may ask of the platform, whatever the transport. */
export interface OperationLimits {
  /** Deepest field nesting. */
  maxDepth: number;
  /** Estimated cost (operation-cost.ts): fields, multiplied by the page sizes of the lists they sit in. */
  maxCost: number;
  /** Aliased fields in one operation (aliases are how one request asks for the same expensive field many times). */
  maxAliases: number;
  /** Top-level fields in one operation. */
  maxRootFields: number;
  /** Mutations that start model replies (sendMessage, regenerateMessage, editMessage) in one operation (root-mutations.ts). */
  maxGeneratingMutations: number;
  /** Lexical tokens in one document; parsing stops beyond it. */
  maxTokens: number;
  /** Request body, in bytes. */
  maxBodyBytes: number;
}

/**
 * What a subgraph accepts of one operation, whoever sends it: the second line behind the gateway's limits
 * (MAX_QUERY_DEPTH 12, MAX_QUERY_COST 5 000, MAX_QUERY_ALIASES 30 by default), for when a request reaches a subgraph
 * some other way or the gateway's are raised. Looser than the gateway's because a query plan's fetch is not the
 * client's operation: `_entities` adds a level, an entity list is costed at 10 items whatever the batch, and the
 * planner inlines fragments and adds keys and `__typename` (more tokens). Still far below what hurts: a 17-deep
 * query, 1 500 aliases or a cost of 10^8 is refused before anything runs.
 */
export const subgraphOperationLimits: OperationLimits = {
  maxDepth: 15,
  maxCost: 50_000,
  maxAliases: 100,
  maxRootFields: 30,
  maxGeneratingMutations: 5,
  maxTokens: 20_000,
  maxBodyBytes: 1_000_000,
};

/** The static limits, as graphql-js validation rules: checked once per document text, before any planning. */
export function operationLimitRules(limits: OperationLimits): ValidationRule[] {
  return [
    maxDepthRule(limits.maxDepth),
    maxAliasesRule(limits.maxAliases),
    maxRootFieldsRule(limits.maxRootFields),
    maxGeneratingMutationsRule(limits.maxGeneratingMutations),
  ];
}

const operationLabel = (operation: OperationDefinitionNode) => (operation.name ? `Operation "${operation.name.value}"` : 'The operation');

function maxAliasesRule(maxAliases: number): ValidationRule {
  return (context) => ({
    OperationDefinition(operation) {
      const aliases = countSelections(operation.selectionSet, context, (field) => field.alias !== undefined, new Set());
      if (aliases > maxAliases) {
        context.reportError(
          new GraphQLError(
            `${operationLabel(operation)} uses ${aliases} aliases; at most ${maxAliases} are allowed. Split it into several requests.`,
            {
              nodes: operation,
              extensions: { limit: 'aliases', actual: aliases, maximum: maxAliases },
            },
          ),
        );
      }
    },
  });
}

function maxRootFieldsRule(maxRootFields: number): ValidationRule {
  return (context) => ({
    OperationDefinition(operation) {
      const fields = countSelections(operation.selectionSet, context, () => true, new Set(), false);
      if (fields > maxRootFields) {
        context.reportError(
          new GraphQLError(
            `${operationLabel(operation)} asks for ${fields} top-level fields; at most ${maxRootFields} are allowed. Split it into several requests.`,
            { nodes: operation, extensions: { limit: 'rootFields', actual: fields, maximum: maxRootFields } },
          ),
        );
      }
    },
  });
}

/** Fields matching `counted` in a selection set, through fragments (each fragment counted where it is spread, cycles once). */
function countSelections(
  selectionSet: SelectionSetNode,
  context: ValidationContext,
  counted: (field: { alias?: unknown }) => boolean,
  visiting: Set<string>,
  deep = true,
): number {
  let total = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (counted(selection)) total++;
      if (deep && selection.selectionSet) total += countSelections(selection.selectionSet, context, counted, visiting, deep);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      total += countSelections(selection.selectionSet, context, counted, visiting, deep);
    } else {
      const name = selection.name.value;
      const fragment: FragmentDefinitionNode | null | undefined = context.getFragment(name);
      if (!fragment || visiting.has(name)) continue;
      visiting.add(name);
      total += countSelections(fragment.selectionSet, context, counted, visiting, deep);
      visiting.delete(name);
    }
  }
  return total;
}
