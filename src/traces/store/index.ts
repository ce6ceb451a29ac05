export { openTraceStore, invalidSpanReason } from './embedded-store.js';
export type { EmbeddedTraceStore, OpenTraceStoreOptions, TraceStoreLogger } from './embedded-store.js';
export type * from './interface.js';
export { newSearchStats } from './interface.js';
