import { Writable } from 'node:stream';
import type Database from 'better-sqlite3';
import {
  CsvParser,
  HesapError,
  parseBooleanField,
  parseBytesField,
  parseFloatField,
  quoteIdent,
  type Column,
  type CsvRow,
  type RowCounting,
  type Table,
  type TableWriteResult,
} from '@hesap/core';
import { affinityOf, type SqliteAffinity } from './sqlite-declared-type';
import { sqliteDeclaredType } from './sqlite-ddl';
import { fileSystemError } from './sqlite-destination';
import { epochDecoder } from './sqlite-epoch';
import { exactNumber, shortDecimal, type RealPrinter } from './sqlite-exact-decimal';

type Decoder = (text: string) => unknown;

const ONE = 1n;
const ZERO = 0n;

const endsInDigit = (t: string) => {
  const c = t.charCodeAt(t.length - 1);
  return c >= 48 && c <= 57;
};

/**
 * How CSV text becomes a value for a column of the given neutral type and SQLite affinity.
 * `printReal` is SQLite's own text for a double (long decimals are checked against it).
 */
export function decoderFor(column: Column, affinity: SqliteAffinity, printReal: RealPrinter): Decoder {
  const numeric = affinity === 'INTEGER' || affinity === 'NUMERIC' || affinity === 'REAL';
  if (column.epoch) return epochDecoder(column.epoch);
  switch (column.type) {
    case 'integer':
      // With numeric affinity SQLite turns the text into the exact integer itself.
      return numeric ? (t) => t : (t) => BigInt(t);
    case 'decimal':
      if (affinity === 'TEXT') return (t) => t;
      // A value no INTEGER or REAL holds: refused under numeric affinity, kept as exact text without one.
      if (numeric) {
        const slow = (t: string) => exactNumber(t, affinity, printReal) ?? unrepresentableDecimal(t, affinity);
        // numeric(p,s) of at most 15 digits: every finite value (its text ends in a digit, unlike
        // NaN and Infinity) is one SQLite's own conversion keeps exactly.
        if (column.precision !== undefined && column.precision <= 15) return (t) => (endsInDigit(t) ? t : slow(t));
        return (t) => (shortDecimal(t) ? t : slow(t));
      }
      return (t) => (shortDecimal(t) ? (/\./.test(t) ? Number(t) : BigInt(t)) : (exactNumber(t, affinity, printReal) ?? t));
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
    case 'json':
      // Declared `JSON` (NUMERIC affinity) because the source had no bare number: one now would become a number.
      return numeric && column.jsonNumbers === false ? keptDocument : (t) => t;
    default:
      return (t) => t;
  }
}

/** A JSON document a NUMERIC affinity keeps as text: anything but a bare number. */
function keptDocument(text: string): string {
  if (/^[\t\n\r ]*[-0-9]/.test(text)) {
    throw new HesapError('INTERNAL', `The JSON document ${text.length > 60 ? `${text.slice(0, 57)}...` : text} is a bare number, which the column's JSON declaration would turn into a number; the source had none when it was looked at.`);
  }
  return text;
}

function unrepresentableDecimal(text: string, affinity: SqliteAffinity): never {
  const shown = text.length > 60 ? `${text.slice(0, 57)}...` : text;
  throw new HesapError(
    'VALUE_UNREPRESENTABLE',
    `${shown} cannot be stored exactly in a SQLite column of ${affinity} affinity (a 64-bit integer or a double; SQLite would keep ${Number(text)}).`,
    {
      hints: [
        'Nothing was written to the local file. A PostgreSQL numeric(p,s) with p <= 15 always fits; declare the column so, or as text, or leave the table out with --exclude.',
      ],
    },
  );
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

export class SqliteTableWriter extends Writable implements RowCounting {
  rowCount = 0;
  private readonly parser: CsvParser;
  private readonly single: Database.Statement;
  private readonly batch?: Database.Statement;
  private readonly batchRows: number;
  private readonly decoders: Decoder[];
  private values: unknown[] = [];
  private rows: CsvRow[] = [];

  constructor(
    private readonly db: Database.Database,
    private readonly table: Table,
  ) {
    super({ decodeStrings: true });
    const cols = table.columns;
    const head = `INSERT INTO ${quoteIdent(table.name)} (${cols.map((c) => quoteIdent(c.name)).join(', ')}) VALUES `;
    const tuple = `(${cols.map(() => '?').join(', ')})`;
    this.single = db.prepare(head + tuple);
    this.batchRows = Math.max(1, Math.min(BATCH_ROWS, Math.floor(MAX_PARAMETERS / Math.max(1, cols.length))));
    if (this.batchRows > 1) this.batch = db.prepare(head + Array(this.batchRows).fill(tuple).join(', '));
    const asText = db.prepare('SELECT CAST(? AS TEXT)').pluck();
    const printReal = (value: number) => asText.get(value) as string;
    this.decoders = cols.map((c) => decoderFor(c, affinityOf(sqliteDeclaredType(c)), printReal));
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
    } catch (error) {
      // A full disk (or an I/O error) ends the whole transaction: no row is at fault.
      if (/^SQLITE_(FULL|IOERR)/.test((error as { code?: string }).code ?? '')) throw fileSystemError(error, 'writing the new content to', { file: this.db.name });
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
      { table: this.table.name, column, row: label, cause: error, hints: error instanceof HesapError ? error.hints : undefined },
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
