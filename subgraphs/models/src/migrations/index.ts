import type { MigrationObject } from '@mikro-orm/postgresql';
import { InitialModelsSchema } from './initial-schema';
import { SupersededUsage } from './superseded-usage';
import { UsageRecords } from './usage-records';

/** Every migration of the models schema, oldest first. Names are stored in models.mikro_orm_migrations: never rename one. */
export const migrations: MigrationObject[] = [
  { name: '20261127-initial-schema', class: InitialModelsSchema },
  { name: '20261127-usage-records', class: UsageRecords },
  { name: '20261202-superseded-usage', class: SupersededUsage },
];
