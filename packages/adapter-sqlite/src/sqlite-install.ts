import DatabaseConstructor from 'better-sqlite3';
import type Database from 'better-sqlite3';
import { HesapError, quoteIdent, type Note } from '@hesap/core';
import { fileSystemError } from './sqlite-destination';

/**
 * Installs complete tables into a SQLite file that may be open in an app, the way SQLite
 * wants a live database changed: through its own locks and journal. One transaction on
 * hesap's own connection drops each table and recreates it from the finished temporary
 * database (attached), so every connection of the app sees the old content or the new,
 * and a crash at any point is rolled back by SQLite at the next open. Opening the file
 * first recovers a hot journal or a leftover WAL as SQLite does.
 */
export interface InstallOptions {
  /** Milliseconds to wait for the app's locks (BEGIN IMMEDIATE, and COMMIT under a rollback journal). */
  busyTimeoutMs: number;
  /** The path as the user gave it, for messages. */
  shown: string;
  log?: (level: 'debug' | 'info' | 'warn', message: string) => void;
  /** A whole load: the file's tables end as the loaded ones; others are dropped, except `keep`. */
  dropOthers?: { keep: readonly string[] };
}

const NEW = 'hesap_new';

interface SchemaEntry {
  type: string;
  name: string;
  sql: string;
}

/**
 * Replaces `tables` of `file` with the tables of the same names in `complete`; everything
 * else in the file (other tables, views, triggers, `user_version`, `application_id`) stays.
 * Returns notes for local indexes and triggers that do not fit the new tables.
 */
export function installTables(file: string, complete: string, tables: readonly string[], options: InstallOptions): Note[] {
  let db: Database.Database;
  try {
    db = new DatabaseConstructor(file, { fileMustExist: true, timeout: options.busyTimeoutMs });
  } catch (error) {
    throw fileSystemError(error, 'opening', { file, shown: options.shown });
  }
  try {
    const seconds = Math.round(options.busyTimeoutMs / 100) / 10;
    options.log?.('info', `Installing ${tables.length} table(s) into ${options.shown} in one transaction; waiting up to ${seconds} s for the app's lock.`);
    const started = Date.now();
    try {
      // Dropping tables that others reference is hesap's business here; the app's connections keep their own setting.
      db.pragma('foreign_keys = OFF');
      // ATTACH reads the file's schema, so it already waits for an app's exclusive lock.
      db.prepare(`ATTACH DATABASE ? AS ${NEW}`).run(complete);
      db.exec('BEGIN IMMEDIATE');
    } catch (error) {
      throw lockError(error, options) ?? error;
    }
    options.log?.('debug', `Holding the write lock on ${options.shown} after ${Date.now() - started} ms.`);
    if (options.dropOthers) dropTablesNotIn(db, [...tables, ...options.dropOthers.keep]);
    const notes = replaceTables(db, tables);
    try {
      db.exec('COMMIT');
    } catch (error) {
      throw lockError(error, options) ?? error;
    }
    options.log?.('info', `Installed into ${options.shown} in ${Date.now() - started} ms.`);
    return notes;
  } catch (error) {
    if (db.inTransaction) {
      try {
        db.exec('ROLLBACK');
      } catch {
        // SQLite rolled back already (a full disk can end the transaction); the journal undoes the rest at the next open.
      }
    }
    throw fileSystemError(error, 'installing the new content into', { file, shown: options.shown, needed: neededBytes(db) });
  } finally {
    db.close();
  }
}

/** A name as SQLite compares names: ASCII letters without case. */
export const foldName = (name: string) => name.replace(/[A-Z]/g, (c) => c.toLowerCase());

/** Drops the file's tables (with their indexes and triggers) not named in `kept`, compared as SQLite compares names. */
function dropTablesNotIn(db: Database.Database, kept: readonly string[]): void {
  const names = new Set(kept.map(foldName));
  const tables = db.prepare(`SELECT name FROM main.sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'`).pluck().all() as string[];
  for (const name of tables) if (!names.has(foldName(name))) db.exec(`DROP TABLE main.${quoteIdent(name)}`);
}

/** The transaction's work: drop, recreate, fill, then put back what the app had on these tables. */
function replaceTables(db: Database.Database, tables: readonly string[]): Note[] {
  const notes: Note[] = [];
  const ownedBy = db.prepare<[string], SchemaEntry>(
    `SELECT type, name, sql FROM main.sqlite_schema WHERE type IN ('index', 'trigger') AND sql IS NOT NULL AND tbl_name = ? COLLATE NOCASE ORDER BY rowid`,
  );
  const kept = new Map(tables.map((t) => [t, ownedBy.all(t)]));
  for (const table of tables) db.exec(`DROP TABLE IF EXISTS main.${quoteIdent(table)}`);
  const created = db.prepare<[string], SchemaEntry>(`SELECT type, name, sql FROM ${NEW}.sqlite_schema WHERE tbl_name = ? COLLATE NOCASE AND sql IS NOT NULL ORDER BY type DESC, rowid`);
  const exists = db.prepare<[string], { n: number }>(`SELECT count(*) AS n FROM main.sqlite_schema WHERE name = ? COLLATE NOCASE`);
  const hasSequence = db.prepare(`SELECT 1 FROM ${NEW}.sqlite_schema WHERE name = 'sqlite_sequence'`).get() !== undefined;
  for (const table of tables) {
    const entries = created.all(table);
    const definition = entries.find((e) => e.type === 'table');
    if (!definition) throw new HesapError('INTERNAL', `Table "${table}" is missing from the new content.`, { table });
    db.exec(definition.sql);
    // The new table's indexes before its rows: with identical tables and indexes, SQLite copies records without decoding them.
    for (const index of entries.filter((e) => e.type === 'index')) {
      if (exists.get(index.name)!.n > 0) {
        notes.push({ level: 'warning', code: 'INDEX_SKIPPED', table, message: `Index "${index.name}" is not created: another table of the local file has an index of that name.` });
        continue;
      }
      db.exec(index.sql);
    }
    db.exec(`INSERT INTO main.${quoteIdent(table)} SELECT * FROM ${NEW}.${quoteIdent(table)}`);
    if (hasSequence) {
      db.prepare('DELETE FROM main.sqlite_sequence WHERE name = ?').run(table);
      db.prepare(`INSERT INTO main.sqlite_sequence (name, seq) SELECT name, seq FROM ${NEW}.sqlite_sequence WHERE name = ?`).run(table);
    }
    for (const entry of kept.get(table)!) {
      if (exists.get(entry.name)!.n > 0) continue;
      try {
        db.exec(entry.sql);
      } catch (error) {
        notes.push({
          level: 'warning',
          code: entry.type === 'index' ? 'INDEX_SKIPPED' : 'TRIGGER_SKIPPED',
          table,
          message: `The local ${entry.type} "${entry.name}" does not fit the pulled table and was not kept: ${(error as Error).message}.`,
        });
      }
    }
  }
  return notes;
}

/** BUSY after the busy timeout: the app held its lock too long. The transaction is rolled back, the file untouched. */
export function lockError(error: unknown, options: Pick<InstallOptions, 'busyTimeoutMs' | 'shown'>): HesapError | undefined {
  if (!/^SQLITE_(BUSY|LOCKED)/.test((error as { code?: string })?.code ?? '')) return undefined;
  const seconds = Math.round(options.busyTimeoutMs / 100) / 10;
  return new HesapError('LOCK_TIMEOUT', `${options.shown} stayed locked by another connection (your app's transaction) for ${seconds} s; the file was left as it was.`, {
    cause: error,
    hints: ['Run the command again when the app is idle, or wait longer with --lock-timeout.'],
  });
}

/** The size of the new content: about what the install writes again into the file and its journal. */
function neededBytes(db: Database.Database): number | undefined {
  try {
    return (db.pragma(`${NEW}.page_count`, { simple: true }) as number) * (db.pragma(`${NEW}.page_size`, { simple: true }) as number);
  } catch {
    return undefined;
  }
}
