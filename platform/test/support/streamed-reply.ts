import type { MessageStreamEvent } from '@parley/message-stream';
import { finishedReply, type ReplyWait } from '@parley/testing/parley-client';
import { expect } from 'vitest';
import type { PlatformUnderTest } from '../../src/testing/platform-under-test';

/** What a subscriber replaying a reply's whole stream would see: the seqs, the text of the deltas, the final events. */
export async function streamedReply(platform: PlatformUnderTest, id: string) {
  const events: MessageStreamEvent[] = await platform.messageStreams.readAfter(id, 0);
  return {
    seqs: events.map((e) => e.seq),
    text: events.map((e) => (e.kind === 'delta' ? e.delta : '')).join(''),
    finals: events.filter((e) => e.kind !== 'delta'),
  };
}

/**
 * The reply completed with `content`, generated and streamed exactly once however often its request was
 * delivered or its worker died: gap-free seqs from 1, deltas that make the content, one completed event.
 * The reply may take a minute by default: a killed process has to be restarted first.
 */
export async function expectAnsweredExactlyOnce(
  platform: PlatformUnderTest,
  token: string,
  id: string,
  content: string,
  wait: ReplyWait = {},
): Promise<void> {
  const reply = await finishedReply(platform.url, token, id, { timeout: 60_000, interval: 100, ...wait, status: 'COMPLETED' });
  expect(reply.status).toBe('COMPLETED');
  expect(reply.content).toBe(content);
  const log = await streamedReply(platform, id);
  expect(log.seqs).toEqual(log.seqs.map((_, i) => i + 1));
  expect(log.text).toBe(content);
  expect(log.finals).toEqual([{ kind: 'completed', messageId: id, seq: reply.lastSeq, status: 'COMPLETED' }]);
}
