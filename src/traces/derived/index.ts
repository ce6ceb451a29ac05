export { DerivedMetrics, sanitizeLabelName, type DerivedMetricsOptions } from './generator.js';
export { ExemplarStore, type Exemplar, type ExemplarSeries, type ExemplarSource } from './exemplars.js';
export { registerExemplarRoutes } from './exemplars-api.js';
export { SPANMETRICS_BUCKETS, SERVICE_GRAPH_BUCKETS } from './series.js';
