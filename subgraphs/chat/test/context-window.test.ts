import { describe, expect, it } from 'vitest';
import { fitToContextWindow, type Turn } from '../src/worker/context-window';

const turn = (role: Turn['role'], words: number, tag: string): Turn => ({
  role,
  content: Array.from({ length: words }, (_, i) => `${tag}${i}`).join(' '),
});

describe('fitting a conversation into a context window', () => {
  it('keeps everything when it fits', () => {
    const turns = [turn('system', 5, 's'), turn('user', 5, 'u'), turn('assistant', 5, 'a'), turn('user', 5, 'q')];
    expect(fitToContextWindow(turns, 10_000, 1_000)).toEqual(turns);
  });

  it('drops the oldest turns first and always keeps the system prompt', () => {
    const system = turn('system', 20, 's');
    const old = turn('user', 300, 'old');
    const oldReply = turn('assistant', 300, 'reply');
    const latest = turn('user', 20, 'new');
    const kept = fitToContextWindow([system, old, oldReply, latest], 1_000, 200);
    expect(kept?.[0]).toEqual(system);
    expect(kept?.at(-1)).toEqual(latest);
    expect(kept).not.toContainEqual(old);
  });

  it('gives up (null) when even the newest turn cannot fit beside the reply reserve', () => {
    expect(fitToContextWindow([turn('user', 2_000, 'huge')], 1_000, 100)).toBeNull();
  });
});
