/** The selected span: timing, status, attributes, events, links and resource, each as a key/value table. */
import { Link } from '../../lib/router.js';
import { useEscape } from '../../lib/use-escape.js';
import { formatMicros, serviceColor, type Attr, type UiSpan } from './trace-model.js';

function AttrTable({ title, attrs, testId }: { title: string; attrs: Attr[]; testId?: string }) {
  if (attrs.length === 0) return null;
  return (
    <div className="span-section" data-testid={testId}>
      <h3>{title}</h3>
      <KvTable attrs={attrs} />
    </div>
  );
}

function KvTable({ attrs }: { attrs: Attr[] }) {
  return (
    <table className="kv-table">
      <tbody>
        {attrs.map((a) => (
          <tr key={a.key}>
            <th className="mono">{a.key}</th>
            <td className="mono">{a.value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function SpanDetails({ span, traceId, onClose }: { span: UiSpan; traceId: string; onClose(): void }) {
  useEscape(onClose);
  return (
    <aside className="card span-details" aria-label={`Span ${span.name}`} data-testid="span-details">
      <header className="span-details-header">
        <div>
          <div className="span-details-title">
            <span className="swatch" style={{ background: serviceColor(span.service) }} />
            <strong>{span.service}</strong> <span className="mono">{span.name}</span>
          </div>
          <div className="muted small mono">
            span {span.id} · {span.kind} · starts at {formatMicros(span.start)} · took {formatMicros(span.duration)}
            {span.error && <span className="badge badge-danger">error{span.statusMessage ? `: ${span.statusMessage}` : ''}</span>}
          </div>
        </div>
        <button type="button" className="btn btn-small" onClick={onClose} aria-label="Close span details" title="Close (Esc)">
          Close
        </button>
      </header>
      <AttrTable title="Attributes" attrs={span.attributes} testId="span-attributes" />
      {span.events.length > 0 && (
        <div className="span-section" data-testid="span-events">
          <h3>Events</h3>
          {span.events.map((e, i) => (
            <div key={i} className="span-event">
              <div>
                <span className="mono">{formatMicros(e.at)}</span> <strong>{e.name}</strong>
              </div>
              {e.attributes.length > 0 && <KvTable attrs={e.attributes} />}
            </div>
          ))}
        </div>
      )}
      {span.links.length > 0 && (
        <div className="span-section" data-testid="span-links">
          <h3>Links</h3>
          <ul className="plain-list">
            {span.links.map((l) => (
              <li key={`${l.traceId}-${l.spanId}`} className="mono">
                {l.traceId === traceId ? (
                  <span>span {l.spanId} in this trace</span>
                ) : (
                  <Link href={`/traces/${l.traceId}`}>
                    trace {l.traceId} · span {l.spanId}
                  </Link>
                )}
              </li>
            ))}
          </ul>
        </div>
      )}
      <AttrTable title="Resource" attrs={span.resource} testId="span-resource" />
      {span.scope && <div className="muted small">Instrumentation scope: {span.scope}</div>}
    </aside>
  );
}
