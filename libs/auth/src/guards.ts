import { ForbiddenError, UnauthenticatedError } from '@parley/errors';
import type { Viewer } from './viewer';

/** The role that may review and administer (ADMIN_EMAILS grants it). */
export const ADMIN_ROLE = 'admin';

export function isAdmin(viewer: Viewer): boolean {
  return viewer.roles.includes(ADMIN_ROLE);
}

/** An API key may do what its scopes name; a person's own session (no scopes) may do everything its person may. */
export function hasScope(viewer: Viewer, scope: string): boolean {
  return viewer.scopes === null || viewer.scopes.includes(scope);
}

/**
 * The signed-in viewer, or UnauthenticatedError. `message` says what signing
 * in is for and how, in the words of the caller's API.
 */
export function requireViewer(
  viewer: Viewer | null | undefined,
  message = 'Sign in first: send an access token as "Authorization: Bearer <token>".',
): Viewer {
  if (!viewer) throw new UnauthenticatedError(message);
  return viewer;
}

/** The viewer when it may act in `scope` (see `hasScope`), or ForbiddenError. */
export function requireScope(
  viewer: Viewer,
  scope: string,
  message = `This API key lacks the "${scope}" scope; create a key with scopes ["${scope}"].`,
): Viewer {
  if (!hasScope(viewer, scope)) throw new ForbiddenError(message);
  return viewer;
}

/** The viewer when it is an admin, or ForbiddenError. */
export function requireAdmin(viewer: Viewer, message = 'Only admins can do this.'): Viewer {
  if (!isAdmin(viewer)) throw new ForbiddenError(message);
  return viewer;
}
