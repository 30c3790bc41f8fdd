export * from './topics';
export type { EventBus, EventSubscription, ReceivedEvent, SubscribeOptions } from './event-bus';
export { createKafkaBus, type KafkaBusOptions } from './kafka-bus';
export { createInProcessBus } from './in-process-bus';
export { createBatchingPublisher, type BatchingPublisher } from './batching-publisher';
export { reportConsumerLag } from './consumer-lag';
