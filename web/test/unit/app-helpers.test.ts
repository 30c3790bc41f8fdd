import { describe, expect, it } from 'vitest';
import { shortcutFor } from '../../src/app/shortcuts';
import { en } from '../../src/i18n/en';
import { zhCN } from '../../src/i18n/zh-CN';

// router.ts and i18n.tsx touch window at import; their pure parts are tested through the browser suites.

describe('keyboard shortcuts', () => {
  const key = (k: string, mods: Partial<Record<'ctrlKey' | 'metaKey' | 'shiftKey' | 'altKey', boolean>> = {}) => ({
    key: k,
    ctrlKey: false,
    metaKey: false,
    shiftKey: false,
    altKey: false,
    ...mods,
  });
  it('opens a new chat with Ctrl/⌘+Shift+O and searches with Ctrl/⌘+K', () => {
    expect(shortcutFor(key('O', { ctrlKey: true, shiftKey: true }))).toBe('newChat');
    expect(shortcutFor(key('o', { metaKey: true, shiftKey: true }))).toBe('newChat');
    expect(shortcutFor(key('k', { ctrlKey: true }))).toBe('search');
  });
  it('leaves plain typing and other combinations alone', () => {
    expect(shortcutFor(key('k'))).toBeNull();
    expect(shortcutFor(key('o', { ctrlKey: true }))).toBeNull();
    expect(shortcutFor(key('k', { ctrlKey: true, altKey: true }))).toBeNull();
  });
});

describe('the Chinese interface', () => {
  it('translates every English message and keeps its placeholders', () => {
    const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const [key, english] of Object.entries(en)) {
      const chinese = zhCN[key as keyof typeof en];
      expect(chinese, key).toBeTruthy();
      expect(placeholders(chinese), key).toEqual(placeholders(english));
    }
  });
});
