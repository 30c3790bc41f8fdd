import { Topics, type EventBus, type EventSubscription } from '@parley/events';
import type { Logger } from '@parley/runtime';
import type { Translator } from './translator';

/**
 * Translates finished replies ahead of time for users who asked for replies
 * in their language (settings.autoTranslate): chat puts the user's language
 * on the completed event, so when the client asks for
 * `translation(to: preferredLanguage)` the answer is a cache hit.
 * Failures are logged and dropped: the field still works, just not prepaid.
 */
export async function startAutoTranslate({
  bus,
  translator,
  logger,
}: {
  bus: EventBus;
  translator: Translator;
  logger: Logger;
}): Promise<EventSubscription> {
  return bus.subscribe({
    topic: Topics.chatMessageCompleted,
    group: 'translation-auto-translate',
    concurrency: 16,
    handle: async ({ payload }) => {
      if (payload.status !== 'COMPLETED' || !payload.translateTo || !payload.content) return;
      try {
        await translator.translate({ text: payload.content, to: payload.translateTo, userId: payload.userId });
      } catch (error) {
        logger.warn({ err: error, messageId: payload.messageId }, 'auto-translation failed; the reply will be translated on request');
      }
    },
  });
}
