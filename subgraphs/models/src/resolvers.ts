import { requireAdmin, requireViewer } from '@parley/auth';
import type { ModelsContext } from './context';
import type { Resolvers } from './generated/resolvers-types';

const DAY = 86_400_000;

const signedIn = (context: ModelsContext) => requireViewer(context.viewer, 'Sign in to see usage and budgets.');

function period(from: Date | string | null | undefined, to: Date | string | null | undefined) {
  const end = to ? new Date(to) : new Date();
  return { from: from ? new Date(from) : new Date(end.getTime() - 30 * DAY), to: end };
}

export const resolvers: Resolvers = {
  Query: {
    models: async (_root, _args, context) => [...(await context.catalog.list())],
    myUsage: (_root, args, context) => context.reports.report({ userId: signedIn(context).userId, ...period(args.from, args.to) }),
    usageReport: (_root, args, context) => {
      requireAdmin(signedIn(context), 'Only admins can read other users’ usage.');
      return context.reports.report({ userId: args.userId ?? null, ...period(args.from, args.to) });
    },
    myBudget: async (_root, _args, context) => {
      const spent = await context.budgets.spent(signedIn(context).userId);
      return {
        dailyLimitUsd: context.budgetLimits.dailyUsd,
        monthlyLimitUsd: context.budgetLimits.monthlyUsd,
        spentTodayUsd: spent.dayUsd,
        spentThisMonthUsd: spent.monthUsd,
      };
    },
  },
  Model: {
    __resolveReference: (reference, context) => context.loaders.model.load(reference.id),
    healthy: (model, _args, context) => context.healthy(model.id),
  },
  Message: {
    __resolveReference: (reference) => ({ id: reference.id }),
    usage: async (message, _args, context) => {
      const usage = await context.loaders.messageUsage?.load(message.id);
      return usage ? { promptTokens: usage.promptTokens, completionTokens: usage.completionTokens, costUsd: usage.costUsd } : null;
    },
    model: async (message, _args, context) => {
      const usage = await context.loaders.messageUsage?.load(message.id);
      return usage ? context.loaders.model.load(usage.model) : null;
    },
  },
};
