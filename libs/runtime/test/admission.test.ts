import { OverloadedError } from '@parley/errors';
import { createManualClock } from '@parley/testing';
import { describe, expect, it } from 'vitest';
import { createAdmissionController, type AdmissionEntry, type AdmissionLimits, type AdmissionPermit } from '../src/admission';

/** A controller on a clock the test moves: its queue-wait timers fire only when the test says so. */
function controllerWith(limits: AdmissionLimits) {
  const clock = createManualClock();
  const controller = createAdmissionController({ service: 'The test service', limits, now: clock.millis, timers: clock });
  return { clock, controller };
}

const admitted = (entry: AdmissionEntry): AdmissionPermit => {
  if (entry.state !== 'admitted') throw new Error(`expected a slot at once, got ${entry.state}`);
  return entry.permit;
};

/** What a queued entry came to, once it has: a permit, a refusal, or still waiting. */
function watch(entry: AdmissionEntry) {
  if (entry.state !== 'queued') throw new Error(`expected to wait in the queue, got ${entry.state}`);
  const seen: { outcome: AdmissionPermit | OverloadedError | 'waiting' } = { outcome: 'waiting' };
  void entry.outcome.then((outcome) => (seen.outcome = outcome));
  return { seen, leave: entry.leave };
}

/** Lets the promise callbacks of what just happened run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('admission: a bounded number of requests worked on at once, a bounded queue, a bounded wait', () => {
  it('admits up to the concurrency at once, queues the next ones, and gives each freed slot to the one that waited longest', async () => {
    const { controller } = controllerWith({ concurrency: 2, queueLength: 2, maxQueueWaitMs: 1000 });
    const first = admitted(controller.enter());
    admitted(controller.enter());
    const third = watch(controller.enter());
    const fourth = watch(controller.enter());
    expect(controller.load()).toEqual({ active: 2, queued: 2 });

    first.release();
    await settle();
    expect(third.seen.outcome).toHaveProperty('release');
    expect(fourth.seen.outcome).toBe('waiting');
    expect(controller.load()).toEqual({ active: 2, queued: 1 });
  });

  it('refuses at once, with OVERLOADED and when to come back, once the queue is full too', () => {
    const { controller } = controllerWith({ concurrency: 1, queueLength: 1, maxQueueWaitMs: 1000 });
    admitted(controller.enter());
    watch(controller.enter());
    const refused = controller.enter();
    expect(refused.state).toBe('refused');
    if (refused.state !== 'refused') return;
    expect(refused.refusal).toBeInstanceOf(OverloadedError);
    expect(refused.refusal.code).toBe('OVERLOADED');
    expect(refused.refusal.retriable).toBe(true);
    expect(refused.refusal.details).toEqual({ retryAfterSeconds: 1 });
    expect(refused.refusal.message).toBe(
      'The test service is at capacity (1 request in progress, 1 waiting) and did not start this one. Try again in 1 s.',
    );
    // Nothing was taken by the refusal.
    expect(controller.load()).toEqual({ active: 1, queued: 1 });
  });

  it('with no queue, refuses the first request over the concurrency at once', () => {
    const { controller } = controllerWith({ concurrency: 1, queueLength: 0, maxQueueWaitMs: 1000 });
    admitted(controller.enter());
    expect(controller.enter().state).toBe('refused');
  });

  it('refuses a request that waited longer than the bound rather than serve it late, and keeps admitting the ones that did not', async () => {
    const { clock, controller } = controllerWith({ concurrency: 1, queueLength: 3, maxQueueWaitMs: 200 });
    const working = admitted(controller.enter());
    const early = watch(controller.enter());
    clock.advance(150);
    const late = watch(controller.enter());

    clock.advance(51); // the early one has waited 201 ms, the later one 51 ms
    await settle();
    expect(early.seen.outcome).toBeInstanceOf(OverloadedError);
    expect((early.seen.outcome as OverloadedError).message).toBe(
      'The test service is at capacity and this request waited 200 ms without starting; it was not started rather than answered late. Try again in 1 s.',
    );
    expect(late.seen.outcome).toBe('waiting');
    expect(controller.load()).toEqual({ active: 1, queued: 1 });

    working.release();
    await settle();
    expect(late.seen.outcome).toHaveProperty('release');
  });

  it('refuses a request found past its bound when a slot frees, even before its timer has run (a busy event loop runs timers late)', async () => {
    let now = 0;
    const timersThatNeverFire = { setTimeout: () => 0, clearTimeout: () => {} };
    const controller = createAdmissionController({
      service: 'The test service',
      limits: { concurrency: 1, queueLength: 2, maxQueueWaitMs: 200 },
      now: () => now,
      timers: timersThatNeverFire,
    });
    const working = admitted(controller.enter());
    const stale = watch(controller.enter());
    now = 150;
    const fresh = watch(controller.enter());
    now = 300;

    working.release();
    await settle();
    expect(stale.seen.outcome).toBeInstanceOf(OverloadedError);
    expect(fresh.seen.outcome).toHaveProperty('release');
  });

  it('gives up the place of a request whose client left while it waited', async () => {
    const { controller } = controllerWith({ concurrency: 1, queueLength: 2, maxQueueWaitMs: 1000 });
    const working = admitted(controller.enter());
    const gone = watch(controller.enter());
    const next = watch(controller.enter());
    gone.leave();
    expect(controller.load()).toEqual({ active: 1, queued: 1 });

    working.release();
    await settle();
    expect(next.seen.outcome).toHaveProperty('release');
    expect(gone.seen.outcome).toBeInstanceOf(OverloadedError);
  });

  it('frees a slot once however often it is released (the answer starting, ending and the socket closing all release it)', () => {
    const { controller } = controllerWith({ concurrency: 2, queueLength: 0, maxQueueWaitMs: 1000 });
    const permit = admitted(controller.enter());
    admitted(controller.enter());
    permit.release();
    permit.release();
    expect(controller.load()).toEqual({ active: 1, queued: 0 });
    admitted(controller.enter());
    expect(controller.enter().state).toBe('refused');
  });
});
