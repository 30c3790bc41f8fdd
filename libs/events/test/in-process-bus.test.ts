import { captureLogs } from '@parley/testing';
import { describe, expect, it } from 'vitest';
import { createInProcessBus, Topics, type UserDeleted } from '../src';

const deleted = (userId: string): UserDeleted => ({ userId, deletedAt: new Date(0).toISOString() });

describe('the in-process event bus (embedded mode)', () => {
  it('gives each group every event once, in publish order', async () => {
    const bus = createInProcessBus({ logger: captureLogs('silent').logger });
    const a: string[] = [];
    const b: string[] = [];
    await bus.subscribe({ topic: Topics.userDeleted, group: 'a', handle: async (e) => void a.push(e.payload.userId) });
    await bus.subscribe({ topic: Topics.userDeleted, group: 'b', handle: async (e) => void b.push(e.payload.userId) });
    for (const id of ['u1', 'u2', 'u3']) await bus.publish(Topics.userDeleted, id, deleted(id));
    await bus.close();
    expect(a).toEqual(['u1', 'u2', 'u3']);
    expect(b).toEqual(['u1', 'u2', 'u3']);
  });

  it('shares a group between its members instead of duplicating events', async () => {
    const bus = createInProcessBus({ logger: captureLogs('silent').logger });
    const seen: string[] = [];
    for (let i = 0; i < 2; i++) {
      await bus.subscribe({ topic: Topics.userDeleted, group: 'workers', handle: async (e) => void seen.push(e.payload.userId) });
    }
    for (const id of ['u1', 'u2', 'u3', 'u4']) await bus.publish(Topics.userDeleted, id, deleted(id));
    await bus.close();
    expect(seen.sort()).toEqual(['u1', 'u2', 'u3', 'u4']);
  });

  it('redelivers while the handler throws, then moves on', async () => {
    const bus = createInProcessBus({ logger: captureLogs('silent').logger, retryDelayMs: 1 });
    const attempts: string[] = [];
    let failures = 0;
    await bus.subscribe({
      topic: Topics.userDeleted,
      group: 'flaky',
      handle: async (e) => {
        attempts.push(e.payload.userId);
        if (e.payload.userId === 'u1' && failures++ < 2) throw new Error('transient');
      },
    });
    await bus.publish(Topics.userDeleted, 'u1', deleted('u1'));
    await bus.publish(Topics.userDeleted, 'u2', deleted('u2'));
    await bus.close();
    expect(attempts).toEqual(['u1', 'u1', 'u1', 'u2']);
  });

  it('hands consumers a copy, never the publisher’s object', async () => {
    const bus = createInProcessBus({ logger: captureLogs('silent').logger });
    const payload = deleted('u1');
    let received: UserDeleted | undefined;
    await bus.subscribe({ topic: Topics.userDeleted, group: 'g', handle: async (e) => void (received = e.payload) });
    await bus.publish(Topics.userDeleted, 'u1', payload);
    await bus.close();
    expect(received).toEqual(payload);
    expect(received).not.toBe(payload);
  });
});

describe('the in-process event bus with concurrency', () => {
  it('handles other keys while one key is busy, keeping each key in order', async () => {
    const bus = createInProcessBus({ logger: captureLogs('silent').logger });
    const log: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await bus.subscribe({
      topic: Topics.userDeleted,
      group: 'workers',
      concurrency: 4,
      handle: async (e) => {
        log.push(`${e.key}:${e.payload.userId} start`);
        if (e.payload.userId === 'slow') await held;
        log.push(`${e.key}:${e.payload.userId} end`);
      },
    });
    await bus.publish(Topics.userDeleted, 'k1', deleted('slow'));
    await bus.publish(Topics.userDeleted, 'k1', deleted('after-slow'));
    await bus.publish(Topics.userDeleted, 'k2', deleted('other'));
    await expect.poll(() => log).toContain('k2:other end');
    expect(log).not.toContain('k1:after-slow start');
    release();
    await bus.close();
    expect(log.indexOf('k1:slow end')).toBeLessThan(log.indexOf('k1:after-slow start'));
  });
});
