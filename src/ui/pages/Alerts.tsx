/**
 * Alerts: firing and pending alerts of every alerting rule, grouped by rule file and group, with labels,
 * annotations, active since and value; each alert links to a silence prefilled with its labels.
 */
import { useState } from 'react';
import { relativeTime } from '../lib/format.js';
import { usePolledApi } from '../lib/use-api.js';
import { Link } from '../lib/router.js';
import { Icon } from '../components/Icon.js';
import { EmptyState, LoadStatus } from '../components/States.js';
import { LabelChips } from '../components/alerting/LabelChips.js';
import { silenceLinkFor } from '../components/alerting/am-api.js';
import type { ApiRule, RuleGroup, RulesData } from '../components/alerting/rules-api.js';
import '../components/alerting/alerting.css';

export function AlertsPage() {
  const [rules, , now] = usePolledApi<RulesData>('rules', { type: 'alert' });
  const [showInactive, setShowInactive] = useState(false);

  const groups = rules.state === 'ok' ? rules.data.groups : [];
  const all = groups.flatMap((g) => g.rules.filter((r) => r.type === 'alerting'));
  const firing = all.reduce((n, r) => n + (r.alerts ?? []).filter((a) => a.state === 'firing').length, 0);
  const pending = all.reduce((n, r) => n + (r.alerts ?? []).filter((a) => a.state === 'pending').length, 0);
  const visible = groups
    .map((g) => ({ ...g, rules: g.rules.filter((r) => r.type === 'alerting' && (showInactive || (r.alerts ?? []).length > 0)) }))
    .filter((g) => g.rules.length > 0);

  return (
    <div className="page">
      <header className="page-header">
        <div>
          <h1>Alerts</h1>
          <p className="page-subtitle" data-testid="alerts-summary">
            {rules.state === 'ok' ? (
              <>
                {all.length} alerting rules · <span className="text-danger">{firing} firing</span> · {pending} pending
              </>
            ) : (
              'Firing and pending alerts of your alerting rules'
            )}
          </p>
        </div>
      </header>
      <div className="toolbar">
        <label className="checkbox">
          <input type="checkbox" checked={showInactive} onChange={(e) => setShowInactive(e.target.checked)} />
          Show inactive rules
        </label>
        <Link href="/silences" className="btn">
          Silences
        </Link>
      </div>
      <LoadStatus value={rules} loading="Loading alerts…" errorTitle="Could not load alerting rules" />
      {rules.state === 'ok' && visible.length === 0 && (
        <div className="card">
          <EmptyState title={all.length === 0 ? 'No alerting rules' : 'Nothing is firing or pending'} icon="alerts">
            <p>{all.length === 0 ? <>Add <code>rule_files</code> to your configuration to load alerting rules.</> : 'All alerting rules are inactive.'}</p>
          </EmptyState>
        </div>
      )}
      {visible.map((g) => (
        <GroupCard key={`${g.file}\u0000${g.name}`} group={g} now={now} />
      ))}
    </div>
  );
}

function GroupCard({ group, now }: { group: RuleGroup; now: number }) {
  return (
    <section className="card pool" data-testid="alert-group">
      <div className="pool-header">
        <h2>
          {group.name}
          <span className="rule-file mono">{group.file}</span>
        </h2>
      </div>
      {group.rules.map((r) => (
        <RuleAlerts key={r.name + r.query} rule={r} now={now} />
      ))}
    </section>
  );
}

function RuleAlerts({ rule, now }: { rule: ApiRule; now: number }) {
  const alerts = rule.alerts ?? [];
  const state = rule.state ?? 'inactive';
  return (
    <div className="table-wrap" data-testid="alert-rule">
      <table className="data-table">
        <thead>
          <tr>
            <th colSpan={5}>
              <span className={`badge badge-${state}`} data-testid="alert-rule-state">
                <span className="dot" />
                {state.toUpperCase()}
              </span>{' '}
              <span className="mono" data-testid="alert-rule-name">{rule.name}</span>{' '}
              <span className="muted small">({alerts.length} active)</span>
              <div className="rule-query">{rule.query}</div>
            </th>
          </tr>
        </thead>
        {alerts.length > 0 && (
          <tbody>
            {alerts.map((a) => (
              <tr key={JSON.stringify(a.labels)} data-testid="alert-row">
                <td>
                  <span className={`badge badge-${a.state}`}>
                    <span className="dot" />
                    {a.state.toUpperCase()}
                  </span>
                </td>
                <td className="labels-cell">
                  <LabelChips labels={a.labels} />
                  {Object.keys(a.annotations).length > 0 && (
                    <dl className="alert-annotations">
                      {Object.keys(a.annotations)
                        .sort()
                        .map((k) => (
                          <div key={k} style={{ display: 'contents' }}>
                            <dt>{k}</dt>
                            <dd data-testid={`annotation-${k}`}>{a.annotations[k]}</dd>
                          </div>
                        ))}
                    </dl>
                  )}
                </td>
                <td className="nowrap" title={a.activeAt} data-testid="alert-active-since">
                  active since {relativeTime(a.activeAt, now)}
                </td>
                <td className="num nowrap mono" data-testid="alert-value">
                  {a.value}
                </td>
                <td className="nowrap">
                  <Link href={silenceLinkFor(a.labels)} className="btn btn-small" data-testid="silence-alert">
                    <Icon name="clock" size={12} /> Silence
                  </Link>
                </td>
              </tr>
            ))}
          </tbody>
        )}
      </table>
    </div>
  );
}
