import { randomUUID } from 'node:crypto';
import { UpstreamUnavailableError } from '@parley/errors';
import { createInMemoryMessageStreamLog, type MessageStreamEvent, type MessageStreamLog } from '@parley/message-stream';
import { createModerator, DEFAULT_MODERATION_POLICY } from '@parley/moderation';
import type { Timers } from '@parley/runtime';
import {
  captureLogs,
  createManualClock,
  freePort,
  startFakeUpstream,
  startTcpProxy,
  unreliableMessageStreamLog,
  type ManualClock,
  type TcpProxy,
  type UnreliableMessageStreamLog,
} from '@parley/testing';
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createGeneration, type Generate, type GenerationJob, type GenerationSettings } from '../src/worker/generation';
import { createModelsOutage, ModelsUnreachableError } from '../src/worker/models-outage';

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
  let timers: Timers;
  let messageStreams: MessageStreamLog;
  /** The same log, behind a store the test takes away and brings back. */
  let store: UnreliableMessageStreamLog;
  let logs: ReturnType<typeof captureLogs>;
  let generate: Generate;
  let settings: GenerationSettings;

  beforeEach(async () => {
    upstream = await startFakeUpstream();
    clock = createManualClock();
    waits = [];
    fired = [];
    timers = {
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
    store = unreliableMessageStreamLog(messageStreams);
    logs = captureLogs('warn');
    settings = {
      openai: new OpenAI({ baseURL: upstream.baseUrl, apiKey: 'test-token', maxRetries: 0 }),
      messageStreams: store.log,
      moderator: createModerator({ policy: DEFAULT_MODERATION_POLICY, blockList: [] }),
      logger: logs.logger,
      coalesceMs: 0,
      maxAttempts: 3,
      retryBaseMs: 200,
      streamAppendRetryMs: 30_000,
      timers,
      now: clock.millis,
      random: () => 0.5,
    };
    generate = createGeneration(settings);
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
      modelsOutage: createModelsOutage({ budgetMs: 30_000, baseMs: 200, timers, now: clock.millis, random: () => 0.5 }),
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

  it('resumes a reply whose models service went away mid-stream (a restart) after what subscribers saw, once it answers again', async () => {
    const tokens = ['Hello', ' from', ' upstream,', ' in', ' several', ' words', ' that', ' moderation', ' lets', ' through.'];
    upstream.setDefault({ tokens });
    // Cut after eight words: what moderation had let through by then reached subscribers.
    upstream.queue({ tokens, disconnectAfterTokens: 8 });
    const reply = job();
    const done = generate(reply);
    await passWait(1);
    await done;

    const log = await streamed(reply.messageId);
    // The second request regenerates the reply; what subscribers already had is skipped, so nothing is repeated.
    expect(log.text).toBe(tokens.join(''));
    expect(log.seqs).toEqual(log.seqs.map((_, i) => i + 1));
    expect(upstream.chatRequests()).toHaveLength(2);
    expect(reply.onAttemptsExhausted).not.toHaveBeenCalled();
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

  /** Moves the clock past the n-th wait asked for, once the loop has asked for it. */
  async function passWait(n: number) {
    await expect.poll(() => waits.length).toBeGreaterThanOrEqual(n);
    clock.advance(waits[n - 1]!);
  }

  describe('while the stream log cannot be reached', () => {
    it('numbers a delta only once it is stored: the append is retried, and what the model sends meanwhile follows it in order', async () => {
      upstream.queue({ tokens: ['Hello', ' from', ' up', 'stream', ' and', ' more'] });
      store.goDown();
      // A buffer smaller than the reply: the model's stream is not read while the log holds it full.
      generate = createGeneration({ ...settings, maxBufferedChars: 4 });
      const reply = job();
      const done = generate(reply);
      await passWait(1);
      await passWait(2);
      await passWait(3);
      expect(await messageStreams.readAfter(reply.messageId, 0)).toEqual([]);
      expect(reply.progress).toMatchObject({ seq: 0, emitted: '' });
      store.comeBack();
      clock.advance(waits[3]!);
      await done;

      const log = await streamed(reply.messageId);
      expect(log.text).toBe('Hello from upstream and more');
      expect(log.seqs).toEqual(log.seqs.map((_, i) => i + 1));
      expect(reply.progress).toMatchObject({ seq: log.seqs.length, emitted: 'Hello from upstream and more' });
      expect(reply.progress.unconfirmed).toBeUndefined();
      expect(store.tries.slice(0, 4)).toEqual([1, 1, 1, 1]);
      expect(logs.lines().filter((l) => l['msg'] === 'stream log unreachable; retrying')).toHaveLength(1);
    });

    it('recognises its own delta when a failed append had stored it (the answer was lost), and goes on after it', async () => {
      store.loseNextAnswer();
      const reply = job();
      const done = generate(reply);
      await passWait(1);
      await done;
      const log = await streamed(reply.messageId);
      expect(log.text).toBe('Hello from upstream');
      expect(log.seqs).toEqual(log.seqs.map((_, i) => i + 1));
      expect(store.tries.slice(0, 2)).toEqual([1, 1]);
    });

    it('fails the reply once the store has been away for the whole budget, keeping the delta it could not confirm for the final event', async () => {
      generate = createGeneration({ ...settings, streamAppendRetryMs: 2_000 });
      store.goDown();
      const reply = job();
      const done = generate(reply);
      const failed = expect(done).rejects.toMatchObject({
        code: 'UPSTREAM_UNAVAILABLE',
        retriable: true,
        message: 'The reply could not be delivered: the message stream store (Redis) was unreachable for 2 s. Ask again.',
      });
      for (let n = 1; waits.reduce((a, b) => a + b, 0) < 2_000; n++) await passWait(n);
      await failed;
      // Nothing counts as stored; the first delta (what moderation let through of the first tokens) is owed to the log.
      expect(reply.progress).toMatchObject({ seq: 0, emitted: '', unconfirmed: { kind: 'delta', seq: 1 } });
      expect(reply.progress.unconfirmed!.delta).toMatch(/^Hello/);
      expect('Hello from upstream'.startsWith(reply.progress.unconfirmed!.delta)).toBe(true);
      // Not the model's failure: the request is not dead-lettered to be tried again.
      expect(reply.onAttemptsExhausted).not.toHaveBeenCalled();
    });
  });

  it('waits out a models service that refuses to start replies (OVERLOADED: draining or at capacity) as it does one that is away', async () => {
    upstream.queue(...Array.from({ length: 4 }, () => ({ status: 503, errorCode: 'overloaded', retryAfterSeconds: 1 })));
    const reply = job();
    const done = generate(reply);
    // More refusals than GENERATION_MAX_ATTEMPTS (3): nothing ran, so what bounds them is the outage budget.
    for (let n = 1; n <= 4; n++) await passWait(n);
    await done;

    expect(waits).toEqual([200, 400, 800, 1_600]);
    expect(upstream.chatRequests()).toHaveLength(5);
    expect((await streamed(reply.messageId)).text).toBe('Hello from upstream');
    expect(reply.onAttemptsExhausted).not.toHaveBeenCalled();
  });

  describe('while the models service cannot be reached', () => {
    let port: number;
    let modelsService: TcpProxy | null;

    beforeEach(async () => {
      // The models service's address, where nothing listens until the test brings it up.
      port = await freePort();
      modelsService = null;
      generate = createGeneration({
        ...settings,
        openai: new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'test-token', maxRetries: 0 }),
      });
    });
    afterEach(async () => {
      await modelsService?.close();
    });

    it('tries again with a growing backoff, not counting tries, and streams the reply once the service is up', async () => {
      const reply = job();
      const done = generate(reply);
      // More tries than GENERATION_MAX_ATTEMPTS (3): what bounds them is time.
      for (let n = 1; n <= 4; n++) await passWait(n);
      await expect.poll(() => waits.length).toBe(5);
      expect(waits).toEqual([200, 400, 800, 1_600, 2_000]);
      const { port: upstreamPort } = new URL(upstream.baseUrl);
      modelsService = await startTcpProxy('127.0.0.1', Number(upstreamPort), { listenPort: port });
      clock.advance(2_000);
      await done;

      expect((await streamed(reply.messageId)).text).toBe('Hello from upstream');
      expect(upstream.chatRequests()).toHaveLength(1);
      expect(reply.onAttemptsExhausted).not.toHaveBeenCalled();
      expect(logs.lines().filter((l) => l['msg'] === 'models service unreachable; retrying')).toHaveLength(5);
    });

    it('fails with UPSTREAM_UNAVAILABLE, and dead-letters once, when the service stays away for the whole budget', async () => {
      const reply = job({
        modelsOutage: createModelsOutage({ budgetMs: 3_000, baseMs: 200, timers, now: clock.millis, random: () => 0.5 }),
      });
      const done = generate(reply);
      const failed = expect(done).rejects.toSatisfy((error) => {
        expect(error).toBeInstanceOf(ModelsUnreachableError);
        expect(error).toMatchObject({
          code: 'UPSTREAM_UNAVAILABLE',
          retriable: true,
          message: 'The models service could not be reached for 3 s, so no reply was generated. Ask again in a moment.',
        });
        return true;
      });
      for (let n = 1; waits.reduce((a, b) => a + b, 0) < 3_000; n++) await passWait(n);
      await failed;
      // The last wait was cut to what was left of the budget.
      expect(waits).toEqual([200, 400, 800, 1_600]);
      expect(reply.onAttemptsExhausted).toHaveBeenCalledOnce();
      expect(reply.onAttemptsExhausted).toHaveBeenCalledWith(expect.any(ModelsUnreachableError), 5);
      expect(await messageStreams.readAfter(reply.messageId, 0)).toEqual([]);
    });
  });
});
