import type { MigrationObject } from '@mikro-orm/postgresql';
import { AccountsAndSessions } from './accounts-and-sessions';
import { ActiveSessions } from './active-sessions';
import { InitialUsersSchema } from './initial-schema';

/** Every migration of the users schema, oldest first. Names are stored in users.mikro_orm_migrations: never rename one. */
export const migrations: MigrationObject[] = [
  { name: '20261127-initial-schema', class: InitialUsersSchema },
  { name: '20261127-accounts-and-sessions', class: AccountsAndSessions },
  { name: '20261203-active-sessions', class: ActiveSessions },
];
