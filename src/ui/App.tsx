/** The app shell: sidebar navigation, theme switch, and the page for the current route. */
import { useEffect, useState, type ReactNode } from 'react';
import { Link, useLocation } from './lib/router.js';
import { applyTheme, loadTheme, type ThemeChoice } from './lib/theme.js';
import { Logo } from './components/Logo.js';
import { Icon, type IconName } from './components/Icon.js';
import { ExplorePage } from './pages/Explore.js';
import { TargetsPage } from './pages/Targets.js';
import { StatusPage } from './pages/Status.js';
import { LogsPage } from './pages/Logs.js';
import { TracesPage } from './pages/Traces.js';
import { TracesDetailPage } from './pages/TracesDetail.js';
import { ServiceMapPage } from './pages/ServiceMap.js';
import { AlertsPage } from './pages/Alerts.js';
import { RulesPage } from './pages/Rules.js';
import { SilencesPage } from './pages/Silences.js';

interface NavItem {
  path: string;
  label: string;
  icon: IconName;
  /** Sections not built yet are listed so the shape of the product is visible, but disabled. */
  soon?: boolean;
}

const NAV: readonly NavItem[] = [
  { path: '/explore', label: 'Explore', icon: 'explore' },
  { path: '/logs', label: 'Logs', icon: 'logs' },
  { path: '/traces', label: 'Traces', icon: 'traces' },
  { path: '/service-map', label: 'Service map', icon: 'map' },
  { path: '/alerts', label: 'Alerts', icon: 'alerts' },
  { path: '/rules', label: 'Rules', icon: 'list' },
  { path: '/silences', label: 'Silences', icon: 'clock' },
  { path: '/targets', label: 'Targets', icon: 'targets' },
  { path: '/status', label: 'Status', icon: 'status' },
];
const LATER: readonly NavItem[] = [];

/** Paths Prometheus' own UI uses, so old bookmarks land on the right page. */
function routeFor(pathname: string): string {
  const p = pathname.replace(/\/+$/, '') || '/';
  if (p === '/' || p === '/graph' || p === '/query' || p === '/explore') return '/explore';
  if (p === '/targets') return '/targets';
  if (p === '/status' || p === '/flags' || p === '/config' || p === '/tsdb-status') return '/status';
  return p;
}

export function App() {
  const { pathname } = useLocation();
  const route = routeFor(pathname);
  let page: ReactNode;
  switch (route) {
    case '/explore':
      page = <ExplorePage />;
      break;
    case '/targets':
      page = <TargetsPage />;
      break;
    case '/status':
      page = <StatusPage />;
      break;
    case '/logs':
      page = <LogsPage />;
      break;
    case '/traces':
      page = <TracesPage />;
      break;
    case '/alerts':
      page = <AlertsPage />;
      break;
    case '/rules':
      page = <RulesPage />;
      break;
    case '/silences':
      page = <SilencesPage />;
      break;
    case '/service-map':
      page = <ServiceMapPage />;
      break;
    default:
      page = route.startsWith('/traces/') ? <TracesDetailPage traceId={decodeURIComponent(route.slice('/traces/'.length))} /> : <NotFound pathname={pathname} />;
  }
  useEffect(() => {
    const item = [...NAV, ...LATER].find((n) => n.path === route);
    document.title = item ? `${item.label} · Sextant` : 'Sextant';
  }, [route]);

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <nav className="sidebar" aria-label="Main">
        <Link href="/explore" className="brand" aria-label="Sextant home">
          <Logo />
          <span className="brand-name">Sextant</span>
        </Link>
        <ul className="nav-list">
          {NAV.map((item) => (
            <li key={item.path}>
              <Link href={item.path} className={`nav-item${route === item.path ? ' active' : ''}`} aria-current={route === item.path ? 'page' : undefined}>
                <Icon name={item.icon} />
                <span>{item.label}</span>
              </Link>
            </li>
          ))}
        </ul>
        {LATER.length > 0 && <div className="nav-group-label">Coming soon</div>}
        <ul className="nav-list">
          {LATER.map((item) => (
            <li key={item.path}>
              <span className="nav-item disabled" aria-disabled="true" title={`${item.label} are not available yet`}>
                <Icon name={item.icon} />
                <span>{item.label}</span>
              </span>
            </li>
          ))}
        </ul>
        <div className="sidebar-footer">
          <ThemeSwitch />
        </div>
      </nav>
      <main id="main" className="main" tabIndex={-1}>
        {page}
      </main>
    </div>
  );
}

const THEME_LABEL: Record<ThemeChoice, string> = { system: 'System', light: 'Light', dark: 'Dark' };
const THEME_ICON: Record<ThemeChoice, IconName> = { system: 'monitor', light: 'sun', dark: 'moon' };

function ThemeSwitch() {
  const [choice, setChoice] = useState<ThemeChoice>(() => loadTheme());
  const next: ThemeChoice = choice === 'system' ? 'light' : choice === 'light' ? 'dark' : 'system';
  return (
    <button
      type="button"
      className="theme-switch"
      onClick={() => {
        applyTheme(next);
        setChoice(next);
      }}
      title={`Theme: ${THEME_LABEL[choice]} (click for ${THEME_LABEL[next]})`}
    >
      <Icon name={THEME_ICON[choice]} />
      <span>{THEME_LABEL[choice]} theme</span>
    </button>
  );
}

function NotFound({ pathname }: { pathname: string }) {
  return (
    <div className="page">
      <div className="empty-state">
        <h2>Page not found</h2>
        <p>
          Nothing lives at <code>{pathname}</code>. Try <Link href="/explore">Explore</Link> to query metrics.
        </p>
      </div>
    </div>
  );
}
