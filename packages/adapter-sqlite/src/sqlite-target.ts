import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import DatabaseConstructor from 'better-sqlite3';
import type Database from 'better-sqlite3';
import {
  CsvParser,
  DEFAULT_POLICIES,
  HesapError,
  parseBooleanField,
  parseBytesField,
  parseFloatField,
  processAlive,
  quoteIdent,
  syncDirectory,
  syncFile,
  type Column,
  type CsvRow,
  type IntrospectOptions,
  type LoadPlan,
  type Note,
  type RowCounting,
  type Schema,
  type Table,
  type TablePlan,
  type TableWrite,
  type TableWriteResult,
  type TargetSession,
} from '@hesap/core';
import { affinityOf, type SqliteAffinity } from './sqlite-declared-type';
import { createIndexSql, createTableSql, sqliteDeclaredType } from './sqlite-ddl';
import { SqliteIntrospector } from './sqlite-introspector';

export interface SqliteTargetOptions {
  /** Start from an empty file (the whole file is replaced); otherwise start from a copy of the current one. */
  fresh: boolean;
}

const TEMP_MARK = '.hesap-';

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
 * Writes a SQLite file. Everything goes into a temporary file next to the destination,
 * in one transaction; only when it is complete and synced is it renamed over the
 * destination. A failure at any point leaves the old file untouched.
 */
export class SqliteTarget implements TargetSession {
  private db?: Database.Database;
  private tempFile?: string;
  private plan?: LoadPlan;
  private done = false;

  constructor(
    private readonly destination: string,
    private readonly options: SqliteTargetOptions,
  ) {}

  async introspect(options?: IntrospectOptions): Promise<Schema> {
    if (this.options.fresh || !fs.existsSync(this.destination)) return { dialect: 'sqlite', tables: [], views: [], notes: [] };
    const db = new DatabaseConstructor(this.destination, { readonly: true, fileMustExist: true });
    try {
      return await new SqliteIntrospector(db, DEFAULT_POLICIES).introspect({ ...options, profile: false });
    } finally {
      db.close();
    }
  }

  async begin(plan: LoadPlan): Promise<void> {
    this.plan = plan;
    for (const leftover of leftoverTempFiles(this.destination)) fs.rmSync(leftover, { force: true });
    const dir = path.dirname(path.resolve(this.destination));
    if (!fs.existsSync(dir)) {
      throw new HesapError('CONFIG_INVALID', `The folder for the local database does not exist: ${dir}`, {
        hints: ['Create the folder first, or point --local at a file in an existing folder.'],
      });
    }
    this.tempFile = path.join(dir, `.${path.basename(this.destination)}${TEMP_MARK}${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
    if (!this.options.fresh && fs.existsSync(this.destination)) fs.copyFileSync(this.destination, this.tempFile);
    const db = new DatabaseConstructor(this.tempFile);
    this.db = db;
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    db.pragma('foreign_keys = OFF');
    db.pragma('locking_mode = EXCLUSIVE');
    // 2 MB of page cache, not better-sqlite3's 16 MB: rows arrive in key order and are written
    // once. The pull of the benchmark database peaked at 130 MB with 16 MB, 111 MB with 2 MB,
    // in the same time (12.6-13.0 s).
    db.pragma('cache_size = -2048');
    db.exec('BEGIN');
    const notes: Note[] = [];
    for (const t of plan.tables) {
      const q = quoteIdent(t.target.name);
      if (t.create) db.exec(createTableSql(t.target, notes));
      else if (t.action === 'replace') db.exec(`DELETE FROM ${q}`);
      else if (t.action === 'load') {
        if (db.prepare(`SELECT 1 FROM ${q} LIMIT 1`).get()) {
          throw new HesapError('TARGET_NOT_EMPTY', `Table "${t.target.name}" already holds rows in the local database.`, {
            table: t.target.name,
            hints: ['Pull replaces the whole file by default; with --tables, pass --yes to replace those tables.'],
          });
        }
      }
      if (t.action !== 'load' && t.action !== 'replace') {
        throw new HesapError('UNSUPPORTED', `SQLite targets do not support --mode ${t.action}.`);
      }
    }
    plan.notes.push(...notes);
  }

  writeTable(table: TablePlan): TableWrite {
    if (!this.db) throw new Error('begin() must come before writeTable()');
    const writer = new SqliteTableWriter(this.db, table.target);
    return {
      stream: writer,
      complete: async () => writer.result(),
    };
  }

  async finish(): Promise<{ notes: Note[] }> {
    const db = this.db!;
    for (const t of this.plan!.tables) {
      if (t.create) for (const sql of createIndexSql(t.target)) db.exec(sql);
      const seq = t.target.sequence;
      if (seq?.strict && seq.lastValue !== null) {
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
    const temp = this.tempFile!;
    const mode = fs.existsSync(this.destination) ? fs.statSync(this.destination).mode & 0o777 : undefined;
    if (mode !== undefined) fs.chmodSync(temp, mode);
    syncFile(temp);
    fs.renameSync(temp, this.destination);
    this.tempFile = undefined;
    syncDirectory(path.dirname(path.resolve(this.destination)));
    this.done = true;
    return { notes: [] };
  }

  async abort(_reason: unknown): Promise<void> {
    if (this.done) return;
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
}


type Decoder = (text: string) => unknown;

const ONE = 1n;
const ZERO = 0n;

/** How CSV text becomes a value for a column of the given neutral type and SQLite affinity. */
export function decoderFor(column: Column, affinity: SqliteAffinity): Decoder {
  const numeric = affinity === 'INTEGER' || affinity === 'NUMERIC' || affinity === 'REAL';
  switch (column.type) {
    case 'integer':
      // With numeric affinity SQLite turns the text into the exact integer itself.
      return numeric ? (t) => t : (t) => BigInt(t);
    case 'decimal':
      return numeric ? (t) => t : (t) => (/[.eEIN]/.test(t) ? Number(t) : BigInt(t));
    case 'float':
      return (t) => {
        const n = parseFloatField(t);
        if (Number.isNaN(n)) throw new HesapError('VALUE_UNREPRESENTABLE', 'NaN cannot be stored in SQLite (it would become NULL).');
        // A column with REAL (or numeric) affinity stores -0.0 as 0.0; only an untyped column keeps the sign.
        if (Object.is(n, -0) && affinity !== 'BLOB') {
          throw new HesapError('VALUE_UNREPRESENTABLE', `-0 cannot be stored in a SQLite column of ${affinity} affinity (it would become 0).`);
        }
        return n;
      };
    case 'boolean':
      return (t) => (parseBooleanField(t) ? ONE : ZERO);
    case 'bytes':
      return parseBytesField;
    case 'timestamp':
      return column.fractionDigits !== undefined ? fixedFraction(column.fractionDigits) : (t) => t;
    default:
      return (t) => t;
  }
}

/** `2026-03-05 07:08:09.5` → `2026-03-05 07:08:09.500` for 3 digits: the form the source wrote. */
export function fixedFraction(digits: number): Decoder {
  return (t) => {
    const dot = t.indexOf('.', 10);
    const fraction = dot < 0 ? '' : t.slice(dot + 1);
    const base = dot < 0 ? t : t.slice(0, dot);
    return digits === 0 ? base : `${base}.${fraction.padEnd(digits, '0').slice(0, Math.max(digits, fraction.length))}`;
  };
}

/**
 * Parses CSV and inserts rows in batches: one prepared multi-row INSERT per batch (up to
 * {@link BATCH_ROWS} rows, within SQLite's limit on bound parameters), inside the
 * session's transaction. When a batch fails, its rows are replayed one by one to name
 * the row at fault.
 */
const BATCH_ROWS = 256;
const MAX_PARAMETERS = 32766;

class SqliteTableWriter extends Writable implements RowCounting {
  rowCount = 0;
  private readonly parser: CsvParser;
  private readonly single: Database.Statement;
  private readonly batch?: Database.Statement;
  private readonly batchRows: number;
  private readonly decoders: Decoder[];
  private values: unknown[] = [];
  private rows: CsvRow[] = [];

  constructor(
    db: Database.Database,
    private readonly table: Table,
  ) {
    super({ decodeStrings: true });
    const cols = table.columns;
    const head = `INSERT INTO ${quoteIdent(table.name)} (${cols.map((c) => quoteIdent(c.name)).join(', ')}) VALUES `;
    const tuple = `(${cols.map(() => '?').join(', ')})`;
    this.single = db.prepare(head + tuple);
    this.batchRows = Math.max(1, Math.min(BATCH_ROWS, Math.floor(MAX_PARAMETERS / Math.max(1, cols.length))));
    if (this.batchRows > 1) this.batch = db.prepare(head + Array(this.batchRows).fill(tuple).join(', '));
    this.decoders = cols.map((c) => decoderFor(c, affinityOf(sqliteDeclaredType(c))));
    this.parser = new CsvParser((row) => this.addRow(row));
  }

  private addRow(row: CsvRow): void {
    const decoders = this.decoders;
    if (row.length !== decoders.length) {
      throw new HesapError('INTERNAL', `Table "${this.table.name}", line ${this.rowCount + this.rows.length + 1}: ${row.length} fields for ${decoders.length} columns.`, {
        table: this.table.name,
        row: `line ${this.rowCount + this.rows.length + 1}`,
      });
    }
    const values = this.values;
    let i = 0;
    try {
      for (; i < row.length; i++) {
        const text = row[i];
        values.push(text === null || text === undefined ? null : decoders[i]!(text));
      }
    } catch (error) {
      throw this.rowError(error, row, this.table.columns[i]!.name, this.rowCount + this.rows.length + 1);
    }
    this.rows.push(row);
    if (this.rows.length === this.batchRows) this.flush();
  }

  private flush(): void {
    const n = this.rows.length;
    if (n === 0) return;
    try {
      if (n === this.batchRows && this.batch) this.batch.run(this.values);
      else this.insertSingly(0);
    } catch {
      // The failed statement changed nothing: find the row at fault.
      this.insertSingly(0);
    }
    this.rowCount += n;
    this.values = [];
    this.rows = [];
  }

  private insertSingly(from: number): void {
    const width = this.decoders.length;
    for (let r = from; r < this.rows.length; r++) {
      try {
        this.single.run(this.values.slice(r * width, (r + 1) * width));
      } catch (error) {
        throw this.rowError(error, this.rows[r]!, undefined, this.rowCount + r + 1);
      }
    }
  }

  private rowError(error: unknown, row: CsvRow, column: string | undefined, line: number): HesapError {
    const pk = this.table.primaryKey?.columns ?? [];
    const label = pk.length > 0 ? pk.map((c) => `${c}=${row[this.table.columns.findIndex((x) => x.name === c)] ?? 'NULL'}`).join(', ') : `line ${line}`;
    const message = error instanceof Error ? error.message : String(error);
    const code = (error as { code?: string }).code ?? '';
    return new HesapError(
      code.startsWith('SQLITE_CONSTRAINT') ? 'CONSTRAINT_VIOLATION' : error instanceof HesapError ? error.code : 'INTERNAL',
      `Table "${this.table.name}"${column ? `, column "${column}"` : ''}, row ${label}: ${message}`,
      { table: this.table.name, column, row: label, cause: error },
    );
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    try {
      this.parser.write(chunk);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _final(callback: (error?: Error | null) => void): void {
    try {
      this.parser.end();
      this.flush();
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  result(): TableWriteResult {
    return { table: this.table.name, received: this.rowCount, inserted: this.rowCount, updated: 0, unchanged: 0, remapped: 0, skipped: [] };
  }
}
