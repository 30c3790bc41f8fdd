import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { AccessTokenVerifier } from '@parley/auth';
import { MethodNotAllowedError, toOpenAIError } from '@parley/errors';
import { type Logger, type RouteHandler, sendOpenAIError } from '@parley/runtime';
import type { Moderations } from '../moderations';
import { createCallerAuth } from './callers';
import { readJsonRequest } from './json-request';
import { moderationRequestSchema } from './moderation-request';
import { sendRefusal } from './openai-errors';

/**
 * OpenAI's `POST /v1/moderations`, for the same callers as chat completions:
 * `{ model?, input }` → `{ id, model, results: [{ flagged, categories, category_scores }] }`.
 */
export function moderationRoute({
  moderations,
  verifier,
  internalToken,
  logger,
}: {
  moderations: Moderations;
  verifier: AccessTokenVerifier;
  internalToken: string;
  logger: Logger;
}): Record<string, RouteHandler> {
  const caller = createCallerAuth({ verifier, internalToken });
  const refuse = (res: ServerResponse, error: unknown) => sendRefusal(res, error, logger, 'moderation failed');

  const moderate: RouteHandler = async (req, res, scope) => {
    if (req.method !== 'POST') return sendOpenAIError(res, toOpenAIError(new MethodNotAllowedError('Use POST for /v1/moderations.')));
    try {
      await caller(req);
    } catch (error) {
      return refuse(res, error);
    }
    const body = await readJsonRequest(req, res, moderationRequestSchema);
    if (body === undefined) return;
    const controller = new AbortController();
    // A client that goes away stops the upstream request too.
    res.on('close', () => {
      if (!res.writableFinished) controller.abort(new Error('client disconnected'));
    });
    // The check is the provider's work (as a completion's is): it holds no request slot of this service.
    scope.leaveAdmission();
    let outcome;
    try {
      outcome = await moderations.moderate({ model: body.model ?? undefined, inputs: body.input, signal: controller.signal });
    } catch (error) {
      if (controller.signal.aborted) return;
      return refuse(res, error);
    }
    const text = JSON.stringify({
      id: `modr-${randomUUID().replaceAll('-', '')}`,
      model: outcome.model,
      results: outcome.results.map((r) => ({ flagged: r.flagged, categories: r.categories, category_scores: r.categoryScores })),
    });
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      'x-parley-deployment': outcome.deployment,
    });
    res.end(text);
  };

  return { '/v1/moderations': moderate };
}
