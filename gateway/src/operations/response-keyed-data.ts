import type { FormattedExecutionResult, GraphQLFormattedError } from 'graphql';
import { errorFromFormatted } from './gateway-operation';

/**
 * An object of a federated result, keyed by response key (alias or field
 * name) as results are. graphql-js's default resolver reads a field by its
 * name, which would lose aliased fields, and two aliases of one field with
 * different arguments could not both live under the field's name; so such
 * objects are read by `info.path.key` instead (see subscription-execution.ts).
 */
export class ResponseKeyedObject {
  constructor(readonly values: Readonly<Record<string, unknown>>) {}
}

type Path = readonly (string | number)[];

/**
 * A result of the gateway, ready to be executed over again by graphql-js:
 * every object wrapped as a ResponseKeyedObject, and in place of each null an
 * error caused, that error as a GraphQLError (an error without a path stands
 * for every null it could have caused). graphql-js throws an Error
 * value it meets while completing a field or list item, so the error reaches
 * the client at its new path with its code. Without any data (the whole
 * operation failed) the first error comes back instead.
 */
export function responseKeyedData(result: FormattedExecutionResult): ResponseKeyedObject | Error {
  const errors = (result.errors ?? []).filter((error): error is GraphQLFormattedError & { path: Path } => Array.isArray(error.path));
  // Apollo Gateway reports a fetch that failed as a whole (a subgraph down) without a path: such an error, not
  // absence, is why a field is null, and reading that null as "not there" would tell a client to give up.
  const unplaced = (result.errors ?? []).find((error) => !Array.isArray(error.path));
  if (!result.data) {
    const [first] = result.errors ?? [];
    return first ? errorFromFormatted(first) : new Error('The gateway answered neither data nor errors.');
  }
  const convert = (value: unknown, path: Path): unknown => {
    if (value === null) {
      // The gateway nulls the nearest nullable field at or above where an error happened.
      const cause = errors.find((error) => path.every((key, i) => error.path[i] === key));
      if (cause) return errorFromFormatted(cause);
      return unplaced ? errorFromFormatted(unplaced) : null;
    }
    if (Array.isArray(value)) return value.map((item, i) => convert(item, [...path, i]));
    if (typeof value === 'object') {
      return new ResponseKeyedObject(
        Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([key, item]) => [key, convert(item, [...path, key])])),
      );
    }
    return value;
  };
  return convert(result.data, []) as ResponseKeyedObject;
}
