import { useEffect, useRef } from 'react';

/**
 * The global keyboard shortcuts (the composer handles Enter and Escape itself):
 * Ctrl/⌘+Shift+O a new chat, Ctrl/⌘+K search the conversations.
 */
export interface ShortcutActions {
  newChat(): void;
  search(): void;
}

export function shortcutFor(
  event: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'shiftKey' | 'altKey'>,
): keyof ShortcutActions | null {
  const mod = event.ctrlKey || event.metaKey;
  if (!mod || event.altKey) return null;
  const key = event.key.toLowerCase();
  if (key === 'o' && event.shiftKey) return 'newChat';
  if (key === 'k' && !event.shiftKey) return 'search';
  return null;
}

export function useShortcuts(actions: ShortcutActions): void {
  const latest = useRef(actions);
  latest.current = actions;
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const action = shortcutFor(event);
      if (!action) return;
      event.preventDefault();
      latest.current[action]();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}
