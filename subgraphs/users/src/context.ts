import type { Viewer } from '@parley/auth';
import type { Logger } from '@parley/runtime';
import type DataLoader from 'dataloader';
import type { User } from './entities/user';
import type { UserDirectory } from './user-directory';

/** What every users resolver gets: built fresh for each request. */
export interface UsersContext {
  viewer: Viewer | null;
  requestId: string;
  logger: Logger;
  users: UserDirectory;
  loaders: { user: DataLoader<string, User | null> };
}
