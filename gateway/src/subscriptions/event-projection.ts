import {
  getNamedType,
  getNullableType,
  getOperationAST,
  GraphQLScalarType,
  isAbstractType,
  isObjectType,
  Kind,
  type DocumentNode,
  type ExecutionResult,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';

/**
 * A subscription event answered without graphql-js: the response keys and
 * field names the subscriber selected on one concrete event type, when every
 * one of them is a plain built-in scalar (as `MessageDelta`'s are).
 *
 * graphql-js executes a subscription's selection again for each event: it
 * builds an execution context, coerces the variables, collects the fields and
 * completes each value. For a reply's deltas that is the same selection tens
 * of times a second per subscriber, and it was most of the gateway's CPU per
 * delivered event (bench/chat-pipeline, issue 15). A projection gives the same
 * `{ data: { <root key>: { … } } }` object, keys in the order graphql-js
 * would give them; anything it does not cover (directives, arguments, nested
 * objects, a value of another type than its field's, an Error) is left to
 * graphql-js by returning null.
 */
export type EventProjection = (event: unknown) => ExecutionResult | null;

const BUILT_IN: Record<string, (value: unknown) => boolean> = {
  ID: (value) => typeof value === 'string',
  String: (value) => typeof value === 'string',
  Int: (value) => Number.isInteger(value) && Math.abs(value as number) <= 2_147_483_647,
  Float: (value) => typeof value === 'number' && Number.isFinite(value),
  Boolean: (value) => typeof value === 'boolean',
};

interface LeafField {
  key: string;
  field: string;
  /** Whether the value is what the field's type serializes unchanged; `__typename` has no check. */
  accepts: ((value: unknown) => boolean) | null;
  nullable: boolean;
}

/**
 * Compiles the projections of one subscription document, per concrete type as
 * events of that type arrive. Null when the operation has no single plain root
 * field to project under.
 */
export function eventProjection(schema: GraphQLSchema, document: DocumentNode, operationName?: string): EventProjection | null {
  const operation = getOperationAST(document, operationName);
  const root = operation?.operation === 'subscription' ? schema.getSubscriptionType() : null;
  const [rootSelection, ...others] = operation?.selectionSet.selections ?? [];
  if (!root || !rootSelection || others.length > 0 || rootSelection.kind !== Kind.FIELD || rootSelection.directives?.length) return null;
  const rootField = root.getFields()[rootSelection.name.value];
  if (!rootField || !rootSelection.selectionSet) return null;
  const returned = getNamedType(rootField.type);
  const rootKey = rootSelection.alias?.value ?? rootSelection.name.value;
  const fragments = new Map(
    document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
  );
  const selection = rootSelection.selectionSet;
  const byType = new Map<string, LeafField[] | null>();

  const fieldsOf = (typeName: string): LeafField[] | null => {
    if (byType.has(typeName)) return byType.get(typeName)!;
    const type = schema.getType(typeName);
    const possible =
      isObjectType(type) && (type === returned || (isAbstractType(returned) && schema.isSubType(returned, type as GraphQLObjectType)));
    const fields = possible ? leafFields(schema, type, selection, fragments) : null;
    byType.set(typeName, fields);
    return fields;
  };

  return (event) => {
    if (typeof event !== 'object' || event === null || Object.getPrototypeOf(event) !== Object.prototype) return null;
    const source = event as Record<string, unknown>;
    const typeName = source['__typename'];
    if (typeof typeName !== 'string') return null;
    const fields = fieldsOf(typeName);
    if (!fields) return null;
    const value: Record<string, unknown> = {};
    for (const { key, field, accepts, nullable } of fields) {
      if (!accepts) {
        value[key] = typeName;
        continue;
      }
      const raw = source[field];
      if (raw === null || raw === undefined) {
        if (!nullable) return null; // graphql-js reports the non-null violation
        value[key] = null;
      } else if (accepts(raw)) {
        value[key] = raw;
      } else {
        return null;
      }
    }
    return { data: { [rootKey]: value } };
  };
}

/** The leaf fields `selection` picks on `type`, in graphql-js's order (first occurrence of each key), or null. */
function leafFields(
  schema: GraphQLSchema,
  type: GraphQLObjectType,
  selection: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
): LeafField[] | null {
  const fields = new Map<string, LeafField>();
  const applies = (condition: string | undefined) => {
    if (!condition) return true;
    const conditionType = schema.getType(condition);
    if (conditionType === type) return true;
    return isAbstractType(conditionType) && schema.isSubType(conditionType, type);
  };
  const collect = (set: SelectionSetNode): boolean => {
    for (const node of set.selections) {
      if (node.directives?.length) return false;
      if (node.kind === Kind.FIELD) {
        if (node.arguments?.length || node.selectionSet) return false;
        const key = node.alias?.value ?? node.name.value;
        const name = node.name.value;
        const known = fields.get(key);
        if (known) {
          if (known.field !== name) return false;
          continue;
        }
        if (name === '__typename') {
          fields.set(key, { key, field: name, accepts: null, nullable: false });
          continue;
        }
        const definition = type.getFields()[name];
        const scalar = definition && getNullableType(definition.type);
        if (!(scalar instanceof GraphQLScalarType) || !BUILT_IN[scalar.name] || schema.getType(scalar.name) !== scalar) return false;
        fields.set(key, { key, field: name, accepts: BUILT_IN[scalar.name]!, nullable: scalar === definition.type });
      } else if (node.kind === Kind.INLINE_FRAGMENT) {
        if (applies(node.typeCondition?.name.value) && !collect(node.selectionSet)) return false;
      } else {
        const fragment = fragments.get(node.name.value);
        if (!fragment) return false;
        if (applies(fragment.typeCondition.name.value) && !collect(fragment.selectionSet)) return false;
      }
    }
    return true;
  };
  return collect(selection) ? [...fields.values()] : null;
}
