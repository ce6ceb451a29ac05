/** Instant-query results as a table: one row per series (sorted by label set) with its value. */
import { useMemo } from 'react';
import type { QueryData } from '../lib/api.js';
import { formatSeriesName } from '../lib/format.js';
import { SeriesName } from './SeriesName.js';

/** Rendering tens of thousands of DOM rows freezes the tab; show the first ones and say so. */
const MAX_ROWS = 2000;

export function ResultTable({ data }: { data: QueryData }) {
  const rows = useMemo(() => {
    switch (data.resultType) {
      case 'vector':
        return data.result
          .map((s) => ({ key: formatSeriesName(s.metric), metric: s.metric, value: s.value[1], extra: '' }))
          .sort((a, b) => a.key.localeCompare(b.key));
      case 'matrix':
        return data.result
          .map((s) => {
            const vals = s.values ?? [];
            return {
              key: formatSeriesName(s.metric),
              metric: s.metric,
              value: vals.map(([t, v]) => `${v} @${t}`).join('\n'),
              extra: `${vals.length} samples`,
            };
          })
          .sort((a, b) => a.key.localeCompare(b.key));
      case 'scalar':
      case 'string':
        return [{ key: data.resultType, metric: null, value: data.result[1], extra: '' }];
    }
  }, [data]);
  const shown = rows.slice(0, MAX_ROWS);
  return (
    <div className="table-wrap">
      <table className="data-table result-table" data-testid="result-table">
        <thead>
          <tr>
            <th>Series</th>
            <th className="num">Value</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((r) => (
            <tr key={r.key}>
              <td>{r.metric ? <SeriesName metric={r.metric} /> : <span className="muted">{r.key}</span>}</td>
              <td className="num mono value-cell">
                {r.value}
                {r.extra && <div className="muted small">{r.extra}</div>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length > MAX_ROWS && (
        <p className="table-note">
          Showing the first {MAX_ROWS} of {rows.length} series. Narrow the query with label matchers or aggregation to see the rest.
        </p>
      )}
    </div>
  );
}
