import { useQuery } from 'urql';
import { TranslationQuery } from '../api/operations';
import { useI18n } from '../i18n/i18n';
import { errorMessage } from '../ui/error-message';

/** A message in the reader's language, next to the original (never instead of it). */
export function TranslationBeside({ messageId, to }: { messageId: string; to: string }) {
  const { t } = useI18n();
  const [{ data, fetching, error }] = useQuery({ query: TranslationQuery, variables: { id: messageId, to } });
  const translation = data?.message?.translation;
  return (
    <aside className="translation" lang={to} aria-label={t('translation.label', { language: to })}>
      {fetching && !translation && <span className="muted">{t('translation.loading')}</span>}
      {error && <span className="error">{errorMessage(error, t)}</span>}
      {translation && (
        <>
          <p className="translation-text">{translation.text}</p>
          <p className="muted small">
            {t('translation.from', { from: translation.from, to: translation.to, provider: translation.provider })}
          </p>
        </>
      )}
    </aside>
  );
}
