import { useSyncExternalStore } from 'react';

/**
 * The client's few screens as paths, on the History API: deep links and the
 * back button work, and the gateway answers every such path with the app.
 */
export type Route =
  | { name: 'newChat' }
  | { name: 'conversation'; id: string }
  | { name: 'settings'; tab: string }
  | { name: 'oidcCallback'; provider: string }
  | { name: 'notFound' };

export function parseRoute(pathname: string): Route {
  if (pathname === '/' || pathname === '') return { name: 'newChat' };
  const conversation = /^\/c\/([0-9a-f-]{1,64})$/i.exec(pathname);
  if (conversation) return { name: 'conversation', id: conversation[1]! };
  const settings = /^\/settings(?:\/([a-z-]+))?$/.exec(pathname);
  if (settings) return { name: 'settings', tab: settings[1] ?? 'preferences' };
  const callback = /^\/auth\/callback\/([A-Za-z0-9_-]{1,64})$/.exec(pathname);
  if (callback) return { name: 'oidcCallback', provider: callback[1]! };
  return { name: 'notFound' };
}

const listeners = new Set<() => void>();
const notify = () => listeners.forEach((listener) => listener());
window.addEventListener('popstate', notify);

export function navigate(path: string, { replace = false } = {}): void {
  if (path === window.location.pathname) return;
  if (replace) window.history.replaceState(null, '', path);
  else window.history.pushState(null, '', path);
  notify();
}

export function usePathname(): string {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => window.location.pathname,
  );
}

export const conversationPath = (id: string) => `/c/${id}`;
