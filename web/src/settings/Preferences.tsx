import { useId, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { LanguagesQuery, ModelsQuery, UpdateSettingsMutation, ViewerQuery } from '../api/operations';
import { useI18n } from '../i18n/i18n';
import { ModelPicker } from '../models/ModelPicker';
import { errorMessage } from '../ui/error-message';
import { applyTheme, usePreference, writePreference, type Theme } from '../ui/preferences';
import { LanguageSwitch } from './LanguageSwitch';

/** The account's settings (kept by the graph: language, default model, auto-translate) and this browser's (theme, interface language). */
export function Preferences() {
  const { t } = useI18n();
  const [{ data: viewer }] = useQuery({ query: ViewerQuery });
  const [{ data: languages }] = useQuery({ query: LanguagesQuery });
  const [{ data: models }] = useQuery({ query: ModelsQuery });
  const [, update] = useMutation(UpdateSettingsMutation);
  const [status, setStatus] = useState<string | null>(null);
  const theme = (usePreference('theme') as Theme | null) ?? 'system';
  const ids = { language: useId(), auto: useId(), theme: useId() };
  const settings = viewer?.me?.settings;
  // Shown as chosen at once; put back if the graph refuses it.
  const [autoTranslate, setAutoTranslate] = useState<boolean | null>(null);

  const save = async (input: { preferredLanguage?: string; defaultModel?: string; autoTranslate?: boolean }) => {
    const result = await update({ input });
    setStatus(result.error ? errorMessage(result.error, t) : t('settings.saved'));
  };

  return (
    <div className="form-grid">
      <label htmlFor={ids.language}>{t('settings.preferredLanguage')}</label>
      <select
        id={ids.language}
        value={settings?.preferredLanguage ?? ''}
        onChange={(event) => void save({ preferredLanguage: event.target.value })}
      >
        {(languages?.supportedLanguages ?? []).map((language) => (
          <option key={language.code} value={language.code}>
            {language.name} ({language.code})
          </option>
        ))}
      </select>

      <ModelPicker
        label={t('settings.defaultModel')}
        models={models?.models ?? []}
        value={settings?.defaultModel ?? null}
        onChange={(model) => void save({ defaultModel: model })}
      />

      <label htmlFor={ids.auto}>
        <input
          id={ids.auto}
          type="checkbox"
          checked={autoTranslate ?? settings?.autoTranslate ?? false}
          onChange={(event) => {
            const next = event.target.checked;
            setAutoTranslate(next);
            void save({ autoTranslate: next }).finally(() => setAutoTranslate(null));
          }}
        />{' '}
        {t('settings.autoTranslate')}
      </label>

      <label htmlFor={ids.theme}>{t('settings.theme')}</label>
      <select
        id={ids.theme}
        value={theme}
        onChange={(event) => {
          const next = event.target.value as Theme;
          writePreference('theme', next);
          applyTheme(next);
        }}
      >
        <option value="system">{t('settings.themeSystem')}</option>
        <option value="light">{t('settings.themeLight')}</option>
        <option value="dark">{t('settings.themeDark')}</option>
      </select>

      <LanguageSwitch />

      <section aria-labelledby="shortcuts-title" className="shortcuts">
        <h2 id="shortcuts-title">{t('shortcuts.title')}</h2>
        <dl>
          <dt>
            <kbd>Enter</kbd>
          </dt>
          <dd>{t('shortcuts.send')}</dd>
          <dt>
            <kbd>Shift</kbd>+<kbd>Enter</kbd>
          </dt>
          <dd>{t('shortcuts.newLine')}</dd>
          <dt>
            <kbd>Esc</kbd>
          </dt>
          <dd>{t('shortcuts.stop')}</dd>
          <dt>
            <kbd>Ctrl</kbd>/<kbd>⌘</kbd>+<kbd>Shift</kbd>+<kbd>O</kbd>
          </dt>
          <dd>{t('shortcuts.newChat')}</dd>
          <dt>
            <kbd>Ctrl</kbd>/<kbd>⌘</kbd>+<kbd>K</kbd>
          </dt>
          <dd>{t('shortcuts.search')}</dd>
        </dl>
      </section>
      {status && (
        <p role="status" className="muted">
          {status}
        </p>
      )}
    </div>
  );
}
