import type { PubSub } from '@parley/pubsub';

const CHANNEL = 'chat.cancel-generation';

/**
 * cancelGeneration reaches whichever worker streams the reply: one pub/sub
 * channel every worker listens on (Redis in services mode), carrying the id.
 */
export function createCancelSignals(pubsub: PubSub) {
  return {
    async send(messageId: string): Promise<void> {
      await pubsub.publish(CHANNEL, { messageId });
    },
    async listen(onCancel: (messageId: string) => void): Promise<() => Promise<void>> {
      return pubsub.subscribe<{ messageId: string }>(CHANNEL, ({ messageId }) => onCancel(messageId));
    },
  };
}

export type CancelSignals = ReturnType<typeof createCancelSignals>;
