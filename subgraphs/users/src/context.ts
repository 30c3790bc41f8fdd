import type { EntityManager } from '@mikro-orm/postgresql';
import type { Viewer } from '@parley/auth';
import type { Logger } from '@parley/runtime';
import type DataLoader from 'dataloader';
import type { Accounts, RequestOrigin } from './accounts';
import type { ApiKeys } from './api-keys';
import type { User } from './entities/user';
import type { OidcLogin } from './oidc-login';
import type { Sessions } from './sessions';
import type { SigningKeyStore } from './signing-keys';

/** What every users resolver gets: built fresh for each request. */
export interface UsersContext {
  viewer: Viewer | null;
  /** Set by a sign-in mutation: the payload's user may see their own lists, though the request came unauthenticated. */
  signedInUserId: string | null;
  requestId: string;
  logger: Logger;
  origin: RequestOrigin;
  em: EntityManager;
  accounts: Accounts;
  sessions: Sessions;
  apiKeys: ApiKeys;
  oidc: OidcLogin;
  keys: SigningKeyStore;
  loaders: { user: DataLoader<string, User | null> };
}
