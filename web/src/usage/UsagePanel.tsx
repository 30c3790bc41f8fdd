import { useQuery } from 'urql';
import { BudgetQuery } from '../api/operations';
import { useI18n } from '../i18n/i18n';
import { BudgetMeter } from './BudgetMeter';

/** The user's budget and what they used over the last 30 days, by model. */
export function UsagePanel() {
  const { t, formatUsd } = useI18n();
  const [{ data }] = useQuery({ query: BudgetQuery, requestPolicy: 'cache-and-network' });
  const usage = data?.myUsage;
  return (
    <div className="stack">
      <section aria-labelledby="budget-title">
        <h2 id="budget-title">{t('usage.budget')}</h2>
        <BudgetMeter />
      </section>
      {usage && (
        <section aria-labelledby="usage-title">
          <h2 id="usage-title">{t('usage.last30Days')}</h2>
          <p>
            {t('usage.summary', {
              requests: usage.requests,
              prompt: usage.promptTokens,
              completion: usage.completionTokens,
              cost: formatUsd(usage.costUsd),
            })}
          </p>
          <table>
            <thead>
              <tr>
                <th scope="col">{t('models.model')}</th>
                <th scope="col">{t('usage.requests')}</th>
                <th scope="col">{t('usage.cost')}</th>
              </tr>
            </thead>
            <tbody>
              {usage.byModel.map((row) => (
                <tr key={row.model}>
                  <td>{row.model}</td>
                  <td>{row.requests}</td>
                  <td>{formatUsd(row.costUsd)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </div>
  );
}
