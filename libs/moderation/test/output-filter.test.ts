import { describe, expect, it } from 'vitest';
import { createModerator, parseModerationPolicy, type ModerationFinding, type Moderator, type OutputFilterStep } from '../src';

const moderator = (settings = '', blockList: string[] = []) => createModerator({ policy: parseModerationPolicy(settings), blockList });

interface Streamed {
  steps: OutputFilterStep[];
  /** What had been emitted after each delta (and after end()). */
  emittedAfter: string[];
  text: string;
  findings: ModerationFinding[];
}

function stream(target: Moderator, deltas: readonly string[]): Streamed {
  const filter = target.outputFilter();
  const steps = [...deltas.map((delta) => filter.push(delta)), filter.end()];
  const emittedAfter: string[] = [];
  let text = '';
  for (const step of steps) emittedAfter.push((text += step.emit));
  return { steps, emittedAfter, text, findings: steps.flatMap((step) => step.findings) };
}

describe('the output filter for streamed text', () => {
  it('redacts an e-mail address split as "alice@exa" + "mple.com" without emitting any part of it', () => {
    const result = stream(moderator(), ['Write to alice@exa', 'mple.com', ' today']);
    expect(result.text).toBe('Write to [email] today');
    for (const emitted of result.emittedAfter) expect(emitted).not.toMatch(/alice|exa|mple/);
  });

  it('redacts a Luhn-valid card number split across four deltas without emitting any digit of it', () => {
    const result = stream(moderator(), ['My card is 41', '11 1111 11', '11 11', '11 thanks']);
    expect(result.text).toBe('My card is [payment_card] thanks');
    for (const emitted of result.emittedAfter) expect(emitted).not.toMatch(/\d/);
    expect(result.findings).toEqual([{ category: 'payment_card', action: 'redact' }]);
  });

  it('streams the digits of a card that fails Luhn unchanged', () => {
    expect(stream(moderator(), ['card 4111 1111 ', '1111 1112 ok']).text).toBe('card 4111 1111 1111 1112 ok');
  });

  it('redacts a phone number whose groups arrive one by one', () => {
    const result = stream(moderator(), ['call (415)', ' 555', '-01', '00 now']);
    expect(result.text).toBe('call [phone] now');
    for (const emitted of result.emittedAfter) expect(emitted).not.toMatch(/\d/);
  });

  it('redacts a resident ID and a mobile number in Chinese text split mid-number', () => {
    const result = stream(moderator(), ['身份证1101051949', '1231002X，电话138', '12345678。']);
    expect(result.text).toBe('身份证[national_id]，电话[phone]。');
    for (const emitted of result.emittedAfter) expect(emitted).not.toMatch(/\d/);
  });

  it('blocks on a block-list term split in two, emitting nothing of it and nothing after it', () => {
    const result = stream(moderator('', ['project nightingale']), ['We discussed Project Night', 'ingale yesterday.', ' More text.']);
    expect(result.text).not.toMatch(/Project|Night/i);
    expect(result.text).toBe('We discussed ');
    const blockedAt = result.steps.findIndex((step) => step.blocked);
    expect(result.steps[blockedAt]!.findings).toEqual([{ category: 'block_list', action: 'block' }]);
    for (const step of result.steps.slice(blockedAt)) expect(step).toMatchObject({ emit: '', blocked: { category: 'block_list' } });
  });

  it('blocks on a Chinese block-list term split in two', () => {
    const result = stream(moderator('', ['机密文件']), ['这是机密', '文件的内容']);
    expect(result.text).toBe('这是');
    expect(result.steps.at(-1)!.blocked).toEqual({ category: 'block_list' });
  });

  it('never emits a swear word spelled across deltas, even one that bridges a space ("f ck")', () => {
    const result = stream(moderator(), ['oh f', ' ', 'ck that, what a fu', 'uuck', 'ing day']);
    expect(result.text).toBe(moderator().checkLocal('oh f ck that, what a fuuuucking day').text);
    for (const emitted of result.emittedAfter) expect(emitted).not.toMatch(/\bf\b|fu/);
  });

  it('holds back only the word still being written in plain prose', () => {
    const filter = moderator().outputFilter();
    const emitted = ['The ', 'quick ', 'brown ', 'fox ', 'jumps ', 'over'].map((delta) => filter.push(delta).emit).join('');
    // A profanity pattern may bridge one space, so the last complete word waits for the next one.
    expect(emitted).toBe('The quick brown fox ');
  });

  it('emits Chinese prose as it arrives when no listed term could be forming', () => {
    const filter = moderator().outputFilter();
    expect(filter.push('我们今天讨论').emit).toBe('我们今天讨论');
    expect(filter.push('一下这个问题。').emit).toBe('一下这个问题。');
  });

  it('holds back no more than the longest listed term while it could still be forming', () => {
    const filter = moderator('', ['机密文件']).outputFilter();
    expect(filter.push('我们今天讨论一下').emit).toBe('我们今天');
  });

  it('emits nothing more once blocked', () => {
    const filter = moderator('profanity=block').outputFilter();
    expect(filter.push('well fuck ')).toMatchObject({ emit: 'well ', blocked: null });
    expect(filter.push('this is')).toEqual({
      emit: '',
      blocked: { category: 'profanity' },
      findings: [{ category: 'profanity', action: 'block' }],
    });
    expect(filter.push(' fine. ')).toEqual({ emit: '', blocked: { category: 'profanity' }, findings: [] });
    expect(filter.end()).toEqual({ emit: '', blocked: { category: 'profanity' }, findings: [] });
  });

  it('refuses text after end()', () => {
    const filter = moderator().outputFilter();
    filter.end();
    expect(() => filter.push('late')).toThrow(/after end/);
  });
});

describe('the output filter, as a property over many texts and splittings', () => {
  const fragments = [
    'alice@example.com',
    'bob.smith+tag@mail.example.co.uk',
    '4111 1111 1111 1111',
    '4111-1111-1111-1111',
    '4111111111111111',
    '4111 1111 1111 1112',
    '11010519491231002X',
    '110105194912310021',
    '13812345678',
    '+86 138 1234 5678',
    '(415) 555-0100',
    '415-555-0100',
    '+44 20 7946 0958',
    'fuck',
    'f ck',
    'sh1t',
    'double penetration',
    'van dyke',
    'f中ck',
    '乃itch',
    'class',
    'hello',
    'world',
    'the',
    '我的邮箱是',
    '电话',
    '机密',
    '，',
    '。',
    ' ',
    ' ',
    ' ',
    '  ',
    '\n',
    '2024',
    '$1,299.99',
    '12',
    '-',
    '(',
    '+',
    'x',
    '555',
    '1111',
    'Project',
    'nightingale',
    'PROJECT NIGHTINGALE',
    '😀',
  ];
  const policies = ['', 'block_list=redact', 'profanity=block,email=block', 'phone=allow'];

  it('emits, over every splitting, exactly what checking the whole text gives, and never anything it would not', () => {
    const random = seededRandom(20251127);
    const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
    for (let round = 0; round < 200; round++) {
      let text = '';
      for (let i = 1 + Math.floor(random() * 10); i > 0; i--) text += pick(fragments) + (random() < 0.5 ? ' ' : '');
      const target = moderator(pick(policies), ['project nightingale', '机密']);
      const whole = target.checkLocal(text);
      for (const deltas of splittings(text, random)) {
        const result = stream(target, deltas);
        const context = { text, deltas };
        expect({ ...context, blocked: result.steps.at(-1)!.blocked }).toEqual({ ...context, blocked: whole.blocked });
        if (whole.blocked) continue;
        expect({ ...context, emitted: result.text, findings: result.findings }).toEqual({
          ...context,
          emitted: whole.text,
          findings: whole.findings,
        });
        for (const emitted of result.emittedAfter) expect(whole.text.startsWith(emitted)).toBe(true);
      }
    }
  });
});

/** Every character alone, fixed sizes, and random cuts (never inside a surrogate pair). */
function splittings(text: string, random: () => number): string[][] {
  const characters = [...text];
  const fixed = (size: number) => {
    const pieces: string[] = [];
    for (let i = 0; i < characters.length; i += size) pieces.push(characters.slice(i, i + size).join(''));
    return pieces;
  };
  const randomCuts: string[] = [];
  for (let i = 0; i < characters.length;) {
    const size = 1 + Math.floor(random() * 7);
    randomCuts.push(characters.slice(i, i + size).join(''));
    i += size;
  }
  return [fixed(1), fixed(3), fixed(8), randomCuts, [text]];
}

/** Deterministic, so a failure names a reproducible text. */
function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}
