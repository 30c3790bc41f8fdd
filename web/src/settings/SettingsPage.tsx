import { navigate } from '../app/router';
import { useServices } from '../app/app-context';
import { useI18n } from '../i18n/i18n';
import { AccountSettings } from './AccountSettings';
import { AdminPanel } from './AdminPanel';
import { ApiKeys } from './ApiKeys';
import { Preferences } from './Preferences';
import { UsagePanel } from '../usage/UsagePanel';

const TABS = ['preferences', 'account', 'usage', 'api-keys', 'admin'] as const;
type Tab = (typeof TABS)[number];

/** The user's settings, account, usage, API keys and, for admins, moderation and the usage report; one tab per path. */
export function SettingsPage({ tab }: { tab: string }) {
  const { t } = useI18n();
  const { session } = useServices();
  const state = session.state();
  const admin = state.status === 'signedIn' && state.user.roles.includes('admin');
  const tabs = TABS.filter((name) => name !== 'admin' || admin);
  const current: Tab = (tabs as readonly string[]).includes(tab) ? (tab as Tab) : 'preferences';
  return (
    <section className="settings" aria-labelledby="settings-title">
      <h1 id="settings-title">{t('settings.title')}</h1>
      <nav className="tabs" aria-label={t('settings.sections')}>
        {tabs.map((name) => (
          <a
            key={name}
            href={`/settings/${name}`}
            aria-current={name === current ? 'page' : undefined}
            onClick={(event) => {
              event.preventDefault();
              navigate(`/settings/${name}`);
            }}
          >
            {t(`settings.tab.${name}`)}
          </a>
        ))}
      </nav>
      <div className="settings-body">
        {current === 'preferences' && <Preferences />}
        {current === 'account' && <AccountSettings />}
        {current === 'usage' && <UsagePanel />}
        {current === 'api-keys' && <ApiKeys />}
        {current === 'admin' && admin && <AdminPanel />}
      </div>
    </section>
  );
}
