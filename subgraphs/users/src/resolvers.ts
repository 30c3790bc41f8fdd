import { isAdmin, requireAdmin, requireViewer, type Viewer } from '@parley/auth';
import { ForbiddenError } from '@parley/errors';
import type { UsersContext } from './context';
import { LinkedIdentity } from './entities/linked-identity';
import type { User } from './entities/user';
import type { Resolvers } from './generated/resolvers-types';

/** A user's own record is theirs and admins' to see; to anyone else it does not exist. */
function visibleTo(user: User | null, viewer: Viewer | null): User | null {
  if (!user || !viewer) return null;
  return viewer.userId === user.id || isAdmin(viewer) ? user : null;
}

/** Account management needs the person's own session; an API key is for a program's work, never for this. */
function ownSession(context: UsersContext): Viewer {
  const viewer = requireViewer(context.viewer);
  if (viewer.scopes !== null) throw new ForbiddenError('API keys cannot manage an account; sign in as the person instead.');
  return viewer;
}

/** Lists that belong only to their owner (not even admins read another's sessions or keys). */
function ownerOnly(user: User, context: UsersContext): boolean {
  return (context.viewer?.userId === user.id && context.viewer.scopes === null) || context.signedInUserId === user.id;
}

/** The response to a sign-in is the signed-in person's own: nested fields show what they would show them. */
function signedInAs<T extends { user: User }>(context: UsersContext, payload: T): T {
  context.signedInUserId = payload.user.id;
  return payload;
}

export const resolvers: Resolvers = {
  Query: {
    me: async (_root, _args, context) =>
      context.viewer ? visibleTo(await context.loaders.user.load(context.viewer.userId), context.viewer) : null,
    identityProviders: (_root, _args, context) => context.oidc.list(),
  },
  Mutation: {
    register: async (_root, { input }, context) => signedInAs(context, await context.accounts.register(input, context.origin)),
    login: async (_root, { email, password }, context) =>
      signedInAs(context, await context.accounts.login(email, password, context.origin)),
    refreshToken: async (_root, { refreshToken }, context) => signedInAs(context, await context.accounts.refresh(refreshToken)),
    logout: async (_root, { refreshToken }, context) => {
      await context.accounts.logout(refreshToken);
      return true;
    },
    updateSettings: async (_root, { input }, context) => {
      const user = await context.accounts.updateSettings(ownSession(context).userId, input);
      return settingsOf(user);
    },
    updateProfile: (_root, { input }, context) => context.accounts.updateProfile(ownSession(context).userId, input),
    changePassword: async (_root, { currentPassword, newPassword }, context) => {
      await context.accounts.changePassword(ownSession(context).userId, currentPassword, newPassword);
      return true;
    },
    revokeSession: async (_root, { id }, context) => {
      await context.sessions.end(ownSession(context).userId, id);
      return true;
    },
    createApiKey: (_root, { name, scopes }, context) => context.apiKeys.create(ownSession(context).userId, name, scopes),
    revokeApiKey: async (_root, { id }, context) => {
      await context.apiKeys.revoke(ownSession(context).userId, id);
      return true;
    },
    startOidcLogin: (_root, { provider, redirectUri }, context) => context.oidc.start(context.em, provider, redirectUri),
    finishOidcLogin: async (_root, { provider, callbackUrl }, context) =>
      signedInAs(context, await context.accounts.signInAs(await context.oidc.finish(context.em, provider, callbackUrl), context.origin)),
    rotateSigningKey: async (_root, _args, context) => {
      requireAdmin(ownSession(context), 'Only admins can rotate signing keys.');
      await context.keys.rotate();
      context.logger.info({ by: context.viewer?.userId }, 'signing key rotated');
      return true;
    },
  },
  User: {
    __resolveReference: async (reference, context) => visibleTo(await context.loaders.user.load(reference.id), context.viewer),
    settings: settingsOf,
    sessions: async (user, _args, context) => {
      if (!ownerOnly(user, context)) return [];
      const sessions = await context.sessions.listActive(user.id);
      return sessions.map((s) => ({ ...s, current: s.id === context.viewer?.sessionId }));
    },
    apiKeys: (user, _args, context) => (ownerOnly(user, context) ? context.apiKeys.list(user.id) : []),
    linkedIdentities: async (user, _args, context) => {
      if (!ownerOnly(user, context)) return [];
      return context.em.find(LinkedIdentity, { userId: user.id }, { orderBy: { linkedAt: 'asc' } });
    },
  },
};

function settingsOf(user: User) {
  return { preferredLanguage: user.preferredLanguage, defaultModel: user.defaultModel, autoTranslate: user.autoTranslate };
}
