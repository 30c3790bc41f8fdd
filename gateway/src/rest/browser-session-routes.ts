import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  BrowserFinishOidcLoginDocument,
  BrowserLoginDocument,
  BrowserRefreshDocument,
  BrowserRegisterDocument,
  RestLogoutDocument,
  type BrowserSessionFragment,
} from '@parley/client';
import { ErrorCode, ForbiddenError, ParleyError, UnauthenticatedError } from '@parley/errors';
import { sendJson, type RouteHandler } from '@parley/runtime';
import { normalizedOrigin } from '../http/request-origin';
import type { GraphCaller, GraphCallers } from './graph-caller';
import { readJsonBody } from './json-body';
import { LoginBody, OidcLoginBody, RegisterBody } from './request-bodies';
import { restRoute, type MethodHandler } from './rest-route';

/** Where the browser session routes live, and the only path the refresh cookie is ever sent to. */
export const BROWSER_SESSION_PATH = '/api/v1/auth/browser';
export const REFRESH_COOKIE = 'parley_refresh';
/**
 * How long a browser keeps the refresh cookie: 30 days, the users service's default `REFRESH_IDLE_DAYS` (a session
 * unused that long ends). The gateway does not read the users service's settings; every refresh sets the cookie
 * again with this lifetime, and a session the users service ended sooner (`REFRESH_MAX_DAYS`, a lower
 * `REFRESH_IDLE_DAYS`, a password change) is refused at the next refresh, which clears the cookie.
 */
export const REFRESH_COOKIE_MAX_AGE_SECONDS = 30 * 24 * 60 * 60;
/** The header only Parley's web client sends (`x-parley-client: web`): a cross-site form cannot, and a cross-origin fetch would need a preflight the gateway never grants. */
export const WEB_CLIENT_HEADER = 'x-parley-client';
export const WEB_CLIENT_HEADER_VALUE = 'web';

/** `reason` of a FORBIDDEN refusal of these routes: a stable value a client can branch on. */
export const CrossSiteRefusal = {
  WEB_CLIENT_HEADER_MISSING: 'web_client_header_missing',
  FOREIGN_ORIGIN: 'foreign_origin',
} as const;

export interface BrowserSessionOptions {
  maxBodyBytes: number;
  /** The origin the request was sent to (edge protection's `originOf`: the connection's scheme, Host); null when it cannot be told. */
  originOf(req: IncomingMessage): string | null;
}

/** Every attribute of the refresh cookie but its lifetime: scripts cannot read it, it goes over HTTPS only, only with this site's own requests, and only to these routes. */
export const REFRESH_COOKIE_ATTRIBUTES = `HttpOnly; Secure; SameSite=Strict; Path=${BROWSER_SESSION_PATH}`;
const sessionCookie = (refreshToken: string) =>
  `${REFRESH_COOKIE}=${encodeURIComponent(refreshToken)}; ${REFRESH_COOKIE_ATTRIBUTES}; Max-Age=${REFRESH_COOKIE_MAX_AGE_SECONDS}`;
const clearedCookie = `${REFRESH_COOKIE}=; ${REFRESH_COOKIE_ATTRIBUTES}; Max-Age=0`;

/**
 * The web client's session (same origin, the SPA the gateway serves): the same
 * sign-in, refresh and sign-out as /api/v1/auth/*, but the refresh token lives
 * in an HttpOnly cookie that page scripts cannot read, and never in a body.
 * Every route refuses a request that may be a cross-site forgery before doing
 * anything (`refuseCrossSite`); the cookie is SameSite=Strict besides. These
 * routes read no Authorization header: the cookie (or the sign-in) is their
 * credential, so a stale access token sent along does not get them refused.
 * See "Browser sessions" in gateway/README.md.
 */
export function browserSessionRoutes(
  callers: GraphCallers,
  { maxBodyBytes, originOf }: BrowserSessionOptions,
): Record<string, RouteHandler> {
  const route = (handler: MethodHandler) =>
    restRoute({
      async POST(req, res, scope) {
        refuseCrossSite(req, originOf(req));
        await handler(req, res, scope);
      },
    });
  /** A route that signs in: the session it starts answered, its refresh token set as the cookie. */
  const signIn = (start: (caller: GraphCaller, req: IncomingMessage) => Promise<BrowserSessionFragment>) =>
    route(async (req, res, scope) => answerSession(res, await start(await callers.withoutBearer(req, scope), req)));

  return {
    [`${BROWSER_SESSION_PATH}/register`]: signIn(async (caller, req) => {
      const input = await readJsonBody(req, RegisterBody, maxBodyBytes);
      return (await caller.run(BrowserRegisterDocument, { input })).register;
    }),
    [`${BROWSER_SESSION_PATH}/login`]: signIn(async (caller, req) => {
      const body = await readJsonBody(req, LoginBody, maxBodyBytes);
      return (await caller.run(BrowserLoginDocument, body)).login;
    }),
    [`${BROWSER_SESSION_PATH}/oidc`]: signIn(async (caller, req) => {
      const body = await readJsonBody(req, OidcLoginBody, maxBodyBytes);
      return (await caller.run(BrowserFinishOidcLoginDocument, body)).finishOidcLogin;
    }),
    [`${BROWSER_SESSION_PATH}/refresh`]: route(async (req, res, scope) => {
      const caller = await callers.withoutBearer(req, scope);
      try {
        const refreshToken = refreshCookieOf(req);
        if (refreshToken === null) {
          throw new UnauthenticatedError(
            `No browser session: the ${REFRESH_COOKIE} cookie was not sent (never set, or expired). Sign in again.`,
          );
        }
        answerSession(res, (await caller.run(BrowserRefreshDocument, { refreshToken })).refreshToken);
      } catch (error) {
        // The cookie is no good (missing, expired, reused, revoked): the browser need not keep sending it. Any
        // other failure (the users service unreachable) leaves it, so that the refresh can simply be tried again.
        if (error instanceof ParleyError && error.code === ErrorCode.UNAUTHENTICATED) res.setHeader('set-cookie', clearedCookie);
        throw error;
      }
    }),
    [`${BROWSER_SESSION_PATH}/logout`]: route(async (req, res, scope) => {
      const refreshToken = refreshCookieOf(req);
      // `logout` ignores unknown and ended tokens, so signing out never fails for a bad cookie; a failure to reach
      // the users service does, and keeps the cookie so that signing out can be tried again.
      if (refreshToken !== null) await (await callers.withoutBearer(req, scope)).run(RestLogoutDocument, { refreshToken });
      res.setHeader('set-cookie', clearedCookie);
      res.writeHead(204).end();
    }),
  };
}

/** The session as the page sees it: the access token and who signed in; the refresh token goes into the cookie only. */
function answerSession(res: ServerResponse, { refreshToken, accessToken, expiresAt, user }: BrowserSessionFragment): void {
  res.setHeader('set-cookie', sessionCookie(refreshToken));
  sendJson(res, 200, { accessToken, expiresAt, user });
}

/** The refresh token in the request's cookie, or null when it sent none. */
function refreshCookieOf(req: IncomingMessage): string | null {
  for (const pair of (req.headers.cookie ?? '').split(';')) {
    const separator = pair.indexOf('=');
    if (separator === -1 || pair.slice(0, separator).trim() !== REFRESH_COOKIE) continue;
    const raw = pair.slice(separator + 1).trim();
    try {
      const value = decodeURIComponent(raw);
      return value === '' ? null : value;
    } catch {
      // Not one we set; the graph refuses it as any unknown token.
      return raw;
    }
  }
  return null;
}

/**
 * CSRF: a request that does not come from Parley's web client on this very
 * origin is refused before its body is read. A cross-site form cannot set a
 * custom header, and a cross-origin fetch that sets one needs a CORS preflight
 * the gateway does not grant (edge protection allows no such header), so the
 * header alone stops forgeries; a browser's Origin, when present, must also be
 * this origin (the same scheme and host), which stops pages of another origin
 * on a CORS_ORIGINS list too.
 */
function refuseCrossSite(req: IncomingMessage, ownOrigin: string | null): void {
  if (req.headers[WEB_CLIENT_HEADER] !== WEB_CLIENT_HEADER_VALUE) {
    throw new ForbiddenError(
      `Browser session routes answer only Parley's web client: send the header "${WEB_CLIENT_HEADER}: ${WEB_CLIENT_HEADER_VALUE}" ` +
        '(a request without it may be a cross-site forgery). Other clients use /api/v1/auth/login, /refresh and /logout.',
      { reason: CrossSiteRefusal.WEB_CLIENT_HEADER_MISSING },
    );
  }
  const origin = req.headers.origin;
  if (origin === undefined) return;
  if (ownOrigin === null || normalizedOrigin(origin) !== ownOrigin) {
    throw new ForbiddenError(
      `This request came from the page of ${origin}, but browser sessions are same-origin only: ` +
        `open the web client at ${ownOrigin ?? 'the address of this gateway'} and sign in there.`,
      { reason: CrossSiteRefusal.FOREIGN_ORIGIN },
    );
  }
}
