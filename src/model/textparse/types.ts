/** What the exposition parsers produce. Shared by the text (0.0.4) and OpenMetrics (1.0) parsers. */
import type { Labels } from '../labels.js';

export type ExpositionFormat = 'text' | 'openmetrics';

/** Metric family types. The text format's `untyped` is reported as `unknown`, as Prometheus does. */
export type MetricType = 'counter' | 'gauge' | 'histogram' | 'gaugehistogram' | 'summary' | 'info' | 'stateset' | 'unknown';

export interface Exemplar {
  /** Sorted; may be empty. */
  readonly labels: Labels;
  readonly value: number;
  /** Milliseconds, when the exposition gave one. */
  readonly t?: number;
}

export interface ParsedSample {
  /**
   * The sample's series exactly as written (metric name plus label block). Equal text means equal series,
   * so scrapers can key caches on it without rebuilding labels.
   */
  readonly series: string;
  /** Sorted by name, including `__name__`. Label values are unescaped. */
  readonly labels: Labels;
  readonly v: number;
  /** Milliseconds since the epoch, when the exposition gave a timestamp. */
  readonly t?: number;
  readonly exemplar?: Exemplar;
  /** 1-based line number, for error reports further down the pipeline. */
  readonly line: number;
}

export interface MetricMetadata {
  /** The family name as written in `# TYPE`/`# HELP`/`# UNIT`. */
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly unit: string;
}

export interface ParseResult {
  readonly samples: ParsedSample[];
  /** One entry per family that had any of TYPE/HELP/UNIT, in order of first appearance. */
  readonly metadata: MetricMetadata[];
}

/** A malformed exposition. The message starts with `line N:` so it reads well in a target's lastError. */
export class ParseError extends Error {
  constructor(
    readonly line: number,
    readonly detail: string,
  ) {
    super(`line ${line}: ${detail}`);
    this.name = 'ParseError';
  }
}
