import type { Resolvers } from './generated/resolvers-types';

export const resolvers: Resolvers = {
  Query: {
    models: (_root, _args, context) => context.catalog.list(),
  },
  Model: {
    // Only built-in models exist so far and they are always up; provider
    // health checks replace this when providers arrive.
    healthy: (model) => model.development,
  },
};
