import { useEffect, useId, useState, type FormEvent } from 'react';
import { anonymousRequest } from '../api/anonymous-request';
import { IdentityProvidersQuery, StartOidcLoginMutation } from '../api/operations';
import { useI18n } from '../i18n/i18n';
import { LanguageSwitch } from '../settings/LanguageSwitch';
import { AuthError, type Session } from './session';

type Mode = 'signIn' | 'register';

export function SignInPage({ session, notice }: { session: Session; notice?: string }) {
  const { t } = useI18n();
  const [mode, setMode] = useState<Mode>('signIn');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [providers, setProviders] = useState<{ id: string; displayName: string }[]>([]);
  const ids = { email: useId(), password: useId(), name: useId() };

  useEffect(() => {
    anonymousRequest(IdentityProvidersQuery, {})
      .then((data) => setProviders(data.identityProviders))
      .catch(() => setProviders([]));
  }, []);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const email = String(form.get('email') ?? '');
    const password = String(form.get('password') ?? '');
    const displayName = String(form.get('displayName') ?? '').trim();
    setBusy(true);
    setError(null);
    try {
      if (mode === 'register') await session.register({ email, password, ...(displayName ? { displayName } : {}) });
      else await session.login(email, password);
    } catch (caught) {
      setError(caught instanceof AuthError ? `${caught.message} (${caught.code})` : t('auth.unreachable'));
    } finally {
      setBusy(false);
    }
  };

  const startOidc = async (provider: string) => {
    try {
      const redirectUri = `${window.location.origin}/auth/callback/${provider}`;
      const { startOidcLogin } = await anonymousRequest(StartOidcLoginMutation, { provider, redirectUri });
      window.location.assign(startOidcLogin.authorizationUrl);
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : t('auth.unreachable'));
    }
  };

  return (
    <main className="auth-page">
      <div className="auth-card">
        <h1 className="brand">Parley</h1>
        <p className="tagline">{t('auth.tagline')}</p>
        {notice && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}
        <div className="tabs" role="tablist" aria-label={t('auth.modes')}>
          <button type="button" role="tab" aria-selected={mode === 'signIn'} onClick={() => setMode('signIn')}>
            {t('auth.signIn')}
          </button>
          <button type="button" role="tab" aria-selected={mode === 'register'} onClick={() => setMode('register')}>
            {t('auth.register')}
          </button>
        </div>
        <form onSubmit={(event) => void submit(event)} aria-label={mode === 'register' ? t('auth.register') : t('auth.signIn')}>
          <label htmlFor={ids.email}>{t('auth.email')}</label>
          <input id={ids.email} name="email" type="email" autoComplete="email" required maxLength={254} />
          {mode === 'register' && (
            <>
              <label htmlFor={ids.name}>{t('auth.displayName')}</label>
              <input id={ids.name} name="displayName" autoComplete="nickname" maxLength={100} />
            </>
          )}
          <label htmlFor={ids.password}>{t('auth.password')}</label>
          <input
            id={ids.password}
            name="password"
            type="password"
            autoComplete={mode === 'register' ? 'new-password' : 'current-password'}
            required
            minLength={mode === 'register' ? 8 : 1}
            maxLength={256}
          />
          {error && (
            <p className="error" role="alert">
              {error}
            </p>
          )}
          <button type="submit" className="primary" disabled={busy}>
            {mode === 'register' ? t('auth.createAccount') : t('auth.signIn')}
          </button>
        </form>
        {providers.length > 0 && (
          <div className="oidc">
            <p>{t('auth.orWith')}</p>
            {providers.map((provider) => (
              <button key={provider.id} type="button" onClick={() => void startOidc(provider.id)}>
                {t('auth.continueWith', { provider: provider.displayName })}
              </button>
            ))}
          </div>
        )}
        <LanguageSwitch />
      </div>
    </main>
  );
}
