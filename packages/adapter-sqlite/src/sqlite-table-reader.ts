import { isUtf8 } from 'node:buffer';
import { Readable } from 'node:stream';
import type Database from 'better-sqlite3';
import { CHUNK_BYTES, quoteIdent, withTable, type RowCounting, type Table } from '@hesap/core';
import { lineExpression } from './sqlite-csv-sql';
import { failOnInvalidText } from './sqlite-invalid-text';
import type { SqliteReadPlan } from './sqlite-read-plan';
import { SEND_KEY } from './sqlite-changes';

const MIN_ROWID = -(2n ** 63n);

/**
 * A table's rows as CSV chunks. Tables with a rowid are read in batches, each one a
 * single query whose result is the batch's CSV text as one BLOB (so no per-value
 * JavaScript work at all); WITHOUT ROWID tables are read row by row.
 */
export class SqliteTableReader extends Readable implements RowCounting {
  rowCount = 0;
  private batch?: Database.Statement;
  private first = true;
  private lastRowid: bigint = MIN_ROWID;
  private limit = 256;
  private rows?: IterableIterator<unknown>;

  constructor(
    private readonly db: Database.Database,
    private readonly table: Table,
    private readonly plan: SqliteReadPlan,
  ) {
    super({ highWaterMark: 4 * CHUNK_BYTES });
  }

  override _read(): void {
    try {
      if (this.plan.rowid) this.readBatches();
      else this.readRows();
    } catch (error) {
      this.destroy(withTable(error, this.table.name));
    }
  }

  private readBatches(): void {
    const r = this.plan.rowid!;
    const line = lineExpression(this.table.columns, this.plan.repair);
    const from = `main.${quoteIdent(this.table.name)}`;
    // An incremental push reads the rows of its send set: the set drives, each row found by its rowid.
    const rows = this.plan.only
      ? `SELECT k.${quoteIdent(SEND_KEY)} AS r, ${line} AS line FROM (SELECT ${quoteIdent(SEND_KEY)} FROM ${this.plan.only}` +
        ` WHERE ${quoteIdent(SEND_KEY)} >= ? ORDER BY 1 LIMIT ?) k CROSS JOIN ${from} WHERE ${from}.${r} = k.${quoteIdent(SEND_KEY)}`
      : `SELECT ${r} AS r, ${line} AS line FROM ${from} WHERE ${r} >= ? ORDER BY ${r} LIMIT ?`;
    this.batch ??= this.db
      .prepare(`SELECT max(r), count(*), CAST(group_concat(line, '') AS BLOB) FROM (${rows})`)
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
      if (chunk.includes(0) || !isUtf8(chunk)) failOnInvalidText(this.db, this.table, this.plan, start, last);
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
      const line = lineExpression(this.table.columns, this.plan.repair);
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
