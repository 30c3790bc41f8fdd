import type { Viewer } from '@parley/auth';
import type { Logger } from '@parley/runtime';
import type DataLoader from 'dataloader';
import type { Model } from './entities/model';
import type { ModelCatalog } from './model-catalog';
import type { Budgets, BudgetLimits } from './usage/budgets';
import type { createUsageReports, UsageTotals } from './usage/usage-report';

export interface ModelsContext {
  viewer: Viewer | null;
  requestId: string;
  logger: Logger;
  catalog: ModelCatalog;
  reports: ReturnType<typeof createUsageReports>;
  budgets: Budgets;
  budgetLimits: BudgetLimits;
  /** Whether any deployment of a model can take requests now. */
  healthy: (modelId: string) => boolean;
  loaders: {
    model: DataLoader<string, Model | null>;
    /** Usage per message id, for the viewer's own messages (null for anonymous requests). */
    messageUsage: DataLoader<string, (UsageTotals & { model: string }) | null> | null;
  };
}
