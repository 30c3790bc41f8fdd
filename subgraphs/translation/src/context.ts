import type { Viewer } from '@parley/auth';
import type { Logger } from '@parley/runtime';
import type DataLoader from 'dataloader';
import type { TranslationResult, Translator } from './translator';

export interface TranslationContext {
  viewer: Viewer | null;
  requestId: string;
  logger: Logger;
  translator: Translator;
  /** Null for anonymous requests, which may not translate. */
  translations: DataLoader<{ text: string; to: string }, TranslationResult, string> | null;
}
