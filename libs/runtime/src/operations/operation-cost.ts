import { httpStatusFor, ProtocolErrorCode } from '@parley/errors';
import {
  getNamedType,
  GraphQLError,
  getNullableType,
  isListType,
  isObjectType,
  isInterfaceType,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLSchema,
  type GraphQLCompositeType,
  type SelectionSetNode,
  type ValueNode,
  isUnionType,
  isNonNullType,
} from 'graphql';

/** A list whose size no argument bounds is assumed to hold this many items. */
const UNBOUNDED_LIST = 10;
/** Parley's subgraphs refuse pages above 100 with their own, more precise error; larger asks are costed at 100. */
const LARGEST_PAGE = 100;

/**
 * The static cost of an operation: every field counts 1, and what is selected
 * under a list (or a connection's `edges`) counts once per item the list can
 * hold — its `first`/`last` argument (variables resolved), else the argument's
 * default, else 10. Computed once the variables are known, before anything is
 * fetched, so `conversations(first: 100) { messages(first: 100) { … } }` is
 * refused for what it could cost, not after it cost it.
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown>,
): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions)
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const operation = document.definitions.find(
    (d) => d.kind === Kind.OPERATION_DEFINITION && (operationName ? d.name?.value === operationName : true),
  );
  if (!operation || operation.kind !== Kind.OPERATION_DEFINITION) return 0;
  const root = schema.getRootType(operation.operation);
  if (!root) return 0;

  const valueOf = (node: ValueNode | undefined): unknown => {
    if (!node) return undefined;
    if (node.kind === Kind.VARIABLE) return variables[node.name.value];
    if (node.kind === Kind.INT) return Number(node.value);
    return undefined;
  };

  const costOf = (selectionSet: SelectionSetNode, parent: GraphQLCompositeType, visiting: Set<string>): number => {
    let total = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value.startsWith('__')) continue;
        const field = fieldOf(parent, selection.name.value);
        if (!field) continue;
        total += 1;
        if (!selection.selectionSet) continue;
        const childType = getNamedType(field.type) as GraphQLCompositeType;
        // A connection's `edges` were multiplied already, by the page size of the field that returned the connection.
        const pageOfParent = isConnection(parent) && selection.name.value === 'edges';
        const size =
          !pageOfParent && (isListType(getNullableType(field.type)) || isConnection(childType))
            ? pageSize(field, selection.arguments ?? [])
            : 1;
        total += size * costOf(selection.selectionSet, childType, visiting);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const typed = selection.typeCondition
          ? (schema.getType(selection.typeCondition.name.value) as GraphQLCompositeType | undefined)
          : parent;
        total += costOf(selection.selectionSet, typed ?? parent, visiting);
      } else {
        const fragment = fragments.get(selection.name.value);
        if (!fragment || visiting.has(fragment.name.value)) continue;
        visiting.add(fragment.name.value);
        const typed = schema.getType(fragment.typeCondition.name.value) as GraphQLCompositeType | undefined;
        total += costOf(fragment.selectionSet, typed ?? parent, visiting);
        visiting.delete(fragment.name.value);
      }
    }
    return total;
  };

  function pageSize(field: GraphQLField<unknown, unknown>, args: readonly { name: { value: string }; value: ValueNode }[]): number {
    for (const name of ['first', 'last', 'limit']) {
      const given = valueOf(args.find((a) => a.name.value === name)?.value);
      if (typeof given === 'number' && given >= 0) return Math.min(LARGEST_PAGE, Math.max(1, given));
      const fallback = field.args.find((a) => a.name === name)?.defaultValue;
      if (typeof fallback === 'number') return Math.max(1, fallback);
    }
    return UNBOUNDED_LIST;
  }

  return costOf(operation.selectionSet, root, new Set());
}

function fieldOf(parent: GraphQLCompositeType, name: string): GraphQLField<unknown, unknown> | undefined {
  if (isObjectType(parent) || isInterfaceType(parent)) return parent.getFields()[name];
  if (isUnionType(parent)) for (const member of parent.getTypes()) if (member.getFields()[name]) return member.getFields()[name];
  return undefined;
}

/** A Relay-style connection: its cost is carried by `edges`, multiplied by the page size of the field that returned it. */
function isConnection(type: GraphQLCompositeType): boolean {
  if (!isObjectType(type)) return false;
  const edges = type.getFields()['edges'];
  return edges !== undefined && isListType(getNullableType(isNonNullType(edges.type) ? edges.type.ofType : edges.type));
}

/** The refusal of an operation that could cost more than `maxCost`, with the figures: the gateway's and each subgraph's. */
export function operationCostRefusal(cost: number, maxCost: number): GraphQLError {
  return new GraphQLError(
    `This operation could cost ${cost} (fields times list sizes); the limit is ${maxCost}. Ask for fewer items (first/last) or fewer nested fields.`,
    {
      extensions: {
        code: ProtocolErrorCode.GRAPHQL_VALIDATION_FAILED,
        limit: 'cost',
        actual: cost,
        maximum: maxCost,
        http: { status: httpStatusFor(ProtocolErrorCode.GRAPHQL_VALIDATION_FAILED) },
      },
    },
  );
}
