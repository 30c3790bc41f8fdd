import { randomUUID } from 'node:crypto';
import { UpstreamUnavailableError } from '@parley/errors';
import { createInMemoryMessageStreamLog, type MessageStreamEvent, type MessageStreamLog } from '@parley/message-stream';
import { createModerator, DEFAULT_MODERATION_POLICY } from '@parley/moderation';
import type { Timers } from '@parley/runtime';
import { captureLogs, createManualClock, startFakeUpstream, type ManualClock } from '@parley/testing';
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createGeneration, type Generate, type GenerationJob } from '../src/worker/generation';

/**
 * The generation loop against an OpenAI-compatible upstream over real HTTP.
 * Its backoff runs on a clock the test moves, with jitter fixed at the middle
 * (delay = base × 2^(attempt−1)): each retry waits until the test has seen the
 * backoff asked for and moves time past it, so nothing races the wall clock.
 */
describe('generating a reply', () => {
  let upstream: Awaited<ReturnType<typeof startFakeUpstream>>;
  let clock: ManualClock;
  /** Every delay the loop asked its timers for, and those that have run out, in order. */
  let waits: number[];
  let fired: number[];
  let messageStreams: MessageStreamLog;
  let logs: ReturnType<typeof captureLogs>;
  let generate: Generate;

  beforeEach(async () => {
    upstream = await startFakeUpstream();
    clock = createManualClock();
    waits = [];
    fired = [];
    const timers: Timers = {
      setTimeout: (callback, ms) => {
        waits.push(ms);
        return clock.setTimeout(() => {
          fired.push(ms);
          callback();
        }, ms);
      },
      clearTimeout: (handle) => clock.clearTimeout(handle),
    };
    messageStreams = createInMemoryMessageStreamLog({ now: clock.millis });
    logs = captureLogs('warn');
    generate = createGeneration({
      openai: new OpenAI({ baseURL: upstream.baseUrl, apiKey: 'test-token', maxRetries: 0 }),
      messageStreams,
      moderator: createModerator({ policy: DEFAULT_MODERATION_POLICY, blockList: [] }),
      logger: logs.logger,
      coalesceMs: 0,
      maxAttempts: 3,
      retryBaseMs: 200,
      timers,
      now: clock.millis,
      random: () => 0.5,
    });
  });

  afterEach(async () => {
    await upstream.close();
  });

  function job(overrides: Partial<GenerationJob> = {}): GenerationJob {
    return {
      messageId: randomUUID(),
      userId: 'user-1',
      model: 'upstream-model',
      prompt: [{ role: 'user', content: 'Say hello' }],
      signal: new AbortController().signal,
      resumeAfter: '',
      progress: { seq: 0, emitted: '', model: null, findings: [] },
      onAttemptsExhausted: vi.fn(async () => undefined),
      ...overrides,
    };
  }

  /** The log's deltas: their seqs, and their text joined. */
  async function streamed(messageId: string) {
    const events = await messageStreams.readAfter(messageId, 0);
    const deltas = events.filter((e): e is Extract<MessageStreamEvent, { kind: 'delta' }> => e.kind === 'delta');
    return { seqs: events.map((e) => e.seq), kinds: new Set(events.map((e) => e.kind)), text: deltas.map((e) => e.delta).join('') };
  }

  it('streams the reply into the log, seqs without gaps, and names the model that answered', async () => {
    const reply = job();
    await generate(reply);
    const log = await streamed(reply.messageId);
    expect(log.text).toBe('Hello from upstream');
    expect(log.kinds).toEqual(new Set(['delta']));
    expect(log.seqs).toEqual(log.seqs.map((_, i) => i + 1));
    expect(reply.progress).toMatchObject({ emitted: 'Hello from upstream', model: 'upstream-model', seq: log.seqs.length });
    expect(upstream.chatRequests()[0]!.body).toMatchObject({ model: 'upstream-model', stream: true, messages: reply.prompt });
    expect(waits).toEqual([]);
  });

  it('tries a retriable failure before the first token again after a backoff that doubles, then streams the reply once', async () => {
    upstream.queue({ status: 503 }, { status: 429 });
    const reply = job();
    const done = generate(reply);

    await expect.poll(() => waits).toEqual([200]);
    // Waiting: the next attempt is made only once time passes the backoff.
    clock.advance(199);
    expect(fired).toEqual([]);
    expect(upstream.chatRequests()).toHaveLength(1);
    clock.advance(1);
    expect(fired).toEqual([200]);
    await expect.poll(() => waits).toEqual([200, 400]);
    expect(upstream.chatRequests()).toHaveLength(2);
    clock.advance(400);
    await done;

    expect(upstream.chatRequests()).toHaveLength(3);
    const log = await streamed(reply.messageId);
    expect(log.text).toBe('Hello from upstream');
    expect(log.seqs).toEqual(log.seqs.map((_, i) => i + 1));
    expect(reply.onAttemptsExhausted).not.toHaveBeenCalled();
    expect(logs.lines().filter((l) => l['msg'] === 'reply attempt failed; retrying')).toMatchObject([{ attempt: 1 }, { attempt: 2 }]);
  });

  it('gives up after the last attempt: dead-letters once and fails with UPSTREAM_UNAVAILABLE, having streamed nothing', async () => {
    upstream.setDefault({ status: 503 });
    const reply = job();
    const done = generate(reply);
    const failed = expect(done).rejects.toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', retriable: true });

    await expect.poll(() => waits).toEqual([200]);
    clock.advance(200);
    await expect.poll(() => waits).toEqual([200, 400]);
    clock.advance(400);
    await failed;

    expect(upstream.chatRequests()).toHaveLength(3);
    expect(reply.onAttemptsExhausted).toHaveBeenCalledOnce();
    expect(reply.onAttemptsExhausted).toHaveBeenCalledWith(expect.any(UpstreamUnavailableError), 3);
    expect(await messageStreams.readAfter(reply.messageId, 0)).toEqual([]);
    expect(reply.progress).toMatchObject({ seq: 0, emitted: '' });
  });

  it('does not try again what only the user can fix, nor dead-letter it', async () => {
    upstream.queue({ status: 400 });
    const reply = job();
    await expect(generate(reply)).rejects.toMatchObject({ code: 'BAD_USER_INPUT', retriable: false });
    expect(upstream.chatRequests()).toHaveLength(1);
    expect(waits).toEqual([]);
    expect(reply.onAttemptsExhausted).not.toHaveBeenCalled();
  });

  it('resumes a redelivered reply after what subscribers already saw: those characters of the new generation are skipped', async () => {
    const reply = job({ resumeAfter: 'Hello fr', progress: { seq: 2, emitted: '', model: null, findings: [] } });
    await messageStreams.append([
      { kind: 'delta', messageId: reply.messageId, seq: 1, delta: 'Hello' },
      { kind: 'delta', messageId: reply.messageId, seq: 2, delta: ' fr' },
    ]);
    await generate(reply);

    const log = await streamed(reply.messageId);
    expect(log.text).toBe('Hello from upstream');
    expect(log.seqs).toEqual(log.seqs.map((_, i) => i + 1));
    expect(reply.progress.emitted).toBe('om upstream');
    expect(reply.progress.seq).toBe(log.seqs.length);
  });

  it('resumes after the same prefix when the first attempt of a redelivery fails before its first token', async () => {
    upstream.queue({ status: 502 });
    const reply = job({ resumeAfter: 'Hello', progress: { seq: 1, emitted: '', model: null, findings: [] } });
    await messageStreams.append([{ kind: 'delta', messageId: reply.messageId, seq: 1, delta: 'Hello' }]);
    const done = generate(reply);
    await expect.poll(() => waits).toEqual([200]);
    clock.advance(200);
    await done;

    expect((await streamed(reply.messageId)).text).toBe('Hello from upstream');
    expect(reply.progress.emitted).toBe(' from upstream');
  });

  it('stops when the reply is cancelled, rejecting with the reason the signal carries and trying nothing again', async () => {
    const cancelled = new AbortController();
    let firstToken!: () => void;
    const reachedFirstToken = new Promise<void>((resolve) => (firstToken = resolve));
    upstream.queue({ stallAfterTokens: 1, beforeFirstToken: firstToken });
    const reply = job({ signal: cancelled.signal });
    const done = generate(reply);
    await reachedFirstToken;
    const reason = new Error('cancelled by its owner');
    cancelled.abort(reason);

    await expect(done).rejects.toBe(reason);
    expect(upstream.chatRequests()).toHaveLength(1);
    expect(waits).toEqual([]);
    expect(reply.onAttemptsExhausted).not.toHaveBeenCalled();
  });
});
