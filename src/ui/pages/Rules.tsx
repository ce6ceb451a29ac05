/** Rules: every rule group with its rules' health, last evaluation, evaluation time and last error. */
import { humanizeSeconds, relativeTime } from '../lib/format.js';
import { usePolledApi } from '../lib/use-api.js';
import { EmptyState, LoadStatus } from '../components/States.js';
import { LabelChips } from '../components/alerting/LabelChips.js';
import type { RulesData } from '../components/alerting/rules-api.js';
import '../components/alerting/alerting.css';

export function RulesPage() {
  const [rules, , now] = usePolledApi<RulesData>('rules');
  const groups = rules.state === 'ok' ? rules.data.groups : [];
  const total = groups.reduce((n, g) => n + g.rules.length, 0);
  const errors = groups.reduce((n, g) => n + g.rules.filter((r) => r.health === 'err').length, 0);
  return (
    <div className="page">
      <header className="page-header">
        <div>
          <h1>Rules</h1>
          <p className="page-subtitle">
            {rules.state === 'ok' ? (
              <>
                {groups.length} groups · {total} rules
                {errors > 0 && (
                  <>
                    {' '}· <span className="text-danger">{errors} failing</span>
                  </>
                )}
              </>
            ) : (
              'Recording and alerting rules, and how their evaluation is going'
            )}
          </p>
        </div>
      </header>
      <LoadStatus value={rules} loading="Loading rules…" errorTitle="Could not load rules" />
      {rules.state === 'ok' && groups.length === 0 && (
        <div className="card">
          <EmptyState title="No rules loaded" icon="list">
            <p>
              Add <code>rule_files</code> to your configuration; Prometheus rule files load unchanged.
            </p>
          </EmptyState>
        </div>
      )}
      {groups.map((g) => (
        <section key={`${g.file}\u0000${g.name}`} className="card pool" data-testid="rule-group">
          <div className="pool-header">
            <h2>
              {g.name}
              <span className="rule-file mono">{g.file}</span>
            </h2>
            <span className="muted small">
              every {humanizeSeconds(g.interval)} · last {relativeTime(g.lastEvaluation, now)} · took {humanizeSeconds(g.evaluationTime)}
            </span>
          </div>
          <div className="table-wrap">
            <table className="data-table">
              <thead>
                <tr>
                  <th>Rule</th>
                  <th>Health</th>
                  <th>Last evaluation</th>
                  <th className="num">Evaluation time</th>
                </tr>
              </thead>
              <tbody>
                {g.rules.map((r) => (
                  <tr key={r.name + r.query} data-testid="rule-row">
                    <td>
                      <div>
                        <span className="muted small">{r.type === 'alerting' ? 'alert' : 'record'}:</span>{' '}
                        <span className="mono" data-testid="rule-name">{r.name}</span>
                      </div>
                      <div className="rule-query">{r.query}</div>
                      {r.labels && Object.keys(r.labels).length > 0 && <LabelChips labels={r.labels} />}
                      {r.lastError && (
                        <div className="target-error" data-testid="rule-error">
                          {r.lastError}
                        </div>
                      )}
                    </td>
                    <td>
                      <span className={`badge badge-${r.health}`} data-testid="rule-health">
                        <span className="dot" />
                        {r.health.toUpperCase()}
                      </span>
                    </td>
                    <td className="nowrap" title={r.lastEvaluation}>
                      {relativeTime(r.lastEvaluation, now)}
                    </td>
                    <td className="num nowrap">{humanizeSeconds(r.evaluationTime)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      ))}
    </div>
  );
}
