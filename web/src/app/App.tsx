import { useEffect, useMemo, useSyncExternalStore } from 'react';
import { Provider as GraphProvider } from 'urql';
import { createParleyClients } from '../api/graphql-client';
import { MessageQuery } from '../api/operations';
import type { Session } from '../auth/session';
import { OidcCallback } from '../auth/OidcCallback';
import { SignInPage } from '../auth/SignInPage';
import { useI18n } from '../i18n/i18n';
import { createStreamStore } from '../stream/stream-store';
import { AppContext, type AppServices } from './app-context';
import { Layout } from './Layout';
import { parseRoute, usePathname } from './router';

/**
 * Signed out: the sign-in page (or the OpenID Connect callback finishing one).
 * Signed in: the chat, with a graph client, cache and stream store made for
 * this user alone, so nothing one account read survives into the next
 * account's session in the same tab.
 */
export function App({ session }: { session: Session }) {
  const state = useSyncExternalStore(session.subscribe, session.state);
  const route = parseRoute(usePathname());
  const { t } = useI18n();
  const userId = state.status === 'signedIn' ? state.user.id : null;

  const services = useMemo<AppServices | null>(() => {
    if (!userId) return null;
    const clients = createParleyClients(session);
    const streams = createStreamStore({
      socket: clients.socket,
      // The finished reply, read once from the graph, replaces the streamed text in the cache.
      onFinished: (messageId) => void clients.graph.query(MessageQuery, { id: messageId }, { requestPolicy: 'network-only' }).toPromise(),
    });
    return { session, clients, streams };
  }, [session, userId]);

  // Fetch the Markdown renderer as soon as someone is signed in, not when the first message needs it.
  useEffect(() => {
    if (userId) void import('../markdown/Markdown');
  }, [userId]);

  useEffect(
    () => () => {
      services?.streams.close();
      void services?.clients.socket.dispose();
    },
    [services],
  );

  if (state.status === 'loading') {
    return (
      <div className="splash" role="status" aria-live="polite">
        {t('app.loading')}
      </div>
    );
  }
  if (!services) {
    return route.name === 'oidcCallback' ? (
      <OidcCallback session={session} provider={route.provider} />
    ) : (
      <SignInPage session={session} {...(state.status === 'signedOut' && state.reason ? { notice: state.reason } : {})} />
    );
  }
  return (
    <AppContext.Provider value={services}>
      <GraphProvider value={services.clients.graph}>
        <Layout route={route} />
      </GraphProvider>
    </AppContext.Provider>
  );
}
