import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import {
  CONTENT_CHECKSUM_VERSION,
  CsvChecksumFailure,
  HesapError,
  checksumCsv,
  redactUrl,
  type CsvChecksumJob,
  type CsvChecksumResult,
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
import { DIR_MODE, FILE_MODE, ensureDirectory, removeLeftovers, syncDirectory, syncFile, tempDirName, writeFileDurably } from './snapshot-files';
import {
  MANIFEST_FILE,
  SNAPSHOT_FORMAT,
  SNAPSHOT_FORMAT_VERSION,
  dataFileName,
  encodeManifest,
  type SnapshotManifest,
  type SnapshotSourceInfo,
  type SnapshotTableEntry,
} from './snapshot-manifest';

/**
 * gzip level 1: on the benchmark database (577 MB of CSV) a snapshot takes 19.9 s instead of
 * 25.3 s at zlib's usual 6, for files 7% larger (191 MB instead of 179 MB).
 */
export const DEFAULT_COMPRESSION_LEVEL = 1;

export interface SnapshotTargetOptions {
  /** Where the rows come from, for the manifest (the location is redacted again here). */
  source?: SnapshotSourceInfo;
  /** gzip level, 1 (fast) to 9 (small). Default {@link DEFAULT_COMPRESSION_LEVEL}. */
  compressionLevel?: number;
  /** The hesap version written into the manifest. */
  hesapVersion?: string;
}

/**
 * Writes a snapshot: a folder with one gzip-compressed CSV file per table (the bytes
 * exactly as the source sent them) and `manifest.json`. Everything is built in a
 * temporary folder next to the destination; files are synced and renamed into place,
 * and the folder is renamed to its final name only once the manifest is in. So a
 * snapshot is there complete or not at all, and `abort` (or a killed process, whose
 * folder the next create removes) leaves nothing behind.
 */
export class SnapshotTarget implements TargetSession {
  private plan?: LoadPlan;
  private temp?: string;
  private createdAt?: string;
  private sourceSchema?: Schema;
  private readonly entries = new Map<string, SnapshotTableEntry>();
  private written?: SnapshotManifest;

  constructor(
    readonly destination: string,
    private readonly options: SnapshotTargetOptions = {},
  ) {}

  /**
   * The source's whole schema (dialect, views, notes), which a load plan does not carry.
   * Optional: without it the manifest holds the planned tables only.
   */
  describeSource(schema: Schema): void {
    this.sourceSchema = schema;
  }

  /** The manifest, once `finish` has put the snapshot in place. */
  get manifest(): SnapshotManifest | undefined {
    return this.written;
  }

  /** A new snapshot holds nothing yet. */
  async introspect(_options?: IntrospectOptions): Promise<Schema> {
    return { dialect: 'snapshot', tables: [], views: [], notes: [] };
  }

  async begin(plan: LoadPlan): Promise<void> {
    this.plan = plan;
    const parent = path.dirname(this.destination);
    ensureDirectory(parent);
    removeLeftovers(parent);
    if (fs.existsSync(this.destination)) {
      throw new HesapError('CONFIG_INVALID', `${this.destination} already exists; a snapshot is never written over anything.`, {
        hints: ['Choose another `out`, or leave `out` away to get a new name in the snapshot folder.'],
      });
    }
    const temp = path.join(parent, tempDirName());
    fs.mkdirSync(temp, { mode: DIR_MODE });
    fs.chmodSync(temp, DIR_MODE);
    this.temp = temp;
    this.createdAt = new Date().toISOString();
  }

  writeTable(table: TablePlan): TableWrite {
    if (!this.plan || !this.temp) throw new Error('begin() must come before writeTable()');
    const index = this.plan.tables.findIndex((t) => t.source.name === table.source.name);
    const file = dataFileName(index, table.source.name);
    const writer = new SnapshotTableWriter(path.join(this.temp, file), table.source, this.options.compressionLevel ?? DEFAULT_COMPRESSION_LEVEL, table.rowCount);
    return {
      stream: writer,
      complete: async (): Promise<TableWriteResult> => {
        const entry = writer.entry(file);
        this.entries.set(entry.table, entry);
        return { table: entry.table, received: entry.rows, inserted: entry.rows, updated: 0, unchanged: 0, remapped: 0, skipped: [] };
      },
    };
  }

  async finish(): Promise<{ notes: Note[] }> {
    const plan = this.plan;
    const temp = this.temp;
    if (!plan || !temp) throw new Error('begin() must come before finish()');
    if (plan.dryRun) {
      await this.abort(undefined);
      return { notes: [] };
    }
    const tables: Table[] = plan.tables.map((t) => t.source);
    const missing = tables.filter((t) => !this.entries.has(t.name)).map((t) => t.name);
    if (missing.length > 0) throw new HesapError('INTERNAL', `Tables never written to the snapshot: ${missing.join(', ')}.`);
    const names = new Set(tables.map((t) => t.name));
    const origin = this.sourceSchema;
    const manifest: SnapshotManifest = {
      format: SNAPSHOT_FORMAT,
      formatVersion: SNAPSHOT_FORMAT_VERSION,
      checksumVersion: CONTENT_CHECKSUM_VERSION,
      hesapVersion: this.options.hesapVersion ?? packageVersion(),
      createdAt: this.createdAt!,
      source: sourceInfo(this.options.source, origin?.dialect ?? tables.flatMap((t) => t.columns).find((c) => c.origin)?.origin?.dialect),
      schema: {
        dialect: origin?.dialect ?? 'unknown',
        tables,
        views: origin?.views ?? [],
        notes: (origin?.notes ?? []).filter((n) => n.table === undefined || names.has(n.table)),
      },
      tables: tables.map((t) => this.entries.get(t.name)!),
    };
    writeFileDurably(path.join(temp, MANIFEST_FILE), encodeManifest(manifest));
    syncDirectory(temp);
    if (fs.existsSync(this.destination)) {
      throw new HesapError('CONFIG_INVALID', `${this.destination} appeared while the snapshot was written; the snapshot was not kept.`);
    }
    fs.renameSync(temp, this.destination);
    this.temp = undefined;
    syncDirectory(path.dirname(this.destination));
    this.written = manifest;
    return { notes: [] };
  }

  async abort(_reason: unknown): Promise<void> {
    const temp = this.temp;
    this.temp = undefined;
    if (temp) fs.rmSync(temp, { recursive: true, force: true });
  }

  async close(): Promise<void> {
    await this.abort(undefined);
  }
}

function sourceInfo(given: SnapshotSourceInfo | undefined, dialect: string | undefined): SnapshotSourceInfo {
  const info: SnapshotSourceInfo = { kind: given?.kind ?? given?.adapter ?? 'unknown', location: redactUrl(given?.location ?? '') };
  if (given?.adapter) info.adapter = given.adapter;
  if (given?.dialect ?? dialect) info.dialect = given?.dialect ?? dialect;
  return info;
}

let version: string | undefined;

/** This package's version (the same for every hesap package). */
export function packageVersion(): string {
  if (version === undefined) {
    try {
      version = (JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      version = 'unknown';
    }
  }
  return version;
}

/**
 * One table's data file: the CSV is gzipped into `<file>.part` while its SHA-256 (of the
 * gzip bytes), size, row count and content checksum are computed on the way (the checksum
 * on the checksum thread for a big table); at the end the file is synced and renamed to `file`.
 */
class SnapshotTableWriter extends Writable implements RowCounting {
  private readonly gzip: zlib.Gzip;
  private readonly hash = createHash('sha256');
  private readonly checksum: CsvChecksumJob;
  private readonly written: Promise<void>;
  private readonly part: string;
  private bytes = 0;
  private compressedBytes = 0;
  private result?: CsvChecksumResult;
  private sha256?: string;

  constructor(
    private readonly file: string,
    private readonly table: Table,
    level: number,
    expectedRows: number | undefined,
  ) {
    super();
    this.checksum = checksumCsv({ types: table.columns.map((c) => c.type), expectedRows });
    this.gzip = zlib.createGzip({ level });
    this.part = `${file}.part`;
    const out = fs.createWriteStream(this.part, { flags: 'wx', mode: FILE_MODE });
    const tap = new Transform({
      transform: (chunk: Buffer, _encoding, callback) => {
        this.hash.update(chunk);
        this.compressedBytes += chunk.length;
        callback(null, chunk);
      },
    });
    this.written = pipeline(this.gzip, tap, out);
    this.written.catch((error: Error) => this.destroy(error));
  }

  get rowCount(): number {
    return this.checksum.rows;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const room = this.checksum.write(chunk);
    this.bytes += chunk.length;
    const gzipRoom = this.gzip.write(chunk);
    if (room && gzipRoom) {
      callback();
      return;
    }
    const waits: Promise<unknown>[] = [];
    if (!room) waits.push(this.checksum.drained());
    if (!gzipRoom) waits.push(new Promise((resolve) => this.gzip.once('drain', resolve)));
    Promise.all(waits).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.checksum.end().then(
      (result) => {
        this.result = result;
        this.gzip.end();
        this.written.then(() => {
          try {
            syncFile(this.part);
            fs.renameSync(this.part, this.file);
            callback();
          } catch (error) {
            callback(error as Error);
          }
        }, callback);
      },
      (error: unknown) => callback(this.explain(error)),
    );
  }

  private explain(error: unknown): Error {
    if (error instanceof CsvChecksumFailure && error.kind === 'fields') {
      return new HesapError('INTERNAL', `Table "${this.table.name}", row ${error.row}: ${error.fields} fields for ${this.table.columns.length} columns.`, {
        table: this.table.name,
      });
    }
    if (error instanceof CsvChecksumFailure) {
      return new HesapError('INVALID_TEXT', `Table "${this.table.name}", row ${error.row}: ${error.message}`, { table: this.table.name });
    }
    return error as Error;
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.checksum.abort();
    this.gzip.destroy();
    callback(error);
  }

  /** What the manifest says about this file; only once the stream has finished. */
  entry(file: string): SnapshotTableEntry {
    this.sha256 ??= this.hash.digest('hex');
    const result = this.result!;
    return {
      table: this.table.name,
      file,
      rows: result.rows,
      bytes: this.bytes,
      compressedBytes: this.compressedBytes,
      sha256: this.sha256,
      checksum: result.digest,
    };
  }
}
