/** Values flowing through the evaluator: every instant vector is evaluated over all steps at once. */
import { labelsKey, type Labels } from '../../model/labels.js';
import { PromQLError } from './errors.js';

/** One series of an instant-vector result over the step grid; `present[i]` says whether step i has a sample. */
export interface StepSeries {
  labels: Labels;
  values: Float64Array;
  present: Uint8Array;
}

/** Raw samples of a range vector (a matrix result of an instant query, or a subquery's output). */
export interface RangeSeries {
  labels: Labels;
  timestamps: Float64Array;
  values: Float64Array;
}

export type EvalValue =
  | { type: 'vector'; series: StepSeries[] }
  | { type: 'scalar'; values: Float64Array }
  | { type: 'string'; value: string }
  | { type: 'matrix'; series: RangeSeries[] };

export const DUPLICATE_LABELSET = 'vector cannot contain metrics with the same labelset';

/**
 * Collects output series keyed by label set. Two inputs that end up with the same labels share a slot; if both
 * have a value at the same step, that is Prometheus's "same labelset" error.
 */
export class SeriesBuilder {
  private readonly byKey = new Map<string, number>();
  readonly series: StepSeries[] = [];

  constructor(private readonly steps: number) {}

  slot(labels: Labels, key: string = labelsKey(labels)): number {
    let i = this.byKey.get(key);
    if (i === undefined) {
      i = this.series.length;
      this.byKey.set(key, i);
      this.series.push({ labels, values: new Float64Array(this.steps), present: new Uint8Array(this.steps) });
    }
    return i;
  }

  set(slot: number, step: number, v: number): void {
    const s = this.series[slot];
    if (s.present[step]) throw new PromQLError('execution', DUPLICATE_LABELSET);
    s.present[step] = 1;
    s.values[step] = v;
  }

  isSet(slot: number, step: number): boolean {
    return this.series[slot].present[step] === 1;
  }

  /** Series with at least one value. */
  result(): StepSeries[] {
    return this.series.filter((s) => hasAny(s.present));
  }
}

export function hasAny(p: Uint8Array): boolean {
  for (let i = 0; i < p.length; i++) if (p[i]) return true;
  return false;
}

/** Go's math.Pow special cases where they differ from JavaScript's `**`. */
export function goPow(x: number, y: number): number {
  if (y === 0 || x === 1) return 1;
  if ((x === -1) && (y === Infinity || y === -Infinity)) return 1;
  return Math.pow(x, y);
}

/** Neumaier-compensated summation step, as Prometheus's kahanSumInc. Returns [sum, c] via the scratch array. */
export function kahanInc(inc: number, acc: Float64Array): void {
  const sum = acc[0];
  const t = sum + inc;
  if (Math.abs(sum) >= Math.abs(inc)) acc[1] += sum - t + inc;
  else acc[1] += inc - t + sum;
  acc[0] = t;
}
