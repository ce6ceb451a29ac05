/**
 * /traces/<id> until the trace view exists: says so plainly and offers the one useful thing available now,
 * a log search for the trace id.
 */
import { Link, useLocation } from '../../lib/router.js';
import { EmptyState } from '../States.js';

export function TracePlaceholder({ traceId }: { traceId: string }) {
  const { search } = useLocation();
  const q = new URLSearchParams(search).get('q') || `{job=~".+"} |= "${traceId}"`;
  return (
    <div className="page">
      <header className="page-header">
        <div>
          <h1>Trace</h1>
          <p className="page-subtitle mono">{traceId}</p>
        </div>
      </header>
      <section className="card">
        <EmptyState title="The trace view is not available yet" icon="traces">
          <p>Sextant does not store traces yet, so this trace cannot be shown. You can search the logs for lines that carry this trace id:</p>
          <p>
            <Link className="btn btn-primary" href={`/logs?${new URLSearchParams({ query: q })}`} data-testid="trace-log-search">
              Search logs for {traceId}
            </Link>
          </p>
        </EmptyState>
      </section>
    </div>
  );
}
