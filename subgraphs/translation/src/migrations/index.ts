import type { MigrationObject } from '@mikro-orm/postgresql';
import { InitialTranslationSchema } from './initial-schema';
import { TranslationCacheSchema } from './translation-cache';

/** Every migration of the translation schema, oldest first. Names are stored in translation.mikro_orm_migrations: never rename one. */
export const migrations: MigrationObject[] = [
  { name: '20261127-initial-schema', class: InitialTranslationSchema },
  { name: '20261127-translation-cache', class: TranslationCacheSchema },
];
