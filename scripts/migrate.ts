/**
 * npm run migrate: applies every subgraph's committed migrations to
 * DATABASE_URL (each subgraph in its own Postgres schema). Services also do
 * this on start unless MIGRATE_ON_START=false.
 */
import { createOrm, migrate } from '@parley/database';
import { createLogger, env, loadConfig } from '@parley/runtime';
import { chatSubgraph } from '@parley/chat';
import { modelsSubgraph } from '@parley/models';
import { translationSubgraph } from '@parley/translation';
import { usersSubgraph } from '@parley/users';
import { z } from 'zod';

const config = loadConfig(
  z.object({ DATABASE_URL: env.url(['postgres:', 'postgresql:'], 'a postgres:// URL'), LOG_LEVEL: env.logLevel() }),
  process.env,
);
const logger = createLogger({ service: 'migrate', level: config.LOG_LEVEL });
for (const subgraph of [usersSubgraph, chatSubgraph, modelsSubgraph, translationSubgraph]) {
  const orm = await createOrm({
    schema: subgraph.schemaName,
    entities: subgraph.entities,
    migrations: subgraph.migrations,
    logger,
    url: config.DATABASE_URL,
    poolMax: 1,
  });
  try {
    const applied = await migrate(orm);
    console.log(`${subgraph.name}: ${applied.length === 0 ? 'up to date' : `applied ${applied.join(', ')}`}`);
  } finally {
    await orm.close();
  }
}
