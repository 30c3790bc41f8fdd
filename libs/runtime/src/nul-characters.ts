import { BadUserInputError } from '@parley/errors';
import { Kind, type DocumentNode, type SelectionSetNode, type ValueNode } from 'graphql';

/**
 * U+0000 in text inputs. PostgreSQL's text types cannot hold it (the insert or
 * the query fails), so a NUL anywhere in an input once reached the database and
 * came back as an internal error. Nothing Parley stores or searches is better
 * for it, so the doors refuse it as bad input naming where it was: the
 * gateway for every operation, each subgraph again, and the /v1 API for its
 * JSON bodies.
 */
export function nulCharacterRefusal(field: string): BadUserInputError {
  return new BadUserInputError(`${field} contains a NUL character (U+0000), which cannot be stored; remove it.`, { field });
}

/**
 * Where a NUL is in a JSON value (a request body, GraphQL variables): the
 * path of the first string or object key holding one, its parts joined by
 * dots (`input.content`, `messages.0.content`), or null when there is none.
 */
export function nulCharacterPath(value: unknown, path: readonly (string | number)[] = []): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path.join('.') : null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = nulCharacterPath(value[i], [...path, i]);
      if (found !== null) return found;
    }
    return null;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (key.includes('\u0000')) return [...path, key.replaceAll('\u0000', '\\u0000')].join('.');
      const found = nulCharacterPath(item, [...path, key]);
      if (found !== null) return found;
    }
  }
  return null;
}

/**
 * The refusal of a GraphQL request with a NUL in its variables (named by
 * the variable's path, e.g. `input.content`) or in a string literal of its
 * document (named by the field's response key and the argument's path, e.g.
 * `renameConversation.title`; a variable's default by the variable), or null.
 */
export function graphQLNulCharacterRefusal(document: DocumentNode, variables: unknown): BadUserInputError | null {
  const inVariables = variables === undefined || variables === null ? null : nulCharacterPath(variables);
  const found = inVariables ?? nulInDocumentOnce(document);
  return found === null ? null : nulCharacterRefusal(found);
}

/**
 * A document's literals are the same on every request, and the gateway and the subgraphs keep their parsed
 * documents: each is walked once, not once per request.
 */
const literalNuls = new WeakMap<DocumentNode, string | null>();
function nulInDocumentOnce(document: DocumentNode): string | null {
  let found = literalNuls.get(document);
  if (found === undefined) literalNuls.set(document, (found = nulInDocument(document)));
  return found;
}

function nulInDocument(document: DocumentNode): string | null {
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION) {
      for (const variable of definition.variableDefinitions ?? []) {
        const found = nulInValue(variable.defaultValue, [variable.variable.name.value]);
        if (found !== null) return found;
      }
    }
    if (definition.kind === Kind.OPERATION_DEFINITION || definition.kind === Kind.FRAGMENT_DEFINITION) {
      const found = nulInSelections(definition.selectionSet);
      if (found !== null) return found;
    }
  }
  return null;
}

function nulInSelections(selectionSet: SelectionSetNode): string | null {
  for (const selection of selectionSet.selections) {
    const key = selection.kind === Kind.FIELD ? (selection.alias ?? selection.name).value : null;
    const argumentsOf = [
      ...(selection.kind === Kind.FIELD ? (selection.arguments ?? []) : []),
      ...(selection.directives ?? []).flatMap((d) => d.arguments ?? []),
    ];
    for (const argument of argumentsOf) {
      const found = nulInValue(argument.value, key === null ? [argument.name.value] : [key, argument.name.value]);
      if (found !== null) return found;
    }
    if (selection.kind !== Kind.FRAGMENT_SPREAD && selection.selectionSet) {
      const found = nulInSelections(selection.selectionSet);
      if (found !== null) return found;
    }
  }
  return null;
}

function nulInValue(value: ValueNode | undefined, path: (string | number)[]): string | null {
  if (!value) return null;
  if (value.kind === Kind.STRING) return value.value.includes('\u0000') ? path.join('.') : null;
  if (value.kind === Kind.LIST) {
    for (let i = 0; i < value.values.length; i++) {
      const found = nulInValue(value.values[i], [...path, i]);
      if (found !== null) return found;
    }
  }
  if (value.kind === Kind.OBJECT) {
    for (const field of value.fields) {
      const found = nulInValue(field.value, [...path, field.name.value]);
      if (found !== null) return found;
    }
  }
  return null;
}
