import type { MikroORM } from '@mikro-orm/postgresql';
import { dateOf } from '@parley/database';
import type { Clock } from '@parley/runtime';
import type { ModelsConfig } from './catalog/models-config';
import type { Model } from './entities/model';

export interface ModelCatalog {
  /** Every model, by id. */
  list(): Promise<readonly Model[]>;
  findByIds(ids: readonly string[]): Promise<Model[]>;
  /** Writes the configured models; this replica reads the table afresh afterwards. */
  sync(config: ModelsConfig): Promise<void>;
}

/**
 * How long a replica answers from the catalog it read last. The table changes only when a replica starts with a new
 * configuration (`sync`), an operator's act, never a user's; reading it for every `models` query and every Model a
 * plan resolves cost more than the rest of the query (bench/profile, issue 15). A replica sees another's deploy within
 * this time.
 */
export const CATALOG_REFRESH_MS = 5_000;

interface Row {
  id: string;
  provider: string;
  display_name: string;
  context_window: number;
  input_price_per_mtok: number;
  output_price_per_mtok: number;
  development: boolean;
  updated_at: Date;
}

/**
 * The catalog as stored in PostgreSQL: one row per model id, written from the configuration at start. Reads are
 * answered from one immutable snapshot of the table, read again at most every `refreshMs`; concurrent requests
 * for a stale snapshot share one read.
 */
export function createModelCatalog({
  orm,
  clock,
  refreshMs = CATALOG_REFRESH_MS,
}: {
  orm: MikroORM;
  clock: Clock;
  refreshMs?: number;
}): ModelCatalog {
  let snapshot: { readAt: number; models: Promise<readonly Model[]> } | null = null;
  const read = async (): Promise<readonly Model[]> => {
    const rows = await orm.em
      .getConnection('read')
      .execute<Row[]>(
        `select "id", "provider", "display_name", "context_window", "input_price_per_mtok", "output_price_per_mtok", "development", "updated_at" from "models"."model" order by "id"`,
      );
    return Object.freeze(
      rows.map((r) =>
        Object.freeze({
          id: r.id,
          provider: r.provider,
          displayName: r.display_name,
          contextWindow: r.context_window,
          inputPricePerMTok: Number(r.input_price_per_mtok),
          outputPricePerMTok: Number(r.output_price_per_mtok),
          development: r.development,
          updatedAt: dateOf(r.updated_at),
        }),
      ),
    );
  };
  const list = (): Promise<readonly Model[]> => {
    const now = clock.now().getTime();
    if (!snapshot || now - snapshot.readAt >= refreshMs) {
      const models = read();
      const taken = { readAt: now, models };
      snapshot = taken;
      // A failed read is not kept: the next request tries again.
      models.catch(() => {
        if (snapshot === taken) snapshot = null;
      });
    }
    return snapshot.models;
  };
  return {
    list,
    async findByIds(ids) {
      const byId = new Map((await list()).map((m) => [m.id, m]));
      return ids.flatMap((id) => byId.get(id) ?? []);
    },
    /**
     * Writes every configured model (its first deployment by priority describes it) in one statement, so it is
     * atomic without a transaction; safe on every replica's start.
     */
    async sync(config) {
      const now = clock.now();
      const byModel = new Map<string, ModelsConfig['deployments'][number]>();
      for (const d of [...config.deployments].sort((a, b) => a.priority - b.priority)) if (!byModel.has(d.model)) byModel.set(d.model, d);
      const rows = [...byModel.values()];
      if (rows.length === 0) return;
      await orm.em.getConnection('write').execute(
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
      snapshot = null;
    },
  };
}
