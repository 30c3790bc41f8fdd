import { useId, useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { AccountQuery, ChangePasswordMutation, RevokeSessionMutation } from '../api/operations';
import { useServices } from '../app/app-context';
import { useI18n } from '../i18n/i18n';
import { errorMessage } from '../ui/error-message';

/** Signed-in devices (each revocable), linked identities, and the password (changing it ends every session, this one too). */
export function AccountSettings() {
  const { t, formatDate } = useI18n();
  const { session } = useServices();
  const [{ data, error }] = useQuery({ query: AccountQuery, requestPolicy: 'cache-and-network' });
  const [, revoke] = useMutation(RevokeSessionMutation);
  const [, changePassword] = useMutation(ChangePasswordMutation);
  const [message, setMessage] = useState<string | null>(null);
  const ids = { current: useId(), next: useId() };

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const result = await changePassword({
      currentPassword: String(form.get('currentPassword') ?? ''),
      newPassword: String(form.get('newPassword') ?? ''),
    });
    if (result.error) return setMessage(errorMessage(result.error, t));
    session.ended(t('settings.passwordChanged'));
  };

  return (
    <div className="stack">
      <section aria-labelledby="sessions-title">
        <h2 id="sessions-title">{t('settings.sessions')}</h2>
        {error && <p className="error">{errorMessage(error, t)}</p>}
        <ul className="table-list">
          {(data?.me?.sessions ?? []).map((device) => (
            <li key={device.id}>
              <span>
                <strong>{device.userAgent ?? t('settings.unknownDevice')}</strong>
                {device.current && <span className="badge">{t('settings.thisDevice')}</span>}
                <br />
                <span className="muted small">{t('settings.lastUsed', { when: formatDate(device.lastUsedAt) })}</span>
              </span>
              <button
                type="button"
                onClick={() =>
                  void revoke({ id: device.id }).then((result) => {
                    if (result.error) setMessage(errorMessage(result.error, t));
                    else if (device.current) session.ended();
                  })
                }
              >
                {device.current ? t('auth.signOut') : t('settings.revoke')}
              </button>
            </li>
          ))}
        </ul>
      </section>
      {(data?.me?.linkedIdentities.length ?? 0) > 0 && (
        <section aria-labelledby="identities-title">
          <h2 id="identities-title">{t('settings.linkedIdentities')}</h2>
          <ul className="table-list">
            {data!.me!.linkedIdentities.map((identity) => (
              <li key={`${identity.provider}:${identity.email}`}>
                {identity.provider} — {identity.email}
              </li>
            ))}
          </ul>
        </section>
      )}
      <section aria-labelledby="password-title">
        <h2 id="password-title">{t('settings.changePassword')}</h2>
        <form className="form-grid" onSubmit={(event) => void submit(event)}>
          <label htmlFor={ids.current}>{t('settings.currentPassword')}</label>
          <input id={ids.current} name="currentPassword" type="password" autoComplete="current-password" required maxLength={256} />
          <label htmlFor={ids.next}>{t('settings.newPassword')}</label>
          <input id={ids.next} name="newPassword" type="password" autoComplete="new-password" required minLength={8} maxLength={256} />
          <button type="submit" className="primary">
            {t('settings.changePassword')}
          </button>
        </form>
      </section>
      {message && (
        <p role="status" className="muted">
          {message}
        </p>
      )}
    </div>
  );
}
