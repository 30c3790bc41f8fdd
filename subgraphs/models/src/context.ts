import type { Viewer } from '@parley/auth';
import type { Logger } from '@parley/runtime';
import type { createModelCatalog } from './model-catalog';

export interface ModelsContext {
  viewer: Viewer | null;
  requestId: string;
  logger: Logger;
  catalog: ReturnType<typeof createModelCatalog>;
}
