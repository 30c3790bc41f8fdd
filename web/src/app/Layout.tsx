import { useEffect, useRef, useState } from 'react';
import { ChatScreen } from '../chat/ChatScreen';
import { ConversationList } from '../conversations/ConversationList';
import { useI18n } from '../i18n/i18n';
import { SettingsPage } from '../settings/SettingsPage';
import { useServices } from './app-context';
import { navigate, type Route } from './router';
import { useShortcuts } from './shortcuts';

/** The signed-in frame: conversations on the side (a drawer on a phone), the current screen beside them. */
export function Layout({ route }: { route: Route }) {
  const { t } = useI18n();
  const { session } = useServices();
  const [drawerOpen, setDrawerOpen] = useState(false);
  const searchRef = useRef<HTMLInputElement>(null);
  const state = session.state();
  const user = state.status === 'signedIn' ? state.user : null;

  useShortcuts({
    newChat: () => navigate('/'),
    search: () => {
      setDrawerOpen(true);
      searchRef.current?.focus();
    },
  });
  useEffect(() => setDrawerOpen(false), [route]);

  return (
    <div className="layout">
      <a className="skip-link" href="#main">
        {t('app.skipToContent')}
      </a>
      <header className="topbar">
        <button
          type="button"
          className="menu-button"
          aria-expanded={drawerOpen}
          aria-controls="sidebar"
          onClick={() => setDrawerOpen((open) => !open)}
        >
          <span aria-hidden="true">☰</span>
          <span className="visually-hidden">{t('app.menu')}</span>
        </button>
        <span className="brand">Parley</span>
      </header>
      <nav id="sidebar" className={`sidebar${drawerOpen ? ' open' : ''}`} aria-label={t('conversations.title')}>
        <div className="sidebar-top">
          <span className="brand">Parley</span>
          <button type="button" className="primary new-chat" onClick={() => navigate('/')} title={t('shortcuts.newChat')}>
            {t('conversations.new')}
          </button>
        </div>
        <ConversationList searchRef={searchRef} activeId={route.name === 'conversation' ? route.id : null} />
        <div className="sidebar-bottom">
          <a
            href="/settings"
            onClick={(event) => {
              event.preventDefault();
              navigate('/settings');
            }}
            aria-current={route.name === 'settings' ? 'page' : undefined}
          >
            {t('settings.title')}
          </a>
          <span className="who" title={user?.email}>
            {user?.displayName}
          </span>
          <button type="button" onClick={() => void session.logout()}>
            {t('auth.signOut')}
          </button>
        </div>
      </nav>
      {drawerOpen && <div className="scrim" aria-hidden="true" onClick={() => setDrawerOpen(false)} />}
      <main id="main" className="content" tabIndex={-1}>
        {route.name === 'newChat' && <ChatScreen key="new" conversationId={null} />}
        {route.name === 'conversation' && <ChatScreen key={route.id} conversationId={route.id} />}
        {route.name === 'settings' && <SettingsPage tab={route.tab} />}
        {(route.name === 'notFound' || route.name === 'oidcCallback') && (
          <div className="empty">
            <h1>{t('app.notFound')}</h1>
            <a href="/">{t('app.home')}</a>
          </div>
        )}
      </main>
    </div>
  );
}
