import { useId, useRef, useState, type KeyboardEvent } from 'react';
import type { WebModelsQuery } from '../generated/graphql';
import { useI18n } from '../i18n/i18n';
import { ModelPicker } from '../models/ModelPicker';

export interface ComposerSubmit {
  content: string;
  /** One model (or none: the user's default), or 2–3 to compare. */
  models: string[];
}

/** The longest question the chat service takes (its limit on sendMessage content). */
const MAX_QUESTION = 32_000;
const MAX_COMPARED = 3;

/**
 * Where a question is written. Enter sends (Shift+Enter a new line), Escape
 * stops the reply being generated; "Compare" sends the question to up to
 * three models at once.
 */
export function Composer({
  models,
  model,
  onModel,
  generating,
  onStop,
  onSubmit,
  error,
}: {
  models: WebModelsQuery['models'];
  model: string | null;
  onModel(model: string): void;
  generating: boolean;
  onStop(): void;
  onSubmit(submit: ComposerSubmit): Promise<boolean>;
  error: string | null;
}) {
  const { t } = useI18n();
  const [text, setText] = useState('');
  const [compare, setCompare] = useState(false);
  const [compared, setCompared] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLTextAreaElement>(null);
  const inputId = useId();
  const chosen = compare ? compared : model ? [model] : [];
  const canSend = text.trim() !== '' && !busy && (!compare || compared.length >= 2);

  const send = async () => {
    if (!canSend) return;
    setBusy(true);
    const sent = await onSubmit({ content: text, models: chosen });
    setBusy(false);
    if (sent) {
      setText('');
      setCompare(false);
      setCompared([]);
    }
    input.current?.focus();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      void send();
    } else if (event.key === 'Escape' && generating) {
      event.preventDefault();
      onStop();
    }
  };

  return (
    <form
      className="composer"
      onSubmit={(event) => {
        event.preventDefault();
        void send();
      }}
    >
      <div className="composer-options">
        {!compare && <ModelPicker models={models} value={model} onChange={onModel} />}
        <button type="button" aria-pressed={compare} onClick={() => setCompare(!compare)}>
          {t('compare.toggle')}
        </button>
      </div>
      {compare && (
        <fieldset className="compare-choice">
          <legend>{t('compare.choose', { max: MAX_COMPARED })}</legend>
          {models.map((option) => {
            const checked = compared.includes(option.id);
            return (
              <label key={option.id}>
                <input
                  type="checkbox"
                  checked={checked}
                  disabled={!checked && compared.length >= MAX_COMPARED}
                  onChange={() => setCompared(checked ? compared.filter((id) => id !== option.id) : [...compared, option.id])}
                />
                {option.displayName}
                {option.development && <span className="badge">{t('models.development')}</span>}
              </label>
            );
          })}
        </fieldset>
      )}
      <label htmlFor={inputId} className="visually-hidden">
        {t('chat.question')}
      </label>
      <div className="composer-row">
        <textarea
          id={inputId}
          ref={input}
          value={text}
          rows={2}
          maxLength={MAX_QUESTION}
          placeholder={t('chat.placeholder')}
          onChange={(event) => setText(event.target.value)}
          onKeyDown={onKeyDown}
          autoFocus
        />
        {generating ? (
          <button type="button" className="danger" onClick={onStop} title={t('shortcuts.stop')}>
            {t('chat.stop')}
          </button>
        ) : (
          <button type="submit" className="primary" disabled={!canSend} title={t('shortcuts.send')}>
            {t('chat.send')}
          </button>
        )}
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
