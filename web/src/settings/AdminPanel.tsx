import { useQuery } from 'urql';
import { ModerationFlagsQuery, UsageReportQuery } from '../api/operations';
import { useI18n } from '../i18n/i18n';
import { errorMessage } from '../ui/error-message';

/** For admins: what moderation flagged, newest first, and everyone's usage over the last 30 days. */
export function AdminPanel() {
  const { t, formatDate, formatUsd } = useI18n();
  const [{ data: flags, error: flagsError }] = useQuery({ query: ModerationFlagsQuery, variables: { first: 50, after: null } });
  const [{ data: report, error: reportError }] = useQuery({ query: UsageReportQuery });
  return (
    <div className="stack">
      <section aria-labelledby="flags-title">
        <h2 id="flags-title">{t('admin.flags')}</h2>
        {flagsError && <p className="error">{errorMessage(flagsError, t)}</p>}
        {flags?.moderationFlags.edges.length === 0 && <p className="muted">{t('admin.noFlags')}</p>}
        <table>
          <thead>
            <tr>
              <th scope="col">{t('admin.when')}</th>
              <th scope="col">{t('admin.direction')}</th>
              <th scope="col">{t('admin.category')}</th>
              <th scope="col">{t('admin.action')}</th>
              <th scope="col">{t('admin.user')}</th>
            </tr>
          </thead>
          <tbody>
            {(flags?.moderationFlags.edges ?? []).map(({ node }) => (
              <tr key={node.id}>
                <td>{formatDate(node.createdAt)}</td>
                <td>{node.direction}</td>
                <td>{node.category}</td>
                <td>{node.action}</td>
                <td>
                  <code>{node.userId}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section aria-labelledby="report-title">
        <h2 id="report-title">{t('admin.usageReport')}</h2>
        {reportError && <p className="error">{errorMessage(reportError, t)}</p>}
        {report && (
          <>
            <p>{t('admin.totals', { requests: report.usageReport.requests, cost: formatUsd(report.usageReport.costUsd) })}</p>
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('admin.user')}</th>
                  <th scope="col">{t('usage.requests')}</th>
                  <th scope="col">{t('usage.cost')}</th>
                </tr>
              </thead>
              <tbody>
                {report.usageReport.byUser.map((row) => (
                  <tr key={row.user.id}>
                    <td>{row.user.email}</td>
                    <td>{row.requests}</td>
                    <td>{formatUsd(row.costUsd)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </section>
    </div>
  );
}
