import { RestProfileDocument, RestSettingsDocument, RestUpdateProfileDocument, RestUpdateSettingsDocument } from '@parley/client';
import { NotFoundError } from '@parley/errors';
import { sendJson, type RouteHandler } from '@parley/runtime';
import type { GraphCallers } from './graph-caller';
import { readJsonBody } from './json-body';
import { ProfileUpdateBody, SettingsUpdateBody } from './request-bodies';
import { restRoute } from './rest-route';

/** `me` is null for a valid token only when its account was deleted since. */
function existing<T>(me: T | null): T {
  if (me === null) throw new NotFoundError('The account this token was issued for no longer exists.');
  return me;
}

/**
 * The signed-in user's profile (`me` / `updateProfile`) and settings
 * (`me.settings` / `updateSettings`). PUT changes the fields it is given and
 * leaves the others as they are, as the mutations do.
 */
export function userRoutes(callers: GraphCallers, maxBodyBytes: number): Record<string, RouteHandler> {
  return {
    '/api/v1/users/profile': restRoute({
      async GET(req, res, scope) {
        const caller = await callers.signedIn(req, scope);
        sendJson(res, 200, existing((await caller.run(RestProfileDocument, {})).me));
      },
      async PUT(req, res, scope) {
        const caller = await callers.signedIn(req, scope);
        const input = await readJsonBody(req, ProfileUpdateBody, maxBodyBytes);
        sendJson(res, 200, (await caller.run(RestUpdateProfileDocument, { input })).updateProfile);
      },
    }),
    '/api/v1/users/settings': restRoute({
      async GET(req, res, scope) {
        const caller = await callers.signedIn(req, scope);
        sendJson(res, 200, existing((await caller.run(RestSettingsDocument, {})).me).settings);
      },
      async PUT(req, res, scope) {
        const caller = await callers.signedIn(req, scope);
        const input = await readJsonBody(req, SettingsUpdateBody, maxBodyBytes);
        sendJson(res, 200, (await caller.run(RestUpdateSettingsDocument, { input })).updateSettings);
      },
    }),
  };
}
