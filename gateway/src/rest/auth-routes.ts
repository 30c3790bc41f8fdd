import { RestLoginDocument, RestLogoutDocument, RestRefreshTokenDocument } from '@parley/client';
import { sendJson, type RouteHandler } from '@parley/runtime';
import type { GraphCallers } from './graph-caller';
import { readJsonBody } from './json-body';
import { LoginBody, LogoutBody, RefreshTokenBody } from './request-bodies';
import { restRoute } from './rest-route';

/** Signing in, refreshing and signing out: `login`, `refreshToken` and `logout`, answered with the tokens as the graph gives them. */
export function authRoutes(callers: GraphCallers, maxBodyBytes: number): Record<string, RouteHandler> {
  return {
    '/api/v1/auth/login': restRoute({
      async POST(req, res, scope) {
        const caller = await callers.anyone(req, scope);
        const body = await readJsonBody(req, LoginBody, maxBodyBytes);
        sendJson(res, 200, (await caller.run(RestLoginDocument, body)).login);
      },
    }),
    '/api/v1/auth/refresh': restRoute({
      async POST(req, res, scope) {
        const caller = await callers.anyone(req, scope);
        const body = await readJsonBody(req, RefreshTokenBody, maxBodyBytes);
        sendJson(res, 200, (await caller.run(RestRefreshTokenDocument, body)).refreshToken);
      },
    }),
    '/api/v1/auth/logout': restRoute({
      async POST(req, res, scope) {
        const caller = await callers.anyone(req, scope);
        const body = await readJsonBody(req, LogoutBody, maxBodyBytes);
        await caller.run(RestLogoutDocument, body);
        res.writeHead(204).end();
      },
    }),
  };
}
