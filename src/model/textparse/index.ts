export {
  parseExposition,
  scanExposition,
  parseSeriesLabels,
  parseExpositionFloat,
  formatFromContentType,
  type SampleVisitor,
} from './parser.js';
export {
  ParseError,
  type Exemplar,
  type ExpositionFormat,
  type MetricMetadata,
  type MetricType,
  type ParsedSample,
  type ParseResult,
} from './types.js';
