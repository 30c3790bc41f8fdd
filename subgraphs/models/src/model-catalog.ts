import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '@parley/runtime';
import type { ModelsConfig } from './catalog/models-config';
import { Model } from './entities/model';

/** The catalog as stored in PostgreSQL: one row per model id, written from the configuration at start. */
export function createModelCatalog({ em, clock }: { em: EntityManager; clock: Clock }) {
  return {
    async list(): Promise<Model[]> {
      return em.find(Model, {}, { orderBy: { id: 'asc' } });
    },

    async findByIds(ids: readonly string[]): Promise<Model[]> {
      return em.find(Model, { id: { $in: [...ids] } });
    },

    /** Writes every configured model (its first deployment by priority describes it); safe on every replica's start. */
    async sync(config: ModelsConfig): Promise<void> {
      const now = clock.now();
      const byModel = new Map<string, ModelsConfig['deployments'][number]>();
      for (const d of [...config.deployments].sort((a, b) => a.priority - b.priority)) if (!byModel.has(d.model)) byModel.set(d.model, d);
      await em.transactional(async (tx) => {
        for (const d of byModel.values()) {
          await tx.upsert(Model, {
            id: d.model,
            provider: d.model.split('/')[0]!,
            displayName: d.displayName,
            contextWindow: d.contextWindow,
            inputPricePerMTok: d.inputPricePerMTok,
            outputPricePerMTok: d.outputPricePerMTok,
            development: d.provider === 'dev',
            updatedAt: now,
          });
        }
      });
    },
  };
}
