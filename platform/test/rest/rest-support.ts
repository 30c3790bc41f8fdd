import Redis from 'ioredis';
import { watchFollowers } from '@parley/testing/subscriptions';
import type { PlatformUnderTest } from '../../src/testing/platform-under-test';

/**
 * How many gateways follow a reply's live events right now: embedded, by
 * watching the very log object the gateway uses; in services mode, by asking
 * Redis how many connections subscribe to the reply's channel.
 */
export async function followerCounter(
  platform: PlatformUnderTest,
): Promise<{ following(messageId: string): Promise<number>; close(): Promise<void> }> {
  if (platform.mode === 'embedded') {
    const watch = watchFollowers(platform.messageStreams);
    return { following: async (messageId) => watch.following(messageId), close: async () => watch.restore() };
  }
  const redis = new Redis(process.env.REDIS_URL!);
  return {
    async following(messageId) {
      const [, count] = (await redis.pubsub('NUMSUB', `${platform.namespace}message-stream.${messageId}`)) as [string, number];
      return Number(count);
    },
    close: async () => void (await redis.quit()),
  };
}
