/** @hesap/adapter-sqlite: SQLite files as a hesap source and target. */
export { SqliteAdapter, sqliteAdapter, sqlitePath, type SqliteOpenOptions } from './sqlite-adapter';
export { SqliteSource } from './sqlite-source';
export { SqliteTarget, leftoverTempFiles, type SqliteTargetOptions } from './sqlite-target';
export { SqliteIntrospector } from './sqlite-introspector';
export { parseDeclaredType, affinityOf, type DeclaredType, type SqliteAffinity, type TypeIntent } from './sqlite-declared-type';
export { decideColumnType, type ColumnDecision } from './sqlite-column-type';
export type { ColumnStats } from './sqlite-column-profile';
