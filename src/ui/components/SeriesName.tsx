/** A series' label set with the metric name emphasised and label names/values coloured like PromQL. */
import type { LabelSet } from '../lib/format.js';

export function SeriesName({ metric }: { metric: LabelSet }) {
  const name = metric.__name__;
  const labels = Object.keys(metric)
    .filter((k) => k !== '__name__')
    .sort();
  return (
    <span className="series-name mono">
      {name && <span className="metric-name">{name}</span>}
      {(labels.length > 0 || !name) && <span className="punct">{'{'}</span>}
      {labels.map((k, i) => (
        <span key={k} className="label-pair">
          <span className="label-name">{k}</span>
          <span className="punct">=</span>
          <span className="label-value">"{metric[k]}"</span>
          {i < labels.length - 1 && <span className="punct">, </span>}
        </span>
      ))}
      {(labels.length > 0 || !name) && <span className="punct">{'}'}</span>}
    </span>
  );
}
