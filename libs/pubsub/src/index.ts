export type { PubSub, Unsubscribe } from './pubsub';
export { createRedisPubSub } from './redis-pubsub';
export { createInMemoryPubSub } from './in-memory-pubsub';
export { createRedisClient } from './redis-client';
