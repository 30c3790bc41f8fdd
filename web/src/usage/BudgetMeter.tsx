import { useQuery } from 'urql';
import { BudgetQuery } from '../api/operations';
import { useI18n } from '../i18n/i18n';

/** What the user may still spend today and this month, against their budget. */
export function BudgetMeter({ compact = false }: { compact?: boolean }) {
  const { t, formatUsd } = useI18n();
  const [{ data }] = useQuery({ query: BudgetQuery });
  const budget = data?.myBudget;
  if (!budget) return null;
  const today = Math.max(0, budget.dailyLimitUsd - budget.spentTodayUsd);
  const month = Math.max(0, budget.monthlyLimitUsd - budget.spentThisMonthUsd);
  if (compact) {
    return (
      <span className="budget-compact" title={t('usage.budgetTitle')}>
        {t('usage.remainingToday', { amount: formatUsd(today) })}
      </span>
    );
  }
  return (
    <dl className="budget">
      <Meter label={t('usage.today')} spent={budget.spentTodayUsd} limit={budget.dailyLimitUsd} remaining={today} />
      <Meter label={t('usage.thisMonth')} spent={budget.spentThisMonthUsd} limit={budget.monthlyLimitUsd} remaining={month} />
    </dl>
  );
}

function Meter({ label, spent, limit, remaining }: { label: string; spent: number; limit: number; remaining: number }) {
  const { t, formatUsd } = useI18n();
  return (
    <div className="meter">
      <dt>{label}</dt>
      <dd>
        <meter min={0} max={limit || 1} value={Math.min(spent, limit || 1)} aria-label={label} />
        <span>{t('usage.spentOf', { spent: formatUsd(spent), limit: formatUsd(limit), remaining: formatUsd(remaining) })}</span>
      </dd>
    </div>
  );
}
