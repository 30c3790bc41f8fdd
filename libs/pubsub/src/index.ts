export type { PubSub, Unsubscribe } from './pubsub';
export { createRedisPubSub } from './redis-pubsub';
export { createInMemoryPubSub } from './in-memory-pubsub';
export { createRedisClient, reconnectDelayMs, RECONNECT_MAX_DELAY_MS, CONNECT_TIMEOUT_MS, COMMAND_TIMEOUT_MS } from './redis-client';
export { createRedisFallback, FALLBACK_RETRY_MS, type RedisFallback, type FallbackLogger } from './redis-fallback';
