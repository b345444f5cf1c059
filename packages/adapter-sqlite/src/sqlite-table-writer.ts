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
import { explainFileError, fileSystemError } from './sqlite-destination';
import { epochDecoder } from './sqlite-epoch';
import { exactNumber, shortDecimal, type RealPrinter } from './sqlite-exact-decimal';
import type { InsertThread } from './sqlite-insert-thread';

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
      // With numeric affinity SQLite turns the text into the exact integer itself; an integer
      // of at most 15 characters goes as a number instead, which binds and stores the same
      // value (a double holds it exactly; the affinity makes it an INTEGER, or a REAL where
      // the text would become one) at about half SQLite's cost of converting the text.
      return numeric ? (t) => (plainInteger(t) ? Number(t) : t) : (t) => BigInt(t);
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

/** `t` is an integer's plain decimal text (an optional minus, 1-15 characters): every such value is a safe integer. */
export function plainInteger(t: string): boolean {
  const n = t.length;
  if (n === 0 || n > 15) return false;
  let i = t.charCodeAt(0) === 45 ? 1 : 0;
  if (i === n) return false;
  for (; i < n; i++) {
    const c = t.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
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
 * the row at fault. With an {@link InsertThread} the batches go to that thread, which
 * inserts them while this one decodes the next (at most {@link IN_FLIGHT} batches ahead).
 */
const BATCH_ROWS = 256;
const MAX_PARAMETERS = 32766;
/**
 * Batches sent to the insert thread and not yet inserted: enough to keep it busy, few enough
 * to bound memory; and at most this many bytes of CSV in them (rows of big values). When the
 * main thread has to wait, it waits until the thread is down to {@link LOW_WATER} batches: each
 * wait costs a wake-up of both threads, which on a busy machine can take milliseconds.
 */
const IN_FLIGHT = 16;
const LOW_WATER = 4;
const IN_FLIGHT_BYTES = 16 * 1024 * 1024;

/** Where the rows go: the session's connection, or the insert thread (`scratch`: a connection of this thread's own for SQLite's text of a double). */
export type RowsInto = Database.Database | { thread: InsertThread; scratch: Database.Database; file: string };

/** The primary key's text of each row sent to the insert thread, kept until it has inserted them (to name a row at fault). */
interface SentBatch {
  n: number;
  /** The CSV bytes it came from (about). */
  bytes: number;
  keys: (string | null)[];
  firstLine: number;
}

export class SqliteTableWriter extends Writable implements RowCounting {
  rowCount = 0;
  private readonly parser: CsvParser;
  private readonly single?: Database.Statement;
  private readonly batch?: Database.Statement;
  private readonly thread?: InsertThread;
  private readonly file: string;
  private readonly batchRows: number;
  private readonly decoders: Decoder[];
  private values: unknown[] = [];
  /** The primary key columns' places, and their text in each row of the batch (one after the other). */
  private readonly keyPlaces: number[];
  private keys: (string | null)[] = [];
  /** Rows in the batch. */
  private count = 0;
  /** Rows parsed so far (the line of the next is one more). */
  private parsed = 0;
  private readonly sent: SentBatch[] = [];
  /** The insert thread's count of inserted batches (all tables) up to the batches this writer has counted as in. */
  private inserted = 0;
  /** CSV bytes written to this stream, those in the batches sent before, and those in batches the thread still has. */
  private bytesIn = 0;
  private bytesSent = 0;
  private bytesInFlight = 0;
  /** A write or the final flush waiting for the insert thread to catch up. */
  private waiting?: { callback: (error?: Error | null) => void; until: number };
  private failure?: Error;

  constructor(
    into: RowsInto,
    private readonly table: Table,
  ) {
    super({ decodeStrings: true });
    const cols = table.columns;
    const head = `INSERT INTO ${quoteIdent(table.name)} (${cols.map((c) => quoteIdent(c.name)).join(', ')}) VALUES `;
    const tuple = `(${cols.map(() => '?').join(', ')})`;
    this.batchRows = Math.max(1, Math.min(BATCH_ROWS, Math.floor(MAX_PARAMETERS / Math.max(1, cols.length))));
    const batchSql = this.batchRows > 1 ? head + Array(this.batchRows).fill(tuple).join(', ') : undefined;
    let textOf: Database.Database;
    if ('thread' in into) {
      this.thread = into.thread;
      this.file = into.file;
      textOf = into.scratch;
      // The tables before this one are all in (their writers waited for it).
      this.inserted = this.thread.inserted();
      this.thread.table(
        { progress: () => this.progressed(), fail: (index, error) => this.failed(index, error) },
        { single: head + tuple, batch: batchSql, batchRows: this.batchRows, width: cols.length },
      );
    } else {
      this.file = into.name;
      textOf = into;
      this.single = into.prepare(head + tuple);
      if (batchSql) this.batch = into.prepare(batchSql);
    }
    const asText = textOf.prepare('SELECT CAST(? AS TEXT)').pluck();
    const printReal = (value: number) => asText.get(value) as string;
    this.decoders = cols.map((c) => decoderFor(c, affinityOf(sqliteDeclaredType(c)), printReal));
    this.keyPlaces = (table.primaryKey?.columns ?? []).map((k) => cols.findIndex((c) => c.name === k));
    this.parser = new CsvParser((row) => this.addRow(row));
  }

  private addRow(row: CsvRow): void {
    const decoders = this.decoders;
    const line = this.parsed + 1;
    if (row.length !== decoders.length) {
      throw new HesapError('INTERNAL', `Table "${this.table.name}", line ${line}: ${row.length} fields for ${decoders.length} columns.`, {
        table: this.table.name,
        row: `line ${line}`,
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
      throw this.rowError(error, this.label(this.keyPlaces.map((k) => row[k] ?? null), 0, line), this.table.columns[i]!.name);
    }
    this.parsed++;
    for (const k of this.keyPlaces) this.keys.push(row[k] ?? null);
    if (++this.count === this.batchRows) this.flush();
  }

  private flush(): void {
    const n = this.count;
    if (n === 0) return;
    if (this.thread) {
      this.thread.insert(this.values, n);
      const bytes = this.bytesIn - this.bytesSent;
      this.bytesSent = this.bytesIn;
      this.bytesInFlight += bytes;
      this.sent.push({ n, bytes, keys: this.keys, firstLine: this.parsed - n + 1 });
    } else {
      try {
        if (n === this.batchRows && this.batch) this.batch.run(this.values);
        else this.insertSingly(0);
      } catch (error) {
        // A full disk (or an I/O error) ends the whole transaction: no row is at fault.
        if (/^SQLITE_(FULL|IOERR)/.test((error as { code?: string }).code ?? '')) throw fileSystemError(error, 'writing the new content to', { file: this.file });
        // The failed statement changed nothing: find the row at fault.
        this.insertSingly(0);
      }
      this.rowCount += n;
    }
    this.values = [];
    this.keys = [];
    this.count = 0;
  }

  /** Counts the batches the insert thread has inserted since the last look (their rows are in). */
  private settle(): void {
    const inserted = this.thread!.inserted();
    while (this.inserted < inserted && this.sent.length > 0) {
      const batch = this.sent.shift()!;
      this.rowCount += batch.n;
      this.bytesInFlight -= batch.bytes;
      this.inserted++;
    }
  }

  /** At most `until` batches, and not too many bytes, are still with the insert thread. */
  private caughtUp(until: number): boolean {
    return this.sent.length <= until && (this.sent.length === 0 || this.bytesInFlight <= IN_FLIGHT_BYTES);
  }

  /** The insert thread inserted more batches while this thread waited. */
  private progressed(): void {
    const waiting = this.waiting;
    if (!waiting || this.failure) return;
    this.waiting = undefined;
    this.whenSent(waiting.until, waiting.callback);
  }

  /** The insert thread failed on the oldest batch sent: at its row `index`, or as a whole (-1: a full disk, the thread stopped). */
  private failed(index: number, error: Error & { code?: string }): void {
    this.settle();
    const batch = this.sent.shift();
    this.failure ??=
      batch && index >= 0
        ? this.rowError(error, this.label(batch.keys, index, batch.firstLine + index))
        : (explainFileError(error, 'writing the new content to', { file: this.file }) ?? error);
    const waiting = this.waiting;
    this.waiting = undefined;
    if (waiting) waiting.callback(this.failure);
    else this.destroy(this.failure);
  }

  /** Calls back once at most `until` batches (see {@link caughtUp}) are still with the insert thread (at once without one). */
  private whenSent(until: number, callback: (error?: Error | null) => void): void {
    if (this.failure) return callback(this.failure);
    if (!this.thread) return callback();
    this.settle();
    if (this.caughtUp(until)) return callback();
    this.waiting = { callback, until };
    // Down to the low-water mark (or to `until`, when that is lower); at least one more batch.
    this.thread.wakeAt(this.inserted + Math.max(1, this.sent.length - Math.min(until, LOW_WATER)));
    // The batch may have gone in before the thread was asked to tell.
    this.settle();
    if (this.caughtUp(until)) {
      this.waiting = undefined;
      callback();
    }
  }

  private insertSingly(from: number): void {
    const width = this.decoders.length;
    for (let r = from; r < this.count; r++) {
      try {
        this.single!.run(this.values.slice(r * width, (r + 1) * width));
      } catch (error) {
        throw this.rowError(error, this.label(this.keys, r, this.rowCount + r + 1));
      }
    }
  }

  /** How an error names row `r` of a batch whose keys' text is `keys`: its primary key, else its line. */
  private label(keys: readonly (string | null)[], r: number, line: number): string {
    const pk = this.table.primaryKey?.columns ?? [];
    return pk.length > 0 ? pk.map((c, j) => `${c}=${keys[r * pk.length + j] ?? 'NULL'}`).join(', ') : `line ${line}`;
  }

  private rowError(error: unknown, label: string, column?: string): HesapError {
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
      if (this.failure) throw this.failure;
      this.bytesIn += chunk.length;
      this.parser.write(chunk);
    } catch (error) {
      callback(error as Error);
      return;
    }
    this.whenSent(IN_FLIGHT, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    try {
      if (this.failure) throw this.failure;
      this.parser.end();
      this.flush();
    } catch (error) {
      callback(error as Error);
      return;
    }
    this.whenSent(0, callback);
  }

  result(): TableWriteResult {
    return { table: this.table.name, received: this.rowCount, inserted: this.rowCount, updated: 0, unchanged: 0, remapped: 0, skipped: [] };
  }
}
