import {
  getDirectiveValues,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  isAbstractType,
  isObjectType,
  Kind,
  OperationTypeNode,
  typeFromAST,
  visit,
  type FieldNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type GraphQLObjectType,
  type GraphQLResolveInfo,
  type NamedTypeNode,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';
import type { GatewayOperation } from '../operations/gateway-operation';

const TYPENAME: FieldNode = { kind: Kind.FIELD, name: { kind: Kind.NAME, value: '__typename' } };

/**
 * The one query that resolves everything a subscriber selected on
 * `MessageCompleted.message`, to run through the gateway when the final event
 * goes out (never per delta): each response key under which the client
 * selects `message` becomes an aliased `message(id:)` root field carrying the
 * client's own selection set, with the fragments and variables it uses, so
 * aliases, fragments and fields of other subgraphs (usage, from models) are
 * planned like any federated query. Null when the client selected no
 * `message`, so nothing is fetched.
 *
 * `__typename` is added to every selection set: the API schema has no
 * resolvers, so graphql-js tells the concrete type of any abstract field in
 * the result from it.
 */
export function completedMessageQuery(
  info: GraphQLResolveInfo,
  messageId: string,
  cache: CompletedMessageQueryCache = new WeakMap(),
): GatewayOperation | null {
  // The id goes in a variable, so every stream of one subscription document sends the same query text: Apollo
  // then validates and plans it once. Without @skip/@include the document depends on nothing else, so it is built
  // once per subscription document too.
  const conditional = /@(skip|include)\b/.test(info.operation.loc?.source.body ?? '@skip');
  const cached = conditional ? undefined : cache.get(info.operation);
  if (cached !== undefined) return cached && { ...cached, variables: { ...cached.variables, [ID_VARIABLE]: messageId } };
  const built = buildCompletedMessageQuery(info);
  if (!conditional) cache.set(info.operation, built);
  return built && { ...built, variables: { ...built.variables, [ID_VARIABLE]: messageId } };
}

/** Built completed-message queries by subscription operation (null: the subscriber selected no `message`). */
export type CompletedMessageQueryCache = WeakMap<OperationDefinitionNode, GatewayOperation | null>;

/** A name no client variable is likely to have. */
const ID_VARIABLE = 'parleyCompletedMessageId';

function buildCompletedMessageQuery(info: GraphQLResolveInfo): GatewayOperation | null {
  const completed = info.schema.getType('MessageCompleted');
  if (!isObjectType(completed)) return null;
  const fields = new Map<string, FieldNode[]>();
  for (const node of info.fieldNodes) if (node.selectionSet) collectFields(info, completed, node.selectionSet, fields, new Set());

  const roots: FieldNode[] = [];
  for (const [responseKey, nodes] of fields) {
    if (nodes[0]!.name.value !== 'message') continue;
    roots.push({
      kind: Kind.FIELD,
      alias: { kind: Kind.NAME, value: responseKey },
      name: { kind: Kind.NAME, value: 'message' },
      arguments: [
        {
          kind: Kind.ARGUMENT,
          name: { kind: Kind.NAME, value: 'id' },
          value: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: ID_VARIABLE } },
        },
      ],
      selectionSet: { kind: Kind.SELECTION_SET, selections: nodes.flatMap((node) => node.selectionSet?.selections ?? []) },
    });
  }
  if (roots.length === 0) return null;

  const fragments = fragmentsUsedBy(roots, info.fragments);
  const variables = variablesUsedBy([...roots, ...fragments]);
  const document = visit(
    {
      kind: Kind.DOCUMENT,
      definitions: [
        {
          kind: Kind.OPERATION_DEFINITION,
          operation: OperationTypeNode.QUERY,
          name: { kind: Kind.NAME, value: 'MessageStreamCompletedMessage' },
          variableDefinitions: [
            ...(info.operation.variableDefinitions ?? []).filter((d) => variables.has(d.variable.name.value)),
            {
              kind: Kind.VARIABLE_DEFINITION,
              variable: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: ID_VARIABLE } },
              type: { kind: Kind.NON_NULL_TYPE, type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: 'ID' } } },
            },
          ],
          selectionSet: { kind: Kind.SELECTION_SET, selections: roots },
        },
        ...fragments,
      ],
    },
    { SelectionSet: (node) => ({ ...node, selections: [...node.selections, TYPENAME] }) },
  );
  return {
    query: document,
    operationName: 'MessageStreamCompletedMessage',
    variables: Object.fromEntries(
      [...variables].filter((name) => name in info.variableValues).map((name) => [name, info.variableValues[name]]),
    ),
  };
}

/** graphql-js's field collection (an internal of graphql-js, hence this copy): fragments expanded, @skip/@include applied. */
function collectFields(
  info: GraphQLResolveInfo,
  runtimeType: GraphQLObjectType,
  selectionSet: SelectionSetNode,
  fields: Map<string, FieldNode[]>,
  visitedFragments: Set<string>,
): void {
  for (const selection of selectionSet.selections) {
    if (!included(selection, info.variableValues)) continue;
    if (selection.kind === Kind.FIELD) {
      const key = selection.alias?.value ?? selection.name.value;
      fields.set(key, [...(fields.get(key) ?? []), selection]);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      if (appliesTo(info, selection.typeCondition, runtimeType))
        collectFields(info, runtimeType, selection.selectionSet, fields, visitedFragments);
    } else {
      const name = selection.name.value;
      const fragment = info.fragments[name];
      if (visitedFragments.has(name) || !fragment || !appliesTo(info, fragment.typeCondition, runtimeType)) continue;
      visitedFragments.add(name);
      collectFields(info, runtimeType, fragment.selectionSet, fields, visitedFragments);
    }
  }
}

function included(selection: SelectionNode, variableValues: Record<string, unknown>): boolean {
  if (getDirectiveValues(GraphQLSkipDirective, selection, variableValues)?.['if'] === true) return false;
  return getDirectiveValues(GraphQLIncludeDirective, selection, variableValues)?.['if'] !== false;
}

function appliesTo(info: GraphQLResolveInfo, condition: NamedTypeNode | undefined, runtimeType: GraphQLObjectType): boolean {
  if (!condition) return true;
  const type = typeFromAST(info.schema, condition);
  if (type === runtimeType) return true;
  return isAbstractType(type) && info.schema.isSubType(type, runtimeType);
}

/** The fragment definitions `roots` spread, directly or through other fragments. */
function fragmentsUsedBy(roots: FieldNode[], all: Record<string, FragmentDefinitionNode>): FragmentDefinitionNode[] {
  const used = new Map<string, FragmentDefinitionNode>();
  const pending: object[] = [...roots];
  while (pending.length > 0) {
    visit(pending.pop() as FieldNode, {
      FragmentSpread(spread) {
        const fragment = all[spread.name.value];
        if (fragment && !used.has(fragment.name.value)) {
          used.set(fragment.name.value, fragment);
          pending.push(fragment);
        }
      },
    });
  }
  return [...used.values()];
}

function variablesUsedBy(nodes: (FieldNode | FragmentDefinitionNode)[]): Set<string> {
  const names = new Set<string>();
  for (const node of nodes) visit(node, { Variable: (variable) => void names.add(variable.name.value) });
  return names;
}
