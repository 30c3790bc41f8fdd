import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '@parley/testing';
import { PASSPHRASE, registerUser } from '@parley/testing/parley-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatformUnderTest, type PlatformUnderTest } from '../../src/testing/platform-under-test';
import { expectNotInAnySpan, expectOneMessageTrace, sendAndFollow, TRACING_SETTINGS } from './message-trace';

describe('one trace per message, across the services, Kafka and the worker', () => {
  let receiver: OtlpReceiver;
  let platform: PlatformUnderTest;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    platform = await startPlatformUnderTest({ settings: TRACING_SETTINGS(receiver.url), logLevel: 'debug' });
  });
  afterAll(async () => {
    await platform?.stop();
    await receiver?.stop();
  });

  it('follows a sendMessage from the gateway through chat, the outbox, Kafka, the worker and the model call to the subscriber', async () => {
    const alice = await registerUser(platform.url, 'alice@example.com');
    const replyId = await sendAndFollow(platform.url, alice.token, 'Trace me, please');
    const trace: ReceivedSpan[] = await expectOneMessageTrace(receiver, replyId, ['gateway', 'chat', 'chat-worker', 'models']);
    // Across Kafka: the worker's reply span has the chat service's publish as an ancestor, not a new root.
    const consumer = trace.find((s) => s.service === 'chat-worker' && s.name.includes('chat.message.requested'));
    expect(consumer, 'the worker consumed the request inside the message’s trace').toBeDefined();
    // The log lines of the request carry the trace's id.
    // What the user wrote and their password went through SQL and Redis, but into no span.
    expectNotInAnySpan(receiver, ['Trace me, please', PASSPHRASE, 'alice@example.com']);
    const traceId = trace[0]!.traceId;
    const lines = platform
      .logs()
      .split('\n')
      .filter((line) => line.includes(`"trace_id":"${traceId}"`));
    expect(lines.some((line) => line.includes('"service":"gateway"'))).toBe(true);
    expect(lines.some((line) => line.includes('"service":"chat"'))).toBe(true);
  });
});
