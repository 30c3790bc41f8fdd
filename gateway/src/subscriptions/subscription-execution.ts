import { type AnyErrorCode, ErrorCode, ProtocolErrorCode } from '@parley/errors';
import { graphQLNulCharacterRefusal } from '@parley/runtime';
import {
  createSourceEventStream,
  defaultFieldResolver,
  execute,
  getOperationAST,
  getVariableValues,
  GraphQLError,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLResolveInfo,
  type GraphQLSchema,
} from 'graphql';
import type { GatewayContext } from '../gateway-context';
import { maxDepthRule, operationCost, operationCostRefusal, operationLimitRules, type OperationLimits } from '@parley/runtime';
import { ResponseKeyedObject } from '../operations/response-keyed-data';
import { eventProjection, type EventProjection } from './event-projection';

/**
 * Opens the source stream of one subscription root field. Each event it
 * yields is that field's value for one payload (an Error value ends up as the
 * field's error); returning the iterator stops the stream.
 */
export type SubscriptionField = (
  args: Record<string, unknown>,
  context: GatewayContext,
  info: GraphQLResolveInfo,
) => Promise<AsyncIterable<unknown>>;

export interface SubscriptionRequest {
  schema: GraphQLSchema;
  document: DocumentNode;
  variableValues: Record<string, unknown> | undefined;
  operationName: string | undefined;
  contextValue: GatewayContext;
}

/**
 * What graphql-js `subscribe()` needs to run a subscription at the gateway,
 * or the errors that refuse it. Apollo Gateway cannot execute subscriptions,
 * and graphql-ws skips validation when handed execution arguments, so the
 * document is validated here (standard rules plus a depth limit) and its
 * variables coerced up front, each error with the code Apollo would give it.
 */
/** Validation results by schema and document: clients repeat the same few subscription documents. */
export type ValidationCache = WeakMap<GraphQLSchema, WeakMap<DocumentNode, readonly GraphQLError[]>>;

export function subscriptionExecutionArgs(
  request: SubscriptionRequest,
  {
    fields,
    maxDepth,
    validated,
    limits = null,
  }: {
    fields: Record<string, SubscriptionField>;
    maxDepth: number;
    validated: ValidationCache;
    /** The gateway's operation limits, checked as Apollo checks them over HTTP (the tighter depth of the two applies); none: depth only. */
    limits?: OperationLimits | null;
  },
): ExecutionArgs | GraphQLError[] {
  const { schema, document, variableValues, operationName } = request;
  const known = validated.get(schema) ?? new WeakMap<DocumentNode, readonly GraphQLError[]>();
  validated.set(schema, known);
  let invalid = known.get(document);
  if (invalid === undefined) {
    const rules = limits ? operationLimitRules({ ...limits, maxDepth: Math.min(limits.maxDepth, maxDepth) }) : [maxDepthRule(maxDepth)];
    known.set(document, (invalid = validate(schema, document, [...specifiedRules, ...rules])));
  }
  if (invalid.length > 0) return invalid.map((error) => withCode(error, ProtocolErrorCode.GRAPHQL_VALIDATION_FAILED));
  const operation = getOperationAST(document, operationName);
  const coerced = getVariableValues(schema, operation?.variableDefinitions ?? [], variableValues ?? {});
  if (coerced.errors) return coerced.errors.map((error) => withCode(error, ErrorCode.BAD_USER_INPUT));
  const cost = limits ? operationCost(schema, document, operationName, variableValues ?? {}) : 0;
  const costly = limits && cost > limits.maxCost ? operationCostRefusal(cost, limits.maxCost) : null;
  if (costly) return [costly];
  const nul = graphQLNulCharacterRefusal(document, variableValues);
  if (nul) return [new GraphQLError(nul.message, { originalError: nul })];
  return { ...request, ...subscriptionResolvers(fields) };
}

/**
 * The API schema the gateway gets from composition has no resolvers; these
 * stand in. The root field opens its stream; every event is the root field's
 * value; below it, objects the gateway built are read by field name, and
 * federated results (ResponseKeyedObject) by response key; an abstract type
 * is told by `__typename`.
 */
function subscriptionResolvers(
  fields: Record<string, SubscriptionField>,
): Pick<ExecutionArgs, 'subscribeFieldResolver' | 'fieldResolver' | 'typeResolver'> {
  return {
    subscribeFieldResolver: (_root, args, context, info) => {
      const open = fields[info.fieldName];
      // Composition added a subscription field that no code here serves yet: a deployment mistake, not the client's.
      if (!open) throw new Error(`The gateway does not serve Subscription.${info.fieldName}.`);
      return open(args as Record<string, unknown>, context as GatewayContext, info);
    },
    fieldResolver: (source, args, context, info) => {
      if (info.parentType === info.schema.getSubscriptionType()) return source;
      if (source instanceof ResponseKeyedObject) return source.values[info.path.key];
      return defaultFieldResolver(source, args, context, info);
    },
    typeResolver: (value) => {
      const typename = (value instanceof ResponseKeyedObject ? value.values : (value as Record<string, unknown>))['__typename'];
      return typeof typename === 'string' ? typename : undefined;
    },
  };
}

function withCode(error: GraphQLError, code: AnyErrorCode): GraphQLError {
  return new GraphQLError(error.message, { nodes: error.nodes ?? null, extensions: { ...error.extensions, code } });
}

/**
 * graphql-js's `subscribe`, with each event answered by the document's projection when it covers the event
 * (event-projection.ts) and by graphql-js's execution otherwise. The iterator's `return()` reaches the source stream
 * at once, as graphql-js's own mapping does.
 */
export function createSubscribe(): (args: ExecutionArgs) => Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const projections = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, Map<string, EventProjection | null>>>();
  const projectionOf = (args: ExecutionArgs): EventProjection | null => {
    const bySchema = projections.get(args.schema) ?? new WeakMap<DocumentNode, Map<string, EventProjection | null>>();
    projections.set(args.schema, bySchema);
    const byOperation = bySchema.get(args.document) ?? new Map<string, EventProjection | null>();
    bySchema.set(args.document, byOperation);
    const name = args.operationName ?? '';
    if (!byOperation.has(name)) byOperation.set(name, eventProjection(args.schema, args.document, args.operationName ?? undefined));
    return byOperation.get(name)!;
  };

  return async (args) => {
    const stream = await createSourceEventStream(args);
    if (!(Symbol.asyncIterator in stream)) return stream;
    const source = stream[Symbol.asyncIterator]();
    const project = projectionOf(args);
    const answer = async (event: unknown): Promise<ExecutionResult> => project?.(event) ?? (await execute({ ...args, rootValue: event }));
    const step = async (result: IteratorResult<unknown>): Promise<IteratorResult<ExecutionResult>> =>
      result.done ? { value: undefined, done: true } : { value: await answer(result.value), done: false };
    const iterator: AsyncIterableIterator<ExecutionResult> = {
      next: async () => step(await source.next()),
      return: async () => step(source.return ? await source.return() : { value: undefined, done: true }),
      throw: async (error?: unknown) => {
        if (source.throw) return step(await source.throw(error));
        await source.return?.();
        throw error;
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  };
}
