import type { IncomingMessage, ServerResponse } from 'node:http';
import { hasScope, type Viewer } from '@parley/auth';
import { ForbiddenError, MethodNotAllowedError, ParleyError, PayloadTooLargeError, UnauthenticatedError } from '@parley/errors';
import { BodyTooLargeError, readBody, type RouteHandler } from '@parley/runtime';
import type { EdgeDependencies, EdgeRoutes } from '../http/edge-routes';
import { createModelsProxy, sendParleyErrorAsOpenAI, type ModelsProxy } from './partner-proxy';

/** The API-key scope (users' `API_KEY_SCOPES`) that the models service demands for every /v1 call. */
export const MODELS_SCOPE = 'models';
/** The models service's own limit: a larger body would be refused there after crossing the network. */
export const MAX_PARTNER_REQUEST_BYTES = 4_000_000;

/**
 * The partners' OpenAI-compatible API: the official `openai` SDKs work against
 * the gateway by changing only `baseURL` to `https://<gateway>/v1`. The
 * gateway only admits the caller and relays; the models service is the one
 * implementation of /v1 (validation, routing, budgets, usage), and it bills
 * the caller because it receives the caller's own credential.
 *
 * Who may call: an API key with the "models" scope, or a signed-in person's
 * access token (a session may do whatever its person may, as on /graphql and
 * on the models service itself). A key without the scope is refused here,
 * before anything is read or forwarded.
 */
export function partnerApiRoutes(
  { contextFor, modelsUrl, internalHeaders, logger }: EdgeDependencies,
  {
    retryBudgetMs,
  }: { /** How long a models service that cannot be reached is tried again (SUBGRAPH_RETRY_BUDGET_MS). */ retryBudgetMs?: number } = {},
): EdgeRoutes {
  const proxy = createModelsProxy({ modelsUrl, internalHeaders, logger, ...(retryBudgetMs !== undefined && { retryBudgetMs }) });
  return {
    routes: {
      '/v1/chat/completions': relay(proxy, contextFor, { method: 'POST', path: '/v1/chat/completions', readsBody: true }),
      '/v1/models': relay(proxy, contextFor, { method: 'GET', path: '/v1/models', readsBody: false }),
    },
  };
}

function relay(
  proxy: ModelsProxy,
  contextFor: EdgeDependencies['contextFor'],
  { method, path, readsBody }: { method: 'GET' | 'POST'; path: string; readsBody: boolean },
): RouteHandler {
  return async (req, res, scope) => {
    if (req.method !== method) {
      return sendParleyErrorAsOpenAI(res, new MethodNotAllowedError(`Use ${method} for ${path}.`), { allow: method });
    }
    let context;
    try {
      context = await contextFor(req, scope);
    } catch (error) {
      if (error instanceof ParleyError) return sendParleyErrorAsOpenAI(res, error);
      throw error;
    }
    if (!admit(context.viewer, context.authorization, res)) return;
    let body: Buffer | undefined;
    if (readsBody) {
      body = await readRequestBody(req, res);
      if (body === undefined) return;
    }
    // The rest is the models service's work, behind its own admission bound (a generation can take many seconds).
    scope.leaveAdmission();
    await proxy(
      {
        method,
        path,
        authorization: context.authorization!,
        ...(body ? { body } : {}),
        requestId: scope.requestId,
        userAgent: context.userAgent,
        clientAddress: context.clientAddress,
        cache: req.headers['x-parley-cache'] === 'true',
      },
      res,
    );
  };
}

/** Refuses (and answers) a caller who may not use /v1; true when they may. */
function admit(viewer: Viewer | null, authorization: string | undefined, res: ServerResponse): boolean {
  if (viewer === null || authorization === undefined) {
    sendParleyErrorAsOpenAI(
      res,
      new UnauthenticatedError('Send your Parley API key as "Authorization: Bearer pk_…" (create one with the createApiKey mutation).'),
    );
    return false;
  }
  if (!hasScope(viewer, MODELS_SCOPE)) {
    sendParleyErrorAsOpenAI(
      res,
      new ForbiddenError(`This API key lacks the "${MODELS_SCOPE}" scope; create a key with scopes: ["${MODELS_SCOPE}"].`, {
        code: 'insufficient_scope',
      }),
    );
    return false;
  }
  return true;
}

/**
 * The request body, read whole (the models service needs its length, and a
 * body too large is refused before anything is sent on). Undefined once
 * answered, or when the client went away.
 */
async function readRequestBody(req: IncomingMessage, res: ServerResponse): Promise<Buffer | undefined> {
  try {
    return Buffer.from(await readBody(req, MAX_PARTNER_REQUEST_BYTES), 'utf8');
  } catch (error) {
    if (!(error instanceof BodyTooLargeError)) return undefined;
    // Closing stops the rest of an oversized upload instead of reading it only to throw it away.
    sendParleyErrorAsOpenAI(res, new PayloadTooLargeError(`The request body is larger than ${MAX_PARTNER_REQUEST_BYTES} bytes.`), {
      connection: 'close',
    });
    return undefined;
  }
}
