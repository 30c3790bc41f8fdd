import { UpstreamUnavailableError, unavailableDependency } from '@parley/errors';
import type { PubSub } from '@parley/pubsub';

const CHANNEL = 'chat.cancel-generation';

/**
 * cancelGeneration reaches whichever worker streams the reply: one pub/sub
 * channel every worker listens on (Redis in services mode), carrying the id.
 * A signal is not kept: while Redis is unreachable sending one fails at once
 * with UPSTREAM_UNAVAILABLE, so the person knows the reply goes on and can try
 * again (the reply's content is in Redis too, so chat could not close it
 * itself either). Workers subscribe again when Redis returns.
 */
export function createCancelSignals(pubsub: PubSub) {
  return {
    async send(messageId: string): Promise<void> {
      try {
        await pubsub.publish(CHANNEL, { messageId });
      } catch (error) {
        const unavailable = unavailableDependency(error);
        if (!unavailable) throw error;
        throw new UpstreamUnavailableError(`The reply could not be stopped: ${unavailable.message}`, {}, { cause: error });
      }
    },
    async listen(onCancel: (messageId: string) => void): Promise<() => Promise<void>> {
      return pubsub.subscribe<{ messageId: string }>(CHANNEL, ({ messageId }) => onCancel(messageId));
    },
  };
}

export type CancelSignals = ReturnType<typeof createCancelSignals>;
