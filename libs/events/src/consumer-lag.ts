import type { Metrics } from '@parley/telemetry';
import type { EventBus } from './event-bus';

/**
 * Reports the lag of every consumer group this process runs (the chat worker's, the user eraser's, the
 * auto-translator's…) at each scrape: the host calls it once, so no consumer has to remember to.
 */
export function reportConsumerLag(bus: EventBus, metrics: Metrics): void {
  metrics.onScrape(async () => {
    await Promise.all(
      bus.consumerGroups().map(async ({ group, topic }) => metrics.pipeline.consumerLag.set({ topic, group }, await bus.lag(group, topic))),
    );
  });
}
