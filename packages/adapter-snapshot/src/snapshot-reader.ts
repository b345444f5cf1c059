import { createHash, type Hash } from 'node:crypto';
import * as fs from 'node:fs';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import * as zlib from 'node:zlib';
import {
  CONTENT_CHECKSUM_VERSIONS,
  ContentChecksum,
  CsvChecksumFailure,
  type CsvParser,
  HesapError,
  checksumCsv,
  countedRows,
  type CsvChecksumJob,
  type CsvChecksumResult,
  type RowCounting,
  type Table,
} from '@hesap/core';
import { SnapshotInvalidError } from './snapshot-errors';
import { DEFAULT_MAX_TABLE_BYTES, openPlainFile, type SnapshotLimits, type SnapshotTableEntry } from './snapshot-manifest';

/**
 * Reading one table's data file while proving it intact: the SHA-256 of the gzip
 * file, the inflated size (never past what the manifest declares, so a gzip bomb
 * stops early), the row count and the content checksum. Any mismatch fails the
 * stream with {@link SnapshotInvalidError} naming the file, so a transfer reading
 * it rolls its target back.
 */

export interface TableDataOptions extends SnapshotLimits {
  /** Pass the CSV on (a source read) or only check it (verify). Default true. */
  output?: boolean;
  /** The columns to hand out, in this order, when not all of `table`'s own. */
  columns?: readonly string[];
  /**
   * The canonical form the manifest's content checksum was made in; it is recomputed in that
   * version. A version this hesap does not know cannot be compared: the SHA-256 and the row
   * count still are.
   */
  checksumVersion?: number;
}

/** A table's CSV stream that knows how many rows went through it. */
export type TableDataStream = Readable & RowCounting;

/** Opens `entry`'s data file in `dir` as a checked CSV stream of `table` (the manifest's table). */
export function openTableData(dir: string, entry: SnapshotTableEntry, table: Table, options: TableDataOptions = {}): TableDataStream {
  const fd = openWithSize(dir, entry);
  const hash = createHash('sha256');
  const file = fs.createReadStream('', { fd, autoClose: true, highWaterMark: 256 * 1024 });
  // 64 KiB chunks (zlib's default is 16 KiB): a quarter of the calls through every stream after it.
  const gunzip = zlib.createGunzip({ chunkSize: 64 * 1024 });
  const limit = Math.min(entry.bytes, options.maxTableBytes ?? DEFAULT_MAX_TABLE_BYTES);
  const check = new TableDataCheck(entry, table, hash, limit, options);
  file.on('data', (chunk) => hash.update(chunk as Buffer));
  const fail = (error: Error) => check.destroy(error instanceof HesapError ? error : damaged(entry, `cannot be read (${error.message})`, error));
  file.on('error', fail);
  gunzip.on('error', fail);
  check.on('close', () => {
    file.destroy();
    gunzip.destroy();
  });
  file.pipe(gunzip).pipe(check);
  return check;
}

/** The data file, opened only when it is a plain file of the size the manifest declares. */
function openWithSize(dir: string, entry: SnapshotTableEntry): number {
  const { fd, size } = openPlainFile(dir, entry.file);
  if (size !== entry.compressedBytes) {
    fs.closeSync(fd);
    throw damaged(entry, `is ${size} bytes, but the manifest says ${entry.compressedBytes}: it was truncated or changed`);
  }
  return fd;
}

/**
 * Checks a data file as stored, without inflating it: a plain file, of the declared size,
 * with the declared SHA-256. Catches every change to the file; what only inflating can
 * show (a manifest that lies about the rows) is caught by the read itself.
 */
export async function checkTableFile(dir: string, entry: SnapshotTableEntry): Promise<void> {
  const fd = openWithSize(dir, entry);
  const hash = createHash('sha256');
  // One buffer, read into again and again: a read stream makes a new one per chunk, and dead
  // ones wait outside the heap for a collection (a restore's peak RSS in its first second,
  // checking 200 MB of files: 132 MB with the stream, 117 MB with this).
  const buffer = Buffer.allocUnsafe(1024 * 1024);
  try {
    for (;;) {
      const n = await readInto(fd, buffer);
      if (n === 0) break;
      hash.update(buffer.subarray(0, n));
    }
  } catch (error) {
    throw damaged(entry, `cannot be read (${(error as Error).message})`, error);
  } finally {
    fs.closeSync(fd);
  }
  if (hash.digest('hex') !== entry.sha256) throw damaged(entry, 'does not match its SHA-256 in the manifest: it was changed or damaged');
}

function readInto(fd: number, buffer: Buffer): Promise<number> {
  return new Promise((resolve, reject) => fs.read(fd, buffer, 0, buffer.length, null, (error, n) => (error ? reject(error) : resolve(n))));
}

function damaged(entry: SnapshotTableEntry, what: string, cause?: unknown): SnapshotInvalidError {
  return new SnapshotInvalidError(entry.file, `Snapshot file ${entry.file} (table "${entry.table}") ${what}.`, { table: entry.table, cause });
}

/**
 * Counts and checksums the inflated CSV (on the checksum thread for a big table, see
 * `checksumCsv`); checks everything against the manifest at the end. When only some
 * columns are wanted, the rows are parsed here to write those columns.
 */
class TableDataCheck extends Transform implements RowCounting {
  private bytes = 0;
  private readonly output: boolean;
  /** The manifest's checksum is of a version this hesap computes. */
  private readonly comparable: boolean;
  /** The whole CSV's checksum, when every column is handed out as it is. */
  private readonly checksum?: CsvChecksumJob;
  /** Positions of the wanted columns, when they are not all columns in order; then rows are parsed here. */
  private readonly projection?: number[];
  private readonly sum?: ContentChecksum;
  private readonly parser?: CsvParser;
  private projected = '';

  constructor(
    private readonly entry: SnapshotTableEntry,
    private readonly table: Table,
    private readonly hash: Hash,
    private readonly limit: number,
    options: TableDataOptions,
  ) {
    // Room for gunzip to run a few chunks ahead of the consumer.
    super({ writableHighWaterMark: 1024 * 1024 });
    this.output = options.output ?? true;
    this.comparable = CONTENT_CHECKSUM_VERSIONS.includes(options.checksumVersion ?? -1);
    const types = table.columns.map((c) => c.type);
    const version = this.comparable ? options.checksumVersion : undefined;
    const names = table.columns.map((c) => c.name);
    if (options.columns && options.columns.join('\u0000') !== names.join('\u0000')) {
      this.projection = options.columns.map((n) => {
        const i = names.indexOf(n);
        if (i < 0) throw new HesapError('TABLE_MISSING', `Table "${table.name}" has no column "${n}" in the snapshot.`, { table: table.name, column: n });
        return i;
      });
      this.sum = new ContentChecksum(types, version);
      this.parser = countedRows(this.sum, (row) => {
        if (this.output) this.projected += this.projection!.map((i) => csvField(row[i] ?? null)).join(',') + '\n';
      });
    } else {
      this.checksum = checksumCsv({ types, version, expectedBytes: entry.bytes });
    }
  }

  get rowCount(): number {
    return this.checksum ? this.checksum.rows : this.sum!.rows;
  }

  private explain(error: unknown): Error {
    if (error instanceof HesapError && error.code === 'SNAPSHOT_INVALID') return error;
    if (error instanceof CsvChecksumFailure && error.kind === 'fields') {
      return damaged(this.entry, `has ${error.fields} fields in row ${error.row} for ${this.table.columns.length} columns`);
    }
    return damaged(this.entry, `is not valid CSV (${(error as Error).message})`, error);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) {
      callback(damaged(this.entry, `inflates past ${this.limit} bytes, more than the manifest declares (${this.entry.bytes})`));
      return;
    }
    if (this.checksum) {
      const room = this.checksum.write(chunk);
      // Handed on in the next turn of the event loop, not from inside gunzip's callback: gunzip
      // then inflates the next chunk on the thread pool while this one is parsed and inserted.
      // Handed on at once, the two took turns: a restore into SQLite left the main thread
      // waiting a third of its load (restore of the benchmark database 24.4 -> 21.8 s, median of 5).
      const handOn = () => {
        if (this.output) this.push(chunk);
        if (room) callback();
        else this.checksum!.drained().then(() => callback(), callback);
      };
      setImmediate(handOn);
      return;
    }
    try {
      this.parser!.write(chunk);
    } catch (error) {
      callback(this.explain(error));
      return;
    }
    const text = this.projected;
    this.projected = '';
    callback(null, text.length > 0 ? Buffer.from(text, 'utf8') : undefined);
  }

  override _flush(callback: TransformCallback): void {
    const counted: Promise<CsvChecksumResult> = this.checksum
      ? this.checksum.end()
      : Promise.resolve().then(() => {
          this.parser!.end();
          return { rows: this.sum!.rows, digest: this.sum!.digest() };
        });
    counted.then(
      (result) => {
        const sha256 = this.hash.digest('hex');
        const e = this.entry;
        let problem: string | undefined;
        if (sha256 !== e.sha256) problem = 'does not match its SHA-256 in the manifest: it was changed or damaged';
        else if (this.bytes !== e.bytes) problem = `inflates to ${this.bytes} bytes, but the manifest says ${e.bytes}`;
        else if (result.rows !== e.rows) problem = `holds ${result.rows} rows, but the manifest says ${e.rows}`;
        else if (this.comparable && result.digest !== e.checksum) problem = 'holds rows whose content checksum differs from the manifest';
        if (problem) {
          callback(damaged(e, problem));
          return;
        }
        const rest = this.projected;
        this.projected = '';
        callback(null, this.output && rest.length > 0 ? Buffer.from(rest, 'utf8') : undefined);
      },
      (error: unknown) => callback(this.explain(error)),
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.checksum?.abort();
    callback(error);
  }
}

/** A CSV field as PostgreSQL writes it: NULL empty, any text quoted. */
function csvField(text: string | null): string {
  if (text === null) return '';
  return `"${text.replace(/"/g, '""')}"`;
}
