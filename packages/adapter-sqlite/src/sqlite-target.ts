import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import * as path from 'node:path';
import DatabaseConstructor from 'better-sqlite3';
import type Database from 'better-sqlite3';
import {
  checkCompatible,
  DEFAULT_POLICIES,
  HesapError,
  processAlive,
  quoteIdent,
  syncDirectory,
  syncFile,
  type DateTimeTextForm,
  type IntrospectOptions,
  type LoadPlan,
  type LocalForms,
  type Note,
  type Schema,
  type Table,
  type TablePlan,
  type TableWrite,
  type TableWriteResult,
  type TargetSession,
} from '@hesap/core';
import { formQuery, readFormStats } from './sqlite-column-profile';
import { sharedForm } from './sqlite-column-type';
import { affinityOf } from './sqlite-declared-type';
import { createIndexSql, createTableSql } from './sqlite-ddl';
import { explainFileError, fileSystemError, inspectDestination, type Destination } from './sqlite-destination';
import { foldName, installTables, lockError } from './sqlite-install';
import { InsertThread } from './sqlite-insert-thread';
import { SqliteIntrospector } from './sqlite-introspector';
import { withPlace } from './sqlite-place';
import { SqliteTableWriter } from './sqlite-table-writer';
import { mergePulled, type PullMergeOptions } from './sqlite-pull-merge';

export interface SqliteTargetOptions {
  /**
   * A whole load (a pull without --tables): the file's tables become the source's, and its
   * other tables are dropped (except `keep`); a table the file has with the same columns keeps
   * its local declaration and indexes (the app made it, and its ORM reads by them), the others
   * are created from the source's definition. Otherwise a table the file has keeps its local
   * declaration and indexes, and the others stay.
   */
  fresh: boolean;
  /** With `fresh`: tables of the file the load leaves out on purpose; every other table it does not bring is dropped. */
  keep?: readonly string[];
  /** Milliseconds to wait for the app's locks on the file (settled by the adapter: see busyTimeoutOf). */
  busyTimeoutMs: number;
  /**
   * Source rows (all tables of the load together) from which the INSERTs run on a thread of
   * their own while this one decodes (see {@link InsertThread}), when the machine has a core to
   * spare ({@link coresToSpare}); 0: always. Default {@link INSERT_THREAD_ROWS}.
   */
  insertThreadRows?: number;
  log?: (level: 'debug' | 'info' | 'warn', message: string) => void;
  /** A merging pull: the complete tables meet the file's rows (see sqlite-pull-merge.ts) instead of replacing them. */
  pullMerge?: PullMergeOptions;
}

const TEMP_MARK = '.hesap-';
/**
 * Below this many rows a pull inserts on the main thread: starting the insert thread (and
 * loading the driver there) costs tens of milliseconds, more than it saves on small tables.
 */
export const INSERT_THREAD_ROWS = 50_000;
/**
 * 2 MB of page cache, not better-sqlite3's 16 MB: rows arrive in key order and are written
 * once. The pull of the benchmark database peaked at 130 MB with 16 MB, 111 MB with 2 MB, in
 * the same time (12.6-13.0 s).
 */
const CACHE_SIZE = -2048;

/**
 * Whether the insert thread can have a core of its own: more than one core, and on average
 * fewer processes wanting one than there are cores plus one (the 1-minute load average; 0
 * where the system has none). The thread hands every row over, which costs about a tenth more
 * CPU: on a machine whose cores are all taken, the pull is slower with it. Measured on 2 cores:
 * 1M orders faster with the thread at load averages 2-2.6, slower at 6-9.
 */
export function coresToSpare(cores: number, load: number): boolean {
  return cores > 1 && load < cores + 1;
}

/** Temporary files of earlier runs that died (their process is gone), next to `file`. */
export function leftoverTempFiles(file: string): string[] {
  const dir = path.dirname(file);
  const prefix = `.${path.basename(file)}${TEMP_MARK}`;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith(prefix) && n.endsWith('.tmp'))
    .filter((n) => {
      const pid = Number(n.slice(prefix.length).split('-')[0]);
      return !Number.isInteger(pid) || !processAlive(pid);
    })
    .map((n) => path.join(dir, n));
}


/**
 * Writes a SQLite file that may be open in a running app. The new content is built in a
 * temporary database next to the file, without any lock on it; when that is complete,
 * it goes into the file in one SQLite transaction (see {@link installTables}), or, where
 * no file exists yet, the temporary file becomes it. A failure at any point leaves the
 * file as it was.
 */
export class SqliteTarget implements TargetSession {
  private db?: Database.Database;
  /** The thread inserting the rows, and a connection of this thread's own for SQLite's text of a double, when the load is big enough. */
  private inserts?: { thread: InsertThread; scratch: Database.Database };
  private tempFile?: string;
  private plan?: LoadPlan;
  private dest?: Destination;
  /** Tables created with the local file's declaration (and indexes), not the source's. */
  private declaredHere = new Set<string>();
  private done = false;

  constructor(
    private readonly destination: string,
    private readonly options: SqliteTargetOptions,
  ) {}

  /** The checked destination; refused here, before any row is read, when it is not a SQLite file hesap may write. */
  private checked(): Destination {
    this.dest ??= inspectDestination(this.destination);
    return this.dest;
  }

  async introspect(options?: IntrospectOptions): Promise<Schema> {
    const dest = this.checked();
    const keep = new Set(this.options.keep ?? []);
    if (!dest.exists || (this.options.fresh && keep.size === 0)) return { dialect: 'sqlite', tables: [], views: [], notes: [] };
    const local = await this.readLocal((db) => new SqliteIntrospector(db, DEFAULT_POLICIES).introspect({ ...options, profile: false }));
    if (!this.options.fresh) return { ...local, tables: local.tables.map(holdingZones) };
    // A whole pull starts from an empty file, except for the tables it keeps on purpose
    // (`--exclude`): those are the file's, named as such.
    return { dialect: 'sqlite', tables: local.tables.filter((t) => keep.has(t.name)), views: [], notes: [] };
  }

  /**
   * Reads the local file, waiting for the app's write as long as the lock timeout. The
   * connection may write, so SQLite can roll back a hot journal a crashed app left.
   */
  private async readLocal<T>(read: (db: Database.Database) => T | Promise<T>): Promise<T> {
    const file = this.checked().file;
    let db: Database.Database | undefined;
    try {
      this.options.log?.('info', `Reading the tables of ${this.destination}; waiting up to ${this.options.busyTimeoutMs / 1000} s for the app's lock.`);
      db = new DatabaseConstructor(file, { fileMustExist: true, timeout: this.options.busyTimeoutMs });
      return await read(db);
    } catch (error) {
      const locked = lockError(error, { busyTimeoutMs: this.options.busyTimeoutMs, shown: this.destination });
      if (locked) throw locked;
      throw fileSystemError(error, 'reading', { file, shown: this.destination });
    } finally {
      db?.close();
    }
  }

  /**
   * The form of the app's own date-time text in each column of the pulled tables the file
   * has (see sharedForm), where its rows share one; read before the file changes. Only the
   * columns whose form a pull chose from their values are looked at (Column.fractionUsed).
   */
  async localForms(tables: readonly Table[]): Promise<LocalForms> {
    const dest = this.checked();
    const wanted = tables.filter((t) => t.columns.some((c) => c.fractionUsed !== undefined));
    if (!dest.exists || wanted.length === 0) return new Map();
    return this.readLocal((db) => appFormsIn(db, wanted));
  }

  async begin(plan: LoadPlan): Promise<void> {
    this.plan = plan;
    const dest = this.checked();
    for (const leftover of leftoverTempFiles(dest.file)) fs.rmSync(leftover, { force: true });
    for (const t of plan.tables) {
      if (t.action !== 'load' && t.action !== 'replace') throw new HesapError('UNSUPPORTED', `SQLite targets do not support --mode ${t.action}.`);
    }
    // A whole load looks for the file's own declaration of every table it creates.
    const kept = plan.tables.filter((t) => !t.create || (this.options.fresh && dest.exists));
    const local = kept.length > 0 ? await this.readLocal((db) => localDeclarations(db, kept)) : new Map<string, string[]>();
    this.declaredHere = new Set(local.keys());
    this.tempFile = path.join(path.dirname(dest.file), `.${path.basename(dest.file)}${TEMP_MARK}${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
    try {
      const db = new DatabaseConstructor(this.tempFile);
      this.db = db;
      // ATTACH needs one text encoding on both sides; it is fixed when the file gets its first page.
      if (dest.encoding && dest.encoding !== 'UTF-8') db.pragma(`encoding = '${dest.encoding}'`);
      const rows = plan.tables.reduce((n, t) => n + (t.rowCount ?? 0), 0);
      const from = this.options.insertThreadRows ?? INSERT_THREAD_ROWS;
      const threaded = from === 0 || (rows >= from && coresToSpare(availableParallelism(), loadavg()[0]!));
      // The temporary database is private and installed afterwards in one transaction: no
      // journal, no syncs. One lock for the whole build, unless the insert thread's
      // connection is to write the rows.
      db.pragma('journal_mode = OFF');
      db.pragma('synchronous = OFF');
      db.pragma('foreign_keys = OFF');
      if (!threaded) db.pragma('locking_mode = EXCLUSIVE');
      db.pragma(`cache_size = ${CACHE_SIZE}`);
      db.exec('BEGIN');
      const notes: Note[] = [];
      for (const t of plan.tables) {
        // A table the file has keeps its declaration (and so its affinities and indexes).
        for (const sql of local.get(t.target.name) ?? [createTableSql(t.target, notes)]) db.exec(sql);
      }
      plan.notes.push(...notes);
      if (threaded) await this.startInserts(db, this.tempFile);
    } catch (error) {
      throw fileSystemError(error, 'writing the new content to', { file: this.tempFile });
    }
  }

  /**
   * Hands the rows to the insert thread: the tables are committed, the thread's connection
   * takes the file's lock until {@link finish}. Where the thread cannot start, the rows go in
   * on this thread, as for a small load.
   */
  private async startInserts(db: Database.Database, file: string): Promise<void> {
    db.exec('COMMIT');
    try {
      const thread = await InsertThread.start(file, CACHE_SIZE);
      this.inserts = { thread, scratch: new DatabaseConstructor(':memory:') };
      this.options.log?.('debug', 'Inserting the rows on a thread of their own.');
    } catch (error) {
      this.options.log?.('debug', `The insert thread did not start (${(error as Error).message}); inserting on the main thread.`);
      db.exec('BEGIN');
    }
  }

  writeTable(table: TablePlan): TableWrite {
    if (!this.db) throw new Error('begin() must come before writeTable()');
    const writer = new SqliteTableWriter(this.inserts ? { ...this.inserts, file: this.tempFile! } : this.db, table.target);
    return {
      stream: writer,
      complete: async () => writer.result(),
    };
  }

  async finish(): Promise<{ notes: Note[]; results?: TableWriteResult[] }> {
    const db = this.db!;
    const temp = this.tempFile!;
    const dest = this.checked();
    try {
      if (this.inserts) {
        // The thread commits the rows and lets go of the file; the keys and sequences follow here.
        await this.inserts.thread.commit();
        await this.endInserts();
        db.exec('BEGIN');
      }
      for (const t of this.plan!.tables) {
        if (t.create && !this.declaredHere.has(t.target.name)) for (const sql of createIndexSql(t.target)) db.exec(sql);
        const seq = t.target.sequence;
        // A local declaration without AUTOINCREMENT has no sqlite_sequence row to keep.
        if (seq?.strict && seq.lastValue !== null && autoincrements(db, t.target.name)) {
          const current = db.prepare('SELECT seq FROM sqlite_sequence WHERE name = ?').safeIntegers(true).pluck().get(t.target.name) as
            | bigint
            | undefined;
          if (current === undefined) db.prepare('INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)').run(t.target.name, seq.lastValue);
          else if (current < seq.lastValue) db.prepare('UPDATE sqlite_sequence SET seq = ? WHERE name = ?').run(seq.lastValue, t.target.name);
        }
      }
      if (this.plan!.dryRun) {
        await this.abort(undefined);
        return { notes: [] };
      }
      db.exec('COMMIT');
      db.pragma('locking_mode = NORMAL');
      db.close();
      this.db = undefined;
    } catch (error) {
      throw fileSystemError(error, 'writing the new content to', { file: temp });
    }
    if (this.options.pullMerge) {
      const view = this.plan!.pulledFrom;
      if (!view) throw new HesapError('INTERNAL', 'A merging pull needs the remote\'s record, and none was read.');
      const merged = await mergePulled(dest.file, temp, this.plan!.tables.map((t) => t.target.name), view, {
        ...this.options.pullMerge,
        busyTimeoutMs: this.options.busyTimeoutMs,
        shown: this.destination,
        log: this.options.log,
      });
      fs.rmSync(temp, { force: true });
      this.tempFile = undefined;
      this.done = true;
      return merged;
    }
    let notes: Note[] = [];
    if (!this.placeNewFile(temp, dest.file)) {
      notes = installTables(dest.file, temp, this.plan!.tables.map((t) => t.target.name), {
        busyTimeoutMs: this.options.busyTimeoutMs,
        shown: this.destination,
        log: this.options.log,
        dropOthers: this.options.fresh ? { keep: this.options.keep ?? [] } : undefined,
      });
      fs.rmSync(temp, { force: true });
    }
    this.tempFile = undefined;
    this.done = true;
    return { notes };
  }

  /**
   * Where no file exists yet, the temporary file becomes it: linked under the name, so a
   * file the app created meanwhile is never replaced (false: it is there, install into it).
   */
  private placeNewFile(temp: string, file: string): boolean {
    if (fs.existsSync(file)) return false;
    try {
      syncFile(temp);
      try {
        fs.linkSync(temp, file);
        fs.rmSync(temp);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') return false;
        // File systems without hard links: the rename is still atomic.
        if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw error;
        fs.renameSync(temp, file);
      }
      syncDirectory(path.dirname(file));
      return true;
    } catch (error) {
      throw fileSystemError(error, 'creating', { file, shown: this.destination });
    }
  }

  private async endInserts(): Promise<void> {
    const inserts = this.inserts;
    this.inserts = undefined;
    if (!inserts) return;
    inserts.scratch.close();
    await inserts.thread.close();
  }

  async abort(_reason: unknown): Promise<void> {
    if (this.done) return;
    await this.endInserts().catch(() => undefined);
    try {
      if (this.db?.open) this.db.close();
    } catch {
      // closing is best effort; the file is removed next
    }
    this.db = undefined;
    if (this.tempFile) fs.rmSync(this.tempFile, { force: true });
    this.tempFile = undefined;
  }

  async close(): Promise<void> {
    await this.abort(undefined);
  }

  explain(error: unknown): HesapError | undefined {
    return this.tempFile ? explainFileError(error, 'writing the new content to', { file: this.tempFile }) : undefined;
  }
}

/**
 * A column the file declares for date-times holds their text with a zone as well as without:
 * a pulled `timestamptz` goes into the app's `DATETIME` column as a `timestamp` does.
 */
function holdingZones(table: Table): Table {
  if (!table.columns.some((c) => c.type === 'timestamp')) return table;
  return { ...table, columns: table.columns.map((c) => (c.type === 'timestamp' ? { ...c, type: 'timestamptz' } : c)) };
}

/** {@link SqliteTarget.localForms} on the open file. */
function appFormsIn(db: Database.Database, tables: readonly Table[]): Map<string, Map<string, DateTimeTextForm>> {
  const out = new Map<string, Map<string, DateTimeTextForm>>();
  const names = db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table'`).pluck().all() as string[];
  const columns = db.prepare<[string], string>('SELECT name FROM pragma_table_xinfo(?)').pluck();
  for (const table of tables) {
    const local = names.find((n) => foldName(n) === foldName(table.name));
    if (local === undefined) continue;
    const localColumns = columns.all(local);
    const forms = new Map<string, DateTimeTextForm>();
    for (const column of table.columns) {
      const name = localColumns.find((n) => foldName(n) === foldName(column.name));
      if (column.fractionUsed === undefined || name === undefined) continue;
      const kind = column.type === 'time' ? 'time' : 'timestamp';
      const stats = readFormStats(db.prepare(formQuery(local, name, kind)).raw(true).get() as unknown[]);
      const form = stats.texts > 0 ? sharedForm(stats, kind) : undefined;
      if (typeof form === 'object') forms.set(column.name, form);
    }
    if (forms.size > 0) out.set(table.name, forms);
  }
  return out;
}

/** The table was declared with AUTOINCREMENT (SQLite then keeps its last id in sqlite_sequence). */
function autoincrements(db: Database.Database, table: string): boolean {
  const sql = db.prepare<[string], string>(`SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ? COLLATE NOCASE`).pluck().get(table);
  return sql !== undefined && /\bAUTOINCREMENT\b/i.test(sql);
}

/**
 * A table a whole load creates keeps the file's declaration when that holds the loaded rows
 * as they are: the same columns (`names`, hidden and generated ones too), each of a type that
 * takes the loaded one (as a load into the table checks), and JSON documents that include a
 * bare number under TEXT affinity (NUMERIC would make `1.50` the number 1.5).
 */
function fitsLocal(target: Table, local: Table | undefined, names: readonly string[]): boolean {
  const fold = (list: readonly string[]) => list.map(foldName).sort().join('\u0000');
  if (!local || fold(names) !== fold(target.columns.map((c) => c.name))) return false;
  try {
    checkCompatible(target, holdingZones(local));
  } catch {
    return false;
  }
  const numeric = (declared: string) => ['INTEGER', 'NUMERIC', 'REAL'].includes(affinityOf(declared));
  return target.columns.every((c) => c.type !== 'json' || c.jsonNumbers === false || !numeric(local.columns.find((l) => l.name === c.name)!.declaredType));
}

/**
 * The local declaration of each table the file already has: its CREATE TABLE and CREATE
 * INDEX statements. A table loaded with `load` must be empty there. A table a whole load
 * creates keeps it only where it fits (see fitsLocal); otherwise the source's definition.
 */
async function localDeclarations(db: Database.Database, tables: readonly TablePlan[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  const statements = db.prepare<[string], { sql: string }>(
    `SELECT sql FROM sqlite_schema WHERE tbl_name = ? COLLATE NOCASE AND type IN ('table', 'index') AND sql IS NOT NULL ORDER BY type = 'index', rowid`,
  );
  const columns = db.prepare<[string], string>('SELECT name FROM pragma_table_xinfo(?)').pluck();
  const declared = tables.some((t) => t.create) ? (await new SqliteIntrospector(db, DEFAULT_POLICIES).introspect({ profile: false })).tables : [];
  for (const t of tables) {
    const name = t.target.name;
    const sql = statements.all(name).map((r) => r.sql);
    if (sql.length === 0) continue;
    if (t.create && !fitsLocal(t.target, declared.find((d) => foldName(d.name) === foldName(name)), columns.all(name))) continue;
    if (t.action === 'load' && !t.create && db.prepare(`SELECT 1 FROM ${quoteIdent(name)} LIMIT 1`).get()) {
      throw new HesapError('TARGET_NOT_EMPTY', `Table "${name}" already holds rows in the local database.`, {
        table: name,
        hints: ['Pull replaces the whole file by default; with --tables, pass --yes to replace those tables.'],
      });
    }
    // The table keeps its declaration, with the place of the table pulled into it (see sqlite-place.ts).
    out.set(name, [withPlace(sql[0]!, t.target.place), ...sql.slice(1)]);
  }
  return out;
}
