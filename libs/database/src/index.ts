export { createOrm, migrate, pingDatabase, databaseAddress, type Database, type DatabaseOptions } from './create-orm';
export { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres';
export { makeTreePrivate, ForeignOwnerError, type TightenedModes } from './private-files';
export { dateOf, nullableDateOf, sqlOn, type Sql, type SqlRunner, type SqlResult } from './sql';
export { isUuid } from './uuid';
