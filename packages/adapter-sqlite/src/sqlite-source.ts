import { isUtf8 } from 'node:buffer';
import { Readable } from 'node:stream';
import type Database from 'better-sqlite3';
import {
  CHUNK_BYTES,
  quoteIdent,
  withTable,
  type DataPolicies,
  type IntrospectOptions,
  type RowCounting,
  type Schema,
  type ServerInfo,
  type SourceSession,
  type Table,
} from '@hesap/core';
import { lineExpression, REPAIR_TEXT_FUNCTION } from './sqlite-csv-sql';
import { SqliteIntrospector, type SqliteTableInfo } from './sqlite-introspector';
import type { ProfileHelpers } from './sqlite-profile-helpers';

const MIN_ROWID = -(2n ** 63n);

/**
 * Reads a SQLite database as PostgreSQL CSV. Every read happens inside one read
 * transaction opened with the session, so all tables come from one consistent
 * snapshot even while the app keeps writing.
 */
export class SqliteSource implements SourceSession {
  private introspector: SqliteIntrospector;
  private open = true;
  readonly server: ServerInfo;

  constructor(
    private readonly db: Database.Database,
    private readonly policies: DataPolicies,
  ) {
    this.introspector = new SqliteIntrospector(db, policies);
    this.server = { version: `SQLite ${db.prepare('SELECT sqlite_version()').pluck().get() as string}` };
    db.function(REPAIR_TEXT_FUNCTION, { deterministic: true }, (value: unknown) => repairText(value));
    db.exec('BEGIN');
    // The snapshot starts with the first read, so take it now.
    db.prepare('SELECT count(*) FROM main.sqlite_schema').get();
  }

  /** Threads that read the same snapshot and share the profile scans (see ProfileHelpers.around). */
  useHelpers(helpers: ProfileHelpers): void {
    this.introspector = new SqliteIntrospector(this.db, this.policies, helpers);
  }

  async introspect(options?: IntrospectOptions): Promise<Schema> {
    try {
      return await this.introspector.introspect(options);
    } finally {
      // The profile is done: the helpers' memory is given back before the rows move.
      if (options?.profile) await this.introspector.releaseHelpers()?.close();
    }
  }

  async countRows(table: Table): Promise<number> {
    // The profile counted the rows in the same snapshot; no second scan.
    const counted = this.introspector.info.get(table.name)?.rows;
    if (counted !== undefined) return counted;
    const n = this.db.prepare(`SELECT count(*) FROM main.${quoteIdent(table.name)}`).pluck().get() as number;
    return n;
  }

  readTable(table: Table): Readable {
    const info = this.introspector.info.get(table.name);
    if (!info) throw new Error(`Table "${table.name}" was not introspected in this session.`);
    return new SqliteTableReader(this.db, table, info, (from, to) => this.introspector.failOnInvalidText(table, from, to));
  }

  async close(): Promise<void> {
    if (!this.open) return;
    this.open = false;
    await this.introspector.releaseHelpers()?.close();
    try {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
    } finally {
      this.db.close();
    }
  }
}

/** Text as valid UTF-8 without NUL: invalid bytes and NUL become U+FFFD. */
export function repairText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const text = Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
  return text.includes('\u0000') ? text.replace(/\u0000/g, '\uFFFD') : text;
}

/**
 * A table's rows as CSV chunks. Tables with a rowid are read in batches, each one a
 * single query whose result is the batch's CSV text as one BLOB (so no per-value
 * JavaScript work at all); WITHOUT ROWID tables are read row by row.
 */
class SqliteTableReader extends Readable implements RowCounting {
  rowCount = 0;
  private batch?: Database.Statement;
  private first = true;
  private lastRowid: bigint = MIN_ROWID;
  private limit = 256;
  private rows?: IterableIterator<unknown>;

  constructor(
    private readonly db: Database.Database,
    private readonly table: Table,
    private readonly info: SqliteTableInfo,
    private readonly failOnInvalidText: (from: bigint, to: bigint) => never,
  ) {
    super({ highWaterMark: 4 * CHUNK_BYTES });
  }

  override _read(): void {
    try {
      if (this.info.rowidName) this.readBatches();
      else this.readRows();
    } catch (error) {
      this.destroy(withTable(error, this.table.name));
    }
  }

  private readBatches(): void {
    const r = this.info.rowidName!;
    const line = lineExpression(this.table.columns, this.info.repair);
    const from = `main.${quoteIdent(this.table.name)}`;
    this.batch ??= this.db
      .prepare(
        `SELECT max(r), count(*), CAST(group_concat(line, '') AS BLOB) FROM ` +
          `(SELECT ${r} AS r, ${line} AS line FROM ${from} WHERE ${r} >= ? ORDER BY ${r} LIMIT ?)`,
      )
      .raw(true)
      .safeIntegers(true);
    for (;;) {
      const start = this.first ? this.lastRowid : this.lastRowid + 1n;
      if (!this.first && this.lastRowid === 2n ** 63n - 1n) {
        this.push(null);
        return;
      }
      this.first = false;
      const [last, count, chunk] = this.batch.get(start, this.limit) as [bigint | null, bigint, Buffer | null];
      const n = Number(count);
      if (n === 0 || last === null || chunk === null) {
        this.push(null);
        return;
      }
      // Text must be valid UTF-8 without NUL: checked per batch in C (isUtf8, memchr), and
      // only a bad batch is searched row by row for the value at fault.
      if (chunk.includes(0) || !isUtf8(chunk)) this.failOnInvalidText(start, last);
      this.lastRowid = last;
      this.rowCount += n;
      // Aim for chunks of about CHUNK_BYTES.
      const perRow = Math.max(1, chunk.length / n);
      this.limit = Math.min(65536, Math.max(16, Math.round(CHUNK_BYTES / perRow)));
      if (!this.push(chunk)) return;
    }
  }

  private readRows(): void {
    if (!this.rows) {
      const line = lineExpression(this.table.columns, this.info.repair);
      this.rows = this.db
        .prepare(`SELECT ${line} FROM main.${quoteIdent(this.table.name)}`)
        .raw(true)
        .iterate();
    }
    for (;;) {
      let text = '';
      let rows = 0;
      while (text.length < CHUNK_BYTES) {
        const next = this.rows.next();
        if (next.done) break;
        text += (next.value as [string])[0];
        rows++;
      }
      this.rowCount += rows;
      if (rows === 0) {
        this.push(null);
        return;
      }
      if (!this.push(Buffer.from(text, 'utf8'))) return;
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.rows?.return?.();
    callback(error);
  }
}
