export { createOrm, migrate, pingDatabase, databaseAddress, type Database, type DatabaseOptions } from './create-orm';
export { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres';
