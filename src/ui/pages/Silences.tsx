/**
 * Silences of the built-in Alertmanager: list with state, matchers, author, comment and times; expire;
 * create (the form opens prefilled when reached from an alert's "Silence" button).
 */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { useLocation, navigate } from '../lib/router.js';
import { relativeTime } from '../lib/format.js';
import { EmptyState, ErrorState, LoadStatus } from '../components/States.js';
import { createSilence, expireSilence, listSilences, matcherText, parseMatcherLines, type GettableSilence } from '../components/alerting/am-api.js';
import '../components/alerting/alerting.css';

type Load = { state: 'loading' } | { state: 'error'; message: string } | { state: 'ok'; data: GettableSilence[] };

export function SilencesPage() {
  const { search } = useLocation();
  const prefill = new URLSearchParams(search).get('matchers');
  const [list, setList] = useState<Load>({ state: 'loading' });
  const [tick, setTick] = useState(0);
  const [now, setNow] = useState(() => Date.now());
  const [showExpired, setShowExpired] = useState(false);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  useEffect(() => {
    const ctl = new AbortController();
    listSilences(ctl.signal)
      .then((data) => {
        setList({ state: 'ok', data });
        setNow(Date.now());
      })
      .catch((e: unknown) => {
        if (!ctl.signal.aborted) setList({ state: 'error', message: e instanceof Error ? e.message : String(e) });
      });
    return () => ctl.abort();
  }, [tick]);

  const all = list.state === 'ok' ? list.data : [];
  const shown = all.filter((s) => showExpired || s.status.state !== 'expired');
  const active = all.filter((s) => s.status.state === 'active').length;

  return (
    <div className="page">
      <header className="page-header">
        <div>
          <h1>Silences</h1>
          <p className="page-subtitle">{list.state === 'ok' ? `${active} active · ${all.length} total` : 'Mute notifications for matching alerts for a while'}</p>
        </div>
      </header>
      <NewSilence key={prefill ?? ''} initialMatchers={prefill ?? ''} onCreated={() => {
        navigate('/silences', true);
        reload();
      }} />
      <div className="toolbar">
        <label className="checkbox">
          <input type="checkbox" checked={showExpired} onChange={(e) => setShowExpired(e.target.checked)} />
          Show expired
        </label>
      </div>
      <LoadStatus value={list} loading="Loading silences…" errorTitle="Could not load silences" />
      {list.state === 'ok' && shown.length === 0 && (
        <div className="card">
          <EmptyState title="No silences" icon="clock">
            <p>Create one above, or from an alert on the Alerts page.</p>
          </EmptyState>
        </div>
      )}
      {shown.length > 0 && (
        <section className="card">
          <div className="table-wrap">
            <table className="data-table">
              <thead>
                <tr>
                  <th>State</th>
                  <th>Matchers</th>
                  <th>Created by</th>
                  <th>Comment</th>
                  <th>Ends</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {shown.map((s) => (
                  <SilenceRow key={s.id} s={s} now={now} onChange={reload} />
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}
    </div>
  );
}

function SilenceRow({ s, now, onChange }: { s: GettableSilence; now: number; onChange: () => void }) {
  const [error, setError] = useState('');
  return (
    <tr data-testid="silence-row" data-silence-id={s.id}>
      <td>
        <span className={`badge badge-${s.status.state}`} data-testid="silence-state">
          <span className="dot" />
          {s.status.state.toUpperCase()}
        </span>
      </td>
      <td>
        <div className="label-chips">
          {s.matchers.map((m) => (
            <span key={matcherText(m)} className="chip mono">
              {matcherText(m)}
            </span>
          ))}
        </div>
      </td>
      <td>{s.createdBy}</td>
      <td>{s.comment}</td>
      <td className="nowrap" title={s.endsAt}>
        {s.status.state === 'expired' ? `ended ${relativeTime(s.endsAt, now)}` : relativeTime(s.endsAt, now)}
        {s.status.state === 'pending' && <div className="muted small">starts {relativeTime(s.startsAt, now)}</div>}
      </td>
      <td>
        {s.status.state !== 'expired' && (
          <button
            type="button"
            className="btn btn-small"
            data-testid="expire-silence"
            onClick={() => {
              expireSilence(s.id).then(onChange, (e: unknown) => setError(e instanceof Error ? e.message : String(e)));
            }}
          >
            Expire
          </button>
        )}
        {error && <div className="target-error">{error}</div>}
      </td>
    </tr>
  );
}

const DURATION_RE = /^(\d+)([mhdw])$/;
const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

function NewSilence({ initialMatchers, onCreated }: { initialMatchers: string; onCreated: () => void }) {
  const [open, setOpen] = useState(initialMatchers !== '');
  const [matchers, setMatchers] = useState(initialMatchers);
  const [duration, setDuration] = useState('2h');
  const [createdBy, setCreatedBy] = useState(() => localStorage.getItem('sextant.silence.author') ?? '');
  const [comment, setComment] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  if (!open) {
    return (
      <div className="toolbar">
        <button type="button" className="btn btn-primary" onClick={() => setOpen(true)} data-testid="new-silence">
          New silence
        </button>
      </div>
    );
  }
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setError('');
    let parsed;
    try {
      parsed = parseMatcherLines(matchers);
    } catch (err) {
      setError((err as Error).message);
      return;
    }
    const d = DURATION_RE.exec(duration.trim());
    if (!d) {
      setError('Duration must look like 30m, 2h, 1d or 1w');
      return;
    }
    const start = Date.now();
    setBusy(true);
    localStorage.setItem('sextant.silence.author', createdBy);
    createSilence({ matchers: parsed, startsAt: new Date(start).toISOString(), endsAt: new Date(start + Number(d[1]) * UNIT_MS[d[2]]).toISOString(), createdBy, comment })
      .then(() => {
        setOpen(false);
        setMatchers('');
        setComment('');
        onCreated();
      })
      .catch((err: unknown) => setError(err instanceof Error ? err.message : String(err)))
      .finally(() => setBusy(false));
  };
  return (
    <section className="card">
      <form
        className="silence-form"
        onSubmit={submit}
        data-testid="silence-form"
        onKeyDown={(e) => {
          // The keys every other form of the UI has: Ctrl/⌘+Enter submits (Enter in the matchers is a new line), Esc cancels.
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
            e.preventDefault();
            e.currentTarget.requestSubmit();
          } else if (e.key === 'Escape') {
            e.preventDefault();
            setOpen(false);
          }
        }}
      >
        <h2>New silence</h2>
        <label>
          Matchers (one per line: name="value", name=~"regex", name!="value")
          <textarea value={matchers} onChange={(e) => setMatchers(e.target.value)} aria-label="Matchers" data-testid="silence-matchers" />
        </label>
        <div className="row">
          <label>
            Duration
            <input value={duration} onChange={(e) => setDuration(e.target.value)} aria-label="Duration" />
          </label>
          <label>
            Created by
            <input value={createdBy} onChange={(e) => setCreatedBy(e.target.value)} aria-label="Created by" required />
          </label>
        </div>
        <label>
          Comment
          <input value={comment} onChange={(e) => setComment(e.target.value)} aria-label="Comment" required />
        </label>
        {error && <ErrorState title="Could not create the silence" message={error} />}
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={busy} data-testid="create-silence">
            Create
          </button>
          <button type="button" className="btn" onClick={() => setOpen(false)}>
            Cancel
          </button>
          <span className="query-hint">
            <kbd>Ctrl</kbd>/<kbd>⌘</kbd>+<kbd>Enter</kbd> to create · <kbd>Esc</kbd> to cancel
          </span>
        </div>
      </form>
    </section>
  );
}
