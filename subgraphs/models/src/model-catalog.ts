import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '@parley/runtime';
import type { CatalogEntry } from './builtin-models';
import { Model } from './entities/model';

/** The catalog as stored in PostgreSQL; the configuration is written into it at start. */
export function createModelCatalog({ em, clock }: { em: EntityManager; clock: Clock }) {
  return {
    async list(): Promise<Model[]> {
      return em.find(Model, {}, { orderBy: { id: 'asc' } });
    },

    /** Inserts or updates every configured entry, in one transaction; safe to run on every replica's start. */
    async sync(entries: CatalogEntry[]): Promise<void> {
      const now = clock.now();
      await em.transactional(async (tx) => {
        for (const entry of entries) {
          await tx.upsert(Model, { ...entry, updatedAt: now });
        }
      });
    },
  };
}
