/**
 * OTLP → Prometheus naming, as Prometheus's OTLP translator does it with suffixes on
 * (`http.server.duration` + unit `s` → `http_server_duration_seconds`). One deliberate narrowing: only ASCII
 * letters and digits count as name characters (Go's unicode.IsLetter also keeps other scripts, which then
 * produce names Prometheus itself refuses).
 */

export type OtlpMetricKind = 'gauge' | 'sum' | 'histogram' | 'exponential_histogram' | 'summary';

const UNIT_MAP: Readonly<Record<string, string>> = {
  // Time
  d: 'days',
  h: 'hours',
  min: 'minutes',
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  // Bytes
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  GiBy: 'gibibytes',
  TiBy: 'tibibytes',
  KBy: 'kilobytes',
  MBy: 'megabytes',
  GBy: 'gigabytes',
  TBy: 'terabytes',
  // SI
  m: 'meters',
  V: 'volts',
  A: 'amperes',
  J: 'joules',
  W: 'watts',
  g: 'grams',
  // Misc
  Cel: 'celsius',
  Hz: 'hertz',
  '1': '',
  '%': 'percent',
};

const PER_UNIT_MAP: Readonly<Record<string, string>> = {
  s: 'second',
  m: 'minute',
  h: 'hour',
  d: 'day',
  w: 'week',
  mo: 'month',
  y: 'year',
};

/** Splits on every run of characters that are not ASCII letters or digits. */
function tokens(s: string): string[] {
  return s.split(/[^A-Za-z0-9]+/).filter((t) => t !== '');
}

function cleanUp(s: string): string {
  return tokens(s).join('_');
}

/** Builds the Prometheus metric name for an OTLP metric. Returns '' when nothing usable is left. */
export function prometheusMetricName(name: string, unit: string, kind: OtlpMetricKind, isMonotonic: boolean, namespace = ''): string {
  let nameTokens = tokens(name);
  const unitTokens = unit.split('/', 2).length === 1 ? [unit] : [unit.slice(0, unit.indexOf('/')), unit.slice(unit.indexOf('/') + 1)];

  let mainUnit = '';
  let perUnit = '';
  const mainOtel = unitTokens[0].trim();
  if (mainOtel !== '' && !/[{}]/.test(mainOtel)) {
    mainUnit = cleanUp(UNIT_MAP[mainOtel] ?? mainOtel);
    if (nameTokens.includes(mainUnit)) mainUnit = '';
  }
  if (unitTokens.length > 1) {
    const perOtel = unitTokens[1].trim();
    if (perOtel !== '' && !/[{}]/.test(perOtel)) {
      const p = cleanUp(PER_UNIT_MAP[perOtel] ?? perOtel);
      if (p !== '') perUnit = 'per_' + p;
      if (nameTokens.includes(perUnit)) perUnit = '';
    }
  }
  if (mainUnit !== '') nameTokens.push(mainUnit);
  if (perUnit !== '') nameTokens.push(perUnit);

  if (kind === 'sum' && isMonotonic) nameTokens = [...nameTokens.filter((t) => t !== 'total'), 'total'];
  // Some receivers wrongly give counters of things unit "1", so only gauges become ratios (as upstream).
  if (unit === '1' && kind === 'gauge') nameTokens = [...nameTokens.filter((t) => t !== 'ratio'), 'ratio'];
  if (namespace !== '') nameTokens.unshift(namespace);

  let out = nameTokens.join('_');
  if (out !== '' && out[0] >= '0' && out[0] <= '9') out = '_' + out;
  return out;
}

/**
 * Attribute key → label name: every character outside [A-Za-z0-9_] becomes `_`; a leading digit gets
 * `key_`, a single leading underscore gets `key` (names starting `__` are reserved and left alone).
 */
export function prometheusLabelName(key: string): string {
  if (key === '') return key;
  let out = key.replace(/[^A-Za-z0-9_]/g, '_');
  if (out[0] >= '0' && out[0] <= '9') out = 'key_' + out;
  else if (out[0] === '_' && !out.startsWith('__')) out = 'key' + out;
  return out;
}

/** Go's strconv.FormatFloat(v, 'f', -1, 64), which Prometheus uses for `le` and `quantile`. */
export { formatFloatF } from '../../model/float-text.js';
