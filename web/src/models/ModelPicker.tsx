import { useId } from 'react';
import type { WebModelsQuery } from '../generated/graphql';
import { useI18n } from '../i18n/i18n';

/** The model for the next question: each with its health, development models marked. Empty: the user's default. */
export function ModelPicker({
  models,
  value,
  onChange,
  label,
}: {
  models: WebModelsQuery['models'];
  value: string | null;
  onChange(model: string): void;
  label?: string;
}) {
  const { t } = useI18n();
  const id = useId();
  return (
    <span className="model-picker">
      <label htmlFor={id}>{label ?? t('models.model')}</label>
      <select id={id} value={value ?? ''} onChange={(event) => onChange(event.target.value)}>
        <option value="">{t('models.default')}</option>
        {models.map((model) => (
          <option key={model.id} value={model.id}>
            {model.healthy ? '● ' : '○ '}
            {model.displayName}
            {model.development && !/development/i.test(model.displayName) ? ` (${t('models.development')})` : ''}
            {model.healthy ? '' : ` — ${t('models.unhealthy')}`}
          </option>
        ))}
      </select>
    </span>
  );
}
