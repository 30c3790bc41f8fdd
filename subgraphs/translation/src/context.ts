import type { EntityManager } from '@mikro-orm/postgresql';
import type { Viewer } from '@parley/auth';
import type { Logger } from '@parley/runtime';

export interface TranslationContext {
  viewer: Viewer | null;
  requestId: string;
  logger: Logger;
  em: EntityManager;
}
