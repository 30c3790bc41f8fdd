import { Language } from './entities/language';
import type { Resolvers } from './generated/resolvers-types';

export const resolvers: Resolvers = {
  Query: {
    supportedLanguages: (_root, _args, context) => context.em.find(Language, {}, { orderBy: { code: 'asc' } }),
  },
};
