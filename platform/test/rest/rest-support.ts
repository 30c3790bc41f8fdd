import { RegisterDocument } from '@parley/client';
import { postGraphQL } from '@parley/testing';
import Redis from 'ioredis';
import { watchFollowers } from '@parley/testing/subscriptions';
import type { PlatformUnderTest } from '../../src/testing/platform-under-test';

/** A new account, signed in over GraphQL: its access and refresh tokens. */
export async function registerAccount(platform: PlatformUnderTest, email: string, password = 'a long enough passphrase') {
  const { body } = await postGraphQL(platform.url, RegisterDocument, { variables: { input: { email, password } } });
  if (!body.data) throw new Error(`Could not register ${email}: ${JSON.stringify(body.errors)}`);
  return { token: body.data.register.accessToken, refreshToken: body.data.register.refreshToken, id: body.data.register.user.id };
}

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
