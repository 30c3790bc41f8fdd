import { requireAdmin, requireViewer } from '@parley/auth';
import type { ModelsContext } from './context';
import type { Resolvers } from './generated/resolvers-types';

const DAY = 86_400_000;

const signedIn = (context: ModelsContext) => requireViewer(context.viewer, 'Sign in to see usage and budgets.');

function period(from: Date | string | null | undefined, to: Date | string | null | undefined) {
  const end = to ? new Date(to) : new Date();
  return { from: from ? new Date(from) : new Date(end.getTime() - 30 * DAY), to: end };
}

/** A user's limits and what they spent today and this month (Redis, or the usage records while it is away). */
async function budgetOf(context: ModelsContext, userId: string) {
  const spent = await context.budgets.spent(userId);
  return {
    dailyLimitUsd: context.budgetLimits.dailyUsd,
    monthlyLimitUsd: context.budgetLimits.monthlyUsd,
    spentTodayUsd: spent.dayUsd,
    spentThisMonthUsd: spent.monthUsd,
  };
}

export const resolvers: Resolvers = {
  Query: {
    models: async (_root, _args, context) => [...(await context.catalog.list())],
    myUsage: (_root, args, context) => context.reports.report({ userId: signedIn(context).userId, ...period(args.from, args.to) }),
    usageReport: (_root, args, context) => {
      requireAdmin(signedIn(context), 'Only admins can read other users’ usage.');
      return context.reports.report({ userId: args.userId ?? null, ...period(args.from, args.to) });
    },
    myBudget: (_root, _args, context) => budgetOf(context, signedIn(context).userId),
  },
  UsageReport: {
    byDeployment: (report, _args, context) => context.reports.byDeployment(report.scope),
    byUser: (report, args, context) => context.reports.byUser(report.scope, args.first ?? 20),
  },
  UsageByUser: {
    user: (usage) => ({ __typename: 'User', id: usage.userId }),
    budget: (usage, _args, context) => budgetOf(context, usage.userId),
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
