import {
  getNamedType,
  GraphQLError,
  Kind,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationRule,
} from 'graphql';

/**
 * The type a mutation answers when it starts model replies: the question and
 * its new PENDING replies (sendMessage, with one model or several compared,
 * regenerateMessage, editMessage). Read from the schema, so a mutation added
 * with this answer is counted without a list to keep up to date.
 */
const REPLY_PAYLOAD = 'SendMessagePayload';

/** Whether the root mutation field `name` starts model replies (its answer is a SendMessagePayload). */
export function startsModelReplies(schema: GraphQLSchema, name: string): boolean {
  const field = schema.getMutationType()?.getFields()[name];
  return field !== undefined && getNamedType(field.type).name === REPLY_PAYLOAD;
}

/**
 * The root fields of an operation by name, once per time each is asked for:
 * aliases count apart, fragments where they are spread (a cycle once),
 * `__typename` not at all. @skip and @include are not evaluated: a field
 * that might run counts.
 */
export function rootFieldNames(
  operation: OperationDefinitionNode,
  fragmentOf: (name: string) => FragmentDefinitionNode | undefined,
): string[] {
  const names: string[] = [];
  const visit = (selectionSet: SelectionSetNode, visiting: Set<string>) => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        if (!selection.name.value.startsWith('__')) names.push(selection.name.value);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        visit(selection.selectionSet, visiting);
      } else {
        const fragment = fragmentOf(selection.name.value);
        if (!fragment || visiting.has(fragment.name.value)) continue;
        visiting.add(fragment.name.value);
        visit(fragment.selectionSet, visiting);
        visiting.delete(fragment.name.value);
      }
    }
  };
  visit(operation.selectionSet, new Set());
  return names;
}

/**
 * At most `max` model replies started per request. Each costs a model call
 * (several with compare), and aliases let one request ask for as many as the
 * alias limit allows; Parley's clients send one sendMessage per request (a
 * comparison is one sendMessage naming several models). Refused at
 * validation, so none of them runs.
 */
export function maxGeneratingMutationsRule(max: number): ValidationRule {
  return (context) => ({
    OperationDefinition(operation) {
      if (operation.operation !== 'mutation') return;
      const schema = context.getSchema();
      const starting = rootFieldNames(operation, (name) => context.getFragment(name) ?? undefined).filter((name) =>
        startsModelReplies(schema, name),
      );
      if (starting.length <= max) return;
      const byName = new Map<string, number>();
      for (const name of starting) byName.set(name, (byName.get(name) ?? 0) + 1);
      const listed = [...byName].map(([name, count]) => `${name} ×${count}`).join(', ');
      context.reportError(
        new GraphQLError(
          `${operation.name ? `Operation "${operation.name.value}"` : 'The operation'} starts ${starting.length} model replies (${listed}); at most ${max} per request. Send them in separate requests.`,
          { nodes: operation, extensions: { limit: 'generatingMutations', actual: starting.length, maximum: max } },
        ),
      );
    },
  });
}
