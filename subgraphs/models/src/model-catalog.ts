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

    /**
     * Writes every configured model (its first deployment by priority describes it) in one statement, so it is
     * atomic without a transaction; safe on every replica's start.
     */
    async sync(config: ModelsConfig): Promise<void> {
      const now = clock.now();
      const byModel = new Map<string, ModelsConfig['deployments'][number]>();
      for (const d of [...config.deployments].sort((a, b) => a.priority - b.priority)) if (!byModel.has(d.model)) byModel.set(d.model, d);
      const rows = [...byModel.values()];
      if (rows.length === 0) return;
      await em.getConnection('write').execute(
        `insert into "models"."model" ("id", "provider", "display_name", "context_window", "input_price_per_mtok", "output_price_per_mtok", "development", "updated_at")
         values ${rows.map(() => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}
         on conflict ("id") do update set "provider" = excluded."provider", "display_name" = excluded."display_name",
           "context_window" = excluded."context_window", "input_price_per_mtok" = excluded."input_price_per_mtok",
           "output_price_per_mtok" = excluded."output_price_per_mtok", "development" = excluded."development", "updated_at" = excluded."updated_at"`,
        rows.flatMap((d) => [
          d.model,
          d.model.split('/')[0]!,
          d.displayName,
          d.contextWindow,
          d.inputPricePerMTok,
          d.outputPricePerMTok,
          d.provider === 'dev',
          now,
        ]),
        'run',
      );
    },
  };
}
