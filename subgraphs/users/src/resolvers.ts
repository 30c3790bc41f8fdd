import type { User } from './entities/user';
import type { UsersContext } from './context';
import type { Resolvers } from './generated/resolvers-types';

/** A user's own record is theirs and admins' to see; to anyone else it does not exist. */
function visibleTo(user: User | null, context: UsersContext): User | null {
  const viewer = context.viewer;
  if (!user || !viewer) return null;
  return viewer.userId === user.id || viewer.roles.includes('admin') ? user : null;
}

export const resolvers: Resolvers = {
  Query: {
    me: async (_root, _args, context) =>
      context.viewer ? visibleTo(await context.loaders.user.load(context.viewer.userId), context) : null,
  },
  User: {
    __resolveReference: async (reference, context) => visibleTo(await context.loaders.user.load(reference.id), context),
    settings: (user) => ({
      preferredLanguage: user.preferredLanguage,
      defaultModel: user.defaultModel,
      autoTranslate: user.autoTranslate,
    }),
  },
};
