/** The embedded log store (DuckDB over Parquet, behind a WAL). See duckdb-store.ts and docs/logs.md. */
export { openLogStore, type OpenLogStoreOptions, type LogStoreLogger } from './duckdb-store.js';
export type * from './interface.js';
