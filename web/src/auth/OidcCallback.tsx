import { useEffect, useRef, useState } from 'react';
import { navigate } from '../app/router';
import { useI18n } from '../i18n/i18n';
import { AuthError, type Session } from './session';

/** Where the identity provider sends the browser back: the whole URL (code, state, iss) finishes the sign-in at the gateway. */
export function OidcCallback({ session, provider }: { session: Session; provider: string }) {
  const { t } = useI18n();
  const [error, setError] = useState<string | null>(null);
  const started = useRef(false);
  useEffect(() => {
    if (started.current) return;
    started.current = true;
    session
      .finishOidc(provider, window.location.href)
      .then(() => navigate('/', { replace: true }))
      .catch((caught: unknown) => setError(caught instanceof AuthError ? `${caught.message} (${caught.code})` : t('auth.unreachable')));
  }, [session, provider, t]);
  return (
    <main className="auth-page">
      <div className="auth-card">
        {error ? (
          <>
            <p className="error" role="alert">
              {error}
            </p>
            <a href="/">{t('auth.backToSignIn')}</a>
          </>
        ) : (
          <p role="status">{t('auth.finishing')}</p>
        )}
      </div>
    </main>
  );
}
