import { useId, useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { AccountQuery, CreateApiKeyMutation, RevokeApiKeyMutation } from '../api/operations';
import { useI18n } from '../i18n/i18n';
import { errorMessage } from '../ui/error-message';

const SCOPES = ['chat', 'models'] as const;

/** A partner's API keys: a new key is shown once, right after it is made; keys are listed by name and revoked. */
export function ApiKeys() {
  const { t, formatDate } = useI18n();
  const [{ data }] = useQuery({ query: AccountQuery });
  const [, create] = useMutation(CreateApiKeyMutation);
  const [, revoke] = useMutation(RevokeApiKeyMutation);
  const [created, setCreated] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const nameId = useId();

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    const scopes = SCOPES.filter((scope) => form.get(`scope-${scope}`) === 'on');
    const result = await create({ name: String(form.get('name') ?? '').trim(), scopes: scopes.length ? [...scopes] : null });
    if (result.error || !result.data) return setMessage(errorMessage(result.error, t));
    setCreated(result.data.createApiKey.key);
    setMessage(null);
    formElement.reset();
  };

  return (
    <div className="stack">
      <form className="form-grid" onSubmit={(event) => void submit(event)} aria-labelledby="new-key-title">
        <h2 id="new-key-title">{t('keys.create')}</h2>
        <label htmlFor={nameId}>{t('keys.name')}</label>
        <input id={nameId} name="name" required maxLength={100} />
        <fieldset>
          <legend>{t('keys.scopes')}</legend>
          {SCOPES.map((scope) => (
            <label key={scope}>
              <input type="checkbox" name={`scope-${scope}`} defaultChecked /> {scope}
            </label>
          ))}
        </fieldset>
        <button type="submit" className="primary">
          {t('keys.create')}
        </button>
      </form>
      {created && (
        <div className="secret" role="status">
          <p>{t('keys.shownOnce')}</p>
          <code data-testid="new-api-key">{created}</code>
          <button type="button" onClick={() => void navigator.clipboard?.writeText(created)}>
            {t('markdown.copy')}
          </button>
        </div>
      )}
      {message && (
        <p role="alert" className="error">
          {message}
        </p>
      )}
      <section aria-labelledby="keys-title">
        <h2 id="keys-title">{t('keys.title')}</h2>
        {data?.me?.apiKeys.length === 0 && <p className="muted">{t('keys.none')}</p>}
        <ul className="table-list">
          {(data?.me?.apiKeys ?? []).map((key) => (
            <li key={key.id}>
              <span>
                <strong>{key.name}</strong> <span className="muted">{key.scopes.join(', ')}</span>
                <br />
                <span className="muted small">
                  {t('keys.createdAt', { when: formatDate(key.createdAt) })}
                  {key.lastUsedAt ? ` · ${t('settings.lastUsed', { when: formatDate(key.lastUsedAt) })}` : ''}
                </span>
              </span>
              <button
                type="button"
                aria-label={t('keys.revokeNamed', { name: key.name })}
                onClick={() => void revoke({ id: key.id }).then((result) => result.error && setMessage(errorMessage(result.error, t)))}
              >
                {t('settings.revoke')}
              </button>
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}
