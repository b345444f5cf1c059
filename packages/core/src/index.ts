/**
 * @hesap/core: the schema model, the adapter contract, the PostgreSQL CSV codec, the
 * planner and the transfer engine. It imports no database driver.
 */
export * from './errors';
export * from './identifiers';
export * from './schema';
export * from './check-expression';
export * from './table-checks';
export * from './datetime-text';
export * from './app-forms';
export * from './epoch-dates';
export * from './json-text';
export * from './target-values';
export * from './contract';
export * from './csv/csv-encoder';
export * from './csv/csv-parser';
export * from './csv/csv-values';
export * from './planner';
export * from './merge-plan';
export * from './migration-tables';
export * from './orphans';
export * from './engine';
export * from './checksum';
export * from './checksum-stream';
export * from './csv-checksummer';
export type { CsvChecksumJob } from './csv-checksum-job';
export * from './chunk-memory';
export * from './redact';
export * from './conninfo';
export * from './registry';
export * from './retry';
export * from './durable-files';
