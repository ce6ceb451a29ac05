export type * from './ast.js';
export { parseTraceQL, parseDurationNs, TraceQLError } from './parse.js';
export { evaluateTrace, TraceContext } from './evaluate.js';
export { narrowings, type Narrowing } from './plan.js';
export { searchTraceQL, matchTrace, type TraceMatch, type TraceQLSearchOptions } from './search.js';
