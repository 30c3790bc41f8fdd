import { useSyncExternalStore } from 'react';

/**
 * What this browser remembers for the person using it (not for their
 * account, which the graph keeps): theme, interface language, and the model
 * picked per conversation. Stored in localStorage; nothing secret.
 */
export type Theme = 'system' | 'light' | 'dark';

const listeners = new Set<() => void>();

function read(key: string): string | null {
  try {
    return window.localStorage.getItem(`parley.${key}`);
  } catch {
    return null;
  }
}

export function writePreference(key: string, value: string | null): void {
  try {
    if (value === null) window.localStorage.removeItem(`parley.${key}`);
    else window.localStorage.setItem(`parley.${key}`, value);
  } catch {
    // Private mode or storage full: the choice lasts this page only.
  }
  listeners.forEach((listener) => listener());
}

export function usePreference(key: string): string | null {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => read(key),
  );
}

export function applyTheme(theme: Theme): void {
  const dark = theme === 'dark' || (theme === 'system' && window.matchMedia('(prefers-color-scheme: dark)').matches);
  document.documentElement.dataset['theme'] = dark ? 'dark' : 'light';
}

export const readPreference = read;
