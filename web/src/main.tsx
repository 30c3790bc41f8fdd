import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { createSession, localStorageHint } from './auth/session';
import { I18nProvider } from './i18n/i18n';
import { applyTheme, readPreference, type Theme } from './ui/preferences';
import './ui/styles.css';

applyTheme((readPreference('theme') as Theme | null) ?? 'system');
window
  .matchMedia('(prefers-color-scheme: dark)')
  .addEventListener('change', () => applyTheme((readPreference('theme') as Theme | null) ?? 'system'));

const session = createSession({ hint: localStorageHint });
void session.resume();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <I18nProvider>
      <App session={session} />
    </I18nProvider>
  </StrictMode>,
);
