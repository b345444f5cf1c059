import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ContentChecksum, CONTENT_CHECKSUM_VERSION, canonicalField } from './checksum';
import { chunksPassed } from './chunk-memory';
import { Murmur3Utf8 } from './murmur3';
import { CsvParser, type CsvRow } from './csv/csv-parser';
import type { NeutralType } from './schema';

/**
 * The content checksum of a table's CSV as it streams past: parsed, each row's field count
 * checked, and summed (`ContentChecksum`). Parsing and hashing are most of the CPU time of
 * a snapshot, and the thread that reads or writes the rows has its own work; on a big table
 * the checksum runs on a helper thread (one per process, shared by every table), which gets
 * a copy of each chunk, so both cores work. Small tables are done inline: a thread's start
 * costs more than it saves.
 */

export interface CsvChecksumOptions {
  /** The column types, in the CSV's column order. */
  types: readonly NeutralType[];
  /** Checksum version (default: the current one). */
  version?: number;
  /** How many bytes are expected, to choose a helper thread (from 4 MiB) or inline. */
  expectedBytes?: number;
  /** How many rows are expected, when the bytes are not known (a helper thread from 50,000). */
  expectedRows?: number;
  /** `auto` (default) by `expectedBytes` and `expectedRows`; `thread` or `inline` to choose (tests). */
  run?: 'auto' | 'thread' | 'inline';
}

export interface CsvChecksumResult {
  rows: number;
  /** `ContentChecksum.digest()`. */
  digest: string;
}

/** Why a CSV could not be checksummed: a row with another number of fields, or text that is not CSV. */
export class CsvChecksumFailure extends Error {
  constructor(
    message: string,
    /** `fields`: `row` had `fields` fields for the table's columns; `csv`: the parser's complaint is the message. */
    readonly kind: 'fields' | 'csv',
    /** 1-based row number. */
    readonly row: number,
    readonly fields = 0,
  ) {
    super(message);
    this.name = 'CsvChecksumFailure';
  }
}

/** Chunks in flight to the helper before `write` asks the writer to wait. */
const IN_FLIGHT_BYTES = 2 * 1024 * 1024;
/** The smallest copy buffer (chunks are usually CHUNK_BYTES, 64 KiB), and how many are kept for reuse. */
const SPARE_BYTES = 64 * 1024;
const MAX_SPARE = 64;
/** Tables expected to be at least this big are checksummed on the helper thread. */
export const THREAD_CHECKSUM_BYTES = 4 * 1024 * 1024;
/** The same in rows, for when only a row count is known. */
export const THREAD_CHECKSUM_ROWS = 50_000;

const COMMA = 0x2c;
const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const NULL_LETTER = 0x4e;

/** How a column's values reach the hash: their bytes as they are, ASCII made small, or through `canonicalField`. */
const enum Way {
  Bytes,
  Lower,
  Canonical,
}

function wayOf(type: NeutralType | undefined): Way {
  switch (type) {
    case 'bytes':
      return Way.Lower;
    case 'integer':
    case 'float':
    case 'decimal':
    case 'boolean':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
      return Way.Canonical;
    default:
      return Way.Bytes;
  }
}

const PLUS = 0x2b;
const MINUS = 0x2d;
const POINT = 0x2e;
const ZERO = 0x30;

const isDigit = (c: number): boolean => c >= ZERO && c <= 0x39;

/**
 * Writes the canonical form of a value to `h` straight from its bytes `t[0..n)`, for the
 * common spellings (the same result `canonicalField` gives their text, property-tested):
 * integers not starting with `+`, `0` or `-0`; decimals of plain digits (leading zeros,
 * trailing zeros of the fraction and the sign of zero dropped here); `t`/`f`; times whose
 * fraction is already trimmed. False, with nothing written: the text goes through
 * `canonicalField`.
 */
export function canonicalBytesInto(t: Uint8Array, n: number, type: NeutralType, h: Murmur3Utf8): boolean {
  if (n === 0) return false;
  const first = t[0]!;
  switch (type) {
    case 'integer':
      if (first === PLUS || (first === ZERO && n > 1) || (first === MINUS && t[1] === ZERO)) return false;
      break;
    case 'decimal':
      return decimalInto(t, n, h);
    case 'boolean':
      if (n !== 1 || (first !== 0x74 && first !== 0x66)) return false;
      break;
    case 'time':
    case 'timestamp':
    case 'timestamptz': {
      let point = 0;
      while (point < n && t[point] !== POINT) point++;
      if (point < n) {
        let j = point + 1;
        while (j < n && isDigit(t[j]!)) j++;
        const zoneOrEnd = j === n || t[j] === PLUS || t[j] === MINUS || t[j] === 0x5a;
        // `.500`, `.` before the zone or the end are trimmed by canonicalField; the rest is kept.
        if (!zoneOrEnd || j === point + 1 || t[j - 1] === ZERO) return false;
        // A second point: left to canonicalField.
        for (let k = j; k < n; k++) if (t[k] === POINT) return false;
      }
      break;
    }
    default:
      return false;
  }
  h.range(t, 0, n);
  return true;
}

/** A decimal of plain digits (`[+-]digits[.digits]`) in canonical form; false for anything else (exponents, NaN, spaces). */
function decimalInto(t: Uint8Array, n: number, h: Murmur3Utf8): boolean {
  let i = t[0] === MINUS || t[0] === PLUS ? 1 : 0;
  const negative = t[0] === MINUS;
  let wholeStart = i;
  while (i < n && isDigit(t[i]!)) i++;
  const wholeEnd = i;
  let fractionStart = i;
  let fractionEnd = i;
  if (i < n) {
    if (t[i] !== POINT) return false;
    fractionStart = ++i;
    while (i < n && isDigit(t[i]!)) i++;
    fractionEnd = i;
    if (i !== n) return false;
  }
  if (wholeEnd === wholeStart && fractionEnd === fractionStart) return false;
  while (wholeStart < wholeEnd && t[wholeStart] === ZERO) wholeStart++;
  while (fractionEnd > fractionStart && t[fractionEnd - 1] === ZERO) fractionEnd--;
  if (negative && (wholeStart < wholeEnd || fractionEnd > fractionStart)) h.byte(MINUS);
  if (wholeStart === wholeEnd) h.byte(ZERO);
  else h.range(t, wholeStart, wholeEnd);
  if (fractionEnd > fractionStart) {
    h.byte(POINT);
    h.range(t, fractionStart, fractionEnd);
  }
  return true;
}

/**
 * The content checksum of PostgreSQL CSV read as bytes, the way `CsvParser` reads it, with
 * the digest `ContentChecksum.add` gives its rows (for valid UTF-8). Text-like values are
 * hashed straight from the chunk, never made into strings: memory stays small whatever a
 * value's size, and most of the time of a parse goes. Numbers, booleans and times (short)
 * are made into strings for `canonicalField`.
 */
export class CsvChecksummer {
  private readonly sum: ContentChecksum;
  private readonly hash = new Murmur3Utf8();
  private readonly ways: Way[];
  /** Fields begun in the current row. */
  private field = 0;
  /**
   * Within a field: 0 not begun (so far NULL), 1 begun (text, or a closed quote), 2 inside
   * quotes, 3 a quote inside quotes seen last.
   */
  private state = 0;
  private crLast = false;
  /** A Canonical field's bytes. */
  private scratch = Buffer.allocUnsafeSlow(64);
  private scratchLength = 0;
  /** Version 2 only: rows parsed into strings, as that version hashed them. */
  private parser?: CsvParser;

  constructor(
    private readonly types: readonly NeutralType[],
    private readonly version = CONTENT_CHECKSUM_VERSION,
  ) {
    this.sum = new ContentChecksum(types, version);
    this.ways = types.map(wayOf);
  }

  /** Rows checksummed so far. */
  get rows(): number {
    return this.sum.rows;
  }

  write(chunk: Buffer | Uint8Array): void {
    const b = chunk instanceof Buffer ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.version !== 3) {
      this.parser ??= countedRows(this.sum);
      this.guard(() => this.parser!.write(b));
      return;
    }
    const n = b.length;
    if (n === 0) return;
    let i = 0;
    if (this.crLast) {
      this.crLast = false;
      if (b[0] === LF) i = 1;
    }
    while (i < n) {
      if (this.state === 2) {
        // Inside quotes: everything up to the next quote is the value's (a short value is
        // scanned here, a long one by indexOf).
        let q = i;
        const near = Math.min(n, i + 48);
        while (q < near && b[q] !== QUOTE) q++;
        if (q === near) q = near === n ? -1 : b.indexOf(QUOTE, near);
        const end = q < 0 ? n : q;
        if (end > i) this.take(b, i, end);
        if (q < 0) return;
        this.state = 3;
        i = q + 1;
        continue;
      }
      if (this.state === 3) {
        if (b[i] === QUOTE) {
          // `""` inside quotes: one quote of the value.
          this.take(b, i, i + 1);
          this.state = 2;
          i++;
          continue;
        }
        this.state = 1;
      }
      // Outside quotes: to the next delimiter, quote or line end.
      let j = i;
      let c = 0;
      while (j < n) {
        c = b[j]!;
        if (c === COMMA || c === LF || c === CR || c === QUOTE) break;
        j++;
      }
      if (j > i) {
        this.begin();
        this.take(b, i, j);
      }
      if (j === n) return;
      if (c === QUOTE) {
        this.begin();
        this.state = 2;
      } else if (c === COMMA) {
        this.endField();
      } else {
        this.endRow();
        if (c === CR) {
          if (j + 1 === n) this.crLast = true;
          else if (b[j + 1] === LF) j++;
        }
      }
      i = j + 1;
    }
  }

  end(): CsvChecksumResult {
    if (this.version !== 3) {
      this.parser ??= countedRows(this.sum);
      this.guard(() => this.parser!.end());
      return { rows: this.sum.rows, digest: this.sum.digest() };
    }
    if (this.state === 2) {
      throw new CsvChecksumFailure(`CSV data ends inside a quoted field (row ${this.sum.rows + 1}).`, 'csv', this.sum.rows + 1);
    }
    if (this.state !== 0 || this.field > 0) this.endRow();
    return { rows: this.sum.rows, digest: this.sum.digest() };
  }

  /** A field's first byte or quote: the separator before it goes into the hash. */
  private begin(): void {
    if (this.state !== 0) return;
    this.state = 1;
    if (this.field > 0) {
      this.hash.byte(0);
      this.hash.byte(COMMA);
    }
  }

  private take(b: Buffer, start: number, end: number): void {
    const way = this.ways[this.field];
    if (way === Way.Bytes || way === undefined) this.hash.range(b, start, end);
    else if (way === Way.Lower) this.hash.lowerRange(b, start, end);
    else {
      const size = this.scratchLength + end - start;
      if (size > this.scratch.length) {
        const next = Buffer.allocUnsafeSlow(size * 2);
        this.scratch.copy(next, 0, 0, this.scratchLength);
        this.scratch = next;
      }
      const t = this.scratch;
      let p = this.scratchLength;
      for (let i = start; i < end; i++) t[p++] = b[i]!;
      this.scratchLength = size;
    }
  }

  private endField(): void {
    if (this.state === 0) {
      // Nothing at all: NULL.
      this.begin();
      this.hash.byte(0);
      this.hash.byte(NULL_LETTER);
    } else if (this.ways[this.field] === Way.Canonical) {
      const type = this.types[this.field]!;
      const t = this.scratch;
      const n = this.scratchLength;
      if (!canonicalBytesInto(t, n, type, this.hash)) this.hash.text(canonicalField(t.toString('utf8', 0, n), type));
    }
    this.scratchLength = 0;
    this.state = 0;
    this.field++;
  }

  private endRow(): void {
    this.endField();
    const fields = this.types.length;
    if (this.field !== fields) {
      throw new CsvChecksumFailure(`row ${this.sum.rows + 1} has ${this.field} fields for ${fields} columns`, 'fields', this.sum.rows + 1, this.field);
    }
    this.sum.addHashed(this.hash);
    this.field = 0;
  }

  private guard(step: () => void): void {
    try {
      step();
    } catch (error) {
      if (error instanceof CsvChecksumFailure) throw error;
      throw new CsvChecksumFailure((error as Error).message, 'csv', this.rows + 1);
    }
  }
}

/**
 * A string parser that adds each row to `sum` (and hands it to `onRow`), failing with
 * `CsvChecksumFailure` on a row with another number of fields than `sum`'s columns.
 */
export function countedRows(sum: ContentChecksum, onRow?: (row: CsvRow) => void): CsvParser {
  const fields = sum.columns;
  return new CsvParser((row) => {
    if (row.length !== fields) {
      throw new CsvChecksumFailure(`row ${sum.rows + 1} has ${row.length} fields for ${fields} columns`, 'fields', sum.rows + 1, row.length);
    }
    sum.add(row);
    onRow?.(row);
  });
}

/** One table's checksum in progress. */
export interface CsvChecksumJob {
  /** Whether the rows are checksummed on the helper thread. */
  readonly threaded: boolean;
  /** Rows checksummed so far (on the helper: as of its last reply), for progress. */
  readonly rows: number;
  /** Hands on a chunk (the caller may reuse it afterwards). False: wait for `drained()` before the next. */
  write(chunk: Uint8Array): boolean;
  /** Resolves once fewer chunks are in flight (at once inline). */
  drained(): Promise<void>;
  /** The result once every chunk is checksummed; rejects with `CsvChecksumFailure` (or a helper's failure). */
  end(): Promise<CsvChecksumResult>;
  /** Drops the job (a failed or aborted stream). */
  abort(): void;
}

/** Starts a table's checksum: on the helper thread when the table is expected to be big (see {@link CsvChecksumOptions.run}). */
export function checksumCsv(options: CsvChecksumOptions): CsvChecksumJob {
  const version = options.version ?? CONTENT_CHECKSUM_VERSION;
  const run = options.run ?? 'auto';
  const big = (options.expectedBytes ?? 0) >= THREAD_CHECKSUM_BYTES || (options.expectedRows ?? 0) >= THREAD_CHECKSUM_ROWS;
  const threaded = run === 'thread' || (run === 'auto' && big);
  if (threaded) {
    const helper = ChecksumHelper.get();
    if (helper) return helper.start(options.types, version);
  }
  return inlineJob(new CsvChecksummer(options.types, version));
}

/** The checksum of a whole CSV stream (a table read back, or a side of `verify`). */
export async function checksumStream(stream: AsyncIterable<Buffer | Uint8Array>, options: CsvChecksumOptions): Promise<CsvChecksumResult> {
  const job = checksumCsv(options);
  try {
    for await (const chunk of stream) {
      const more = job.write(chunk);
      chunksPassed(chunk.length);
      if (!more) await job.drained();
    }
  } catch (error) {
    job.abort();
    throw error;
  }
  return job.end();
}

function inlineJob(checksummer: CsvChecksummer): CsvChecksumJob {
  let failure: unknown;
  return {
    threaded: false,
    get rows() {
      return checksummer.rows;
    },
    write(chunk) {
      if (failure === undefined) {
        try {
          checksummer.write(chunk);
        } catch (error) {
          failure = error;
        }
      }
      return true;
    },
    drained: () => Promise.resolve(),
    end: async () => {
      if (failure !== undefined) throw failure;
      return checksummer.end();
    },
    abort: () => undefined,
  };
}

interface HelperReply {
  job: number;
  /** Bytes of one chunk done, and the rows so far. */
  done?: number;
  rows?: number;
  /** The chunk's memory, given back. */
  memory?: ArrayBuffer;
  result?: CsvChecksumResult;
  failure?: { message: string; kind: 'fields' | 'csv'; row: number; fields: number };
}

interface ActiveJob {
  inFlight: number;
  /** Chunks copied and not yet sent. */
  batch?: Uint8Array;
  batchLength: number;
  rows: number;
  waiters: Array<() => void>;
  finished?: { resolve: (r: CsvChecksumResult) => void; reject: (e: unknown) => void };
  /** Kept until `end()` asks, when the helper answers first (a failure mid-stream). */
  outcome?: { result?: CsvChecksumResult; error?: unknown };
}

/** The process's checksum thread: started on first use, referenced only while a job runs. */
class ChecksumHelper {
  private static current?: ChecksumHelper;
  private static unavailable = false;
  private readonly jobs = new Map<number, ActiveJob>();
  /** Memory the helper gave back, for the next chunks' copies (so they are not allocated anew each time). */
  private readonly spare: ArrayBuffer[] = [];
  private next = 0;

  static get(): ChecksumHelper | undefined {
    if (ChecksumHelper.unavailable) return undefined;
    if (!ChecksumHelper.current) {
      const file = workerFile();
      if (!file) {
        ChecksumHelper.unavailable = true;
        return undefined;
      }
      // A small young generation: the helper makes little garbage (text is hashed from the
      // bytes). The old generation is left unbounded: a huge number-typed value is still made
      // into one string for canonicalField.
      ChecksumHelper.current = new ChecksumHelper(new Worker(file, { resourceLimits: { maxYoungGenerationSizeMb: 2, stackSizeMb: 1 } }));
    }
    return ChecksumHelper.current;
  }

  private constructor(private readonly worker: Worker) {
    worker.unref();
    worker.on('message', (m: HelperReply) => this.reply(m));
    const fail = (error: unknown) => {
      if (ChecksumHelper.current === this) ChecksumHelper.current = undefined;
      const err = error instanceof Error ? error : new Error(`The checksum thread stopped (${String(error)}).`);
      for (const id of [...this.jobs.keys()]) this.settle(id, { error: err });
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`The checksum thread exited (code ${code}).`)));
  }

  start(types: readonly NeutralType[], version: number): CsvChecksumJob {
    const id = ++this.next;
    const job: ActiveJob = { inFlight: 0, batchLength: 0, rows: 0, waiters: [] };
    this.jobs.set(id, job);
    if (this.jobs.size === 1) this.worker.ref();
    this.worker.postMessage({ job: id, types, version });
    return {
      threaded: true,
      get rows() {
        return job.outcome?.result?.rows ?? job.rows;
      },
      write: (chunk) => {
        if (!this.jobs.has(id) || job.outcome) return true;
        job.inFlight += chunk.length;
        // Copied, so the caller goes on using its buffer (it is also gzipped, or written); small
        // chunks (gunzip hands out 16 KiB) are gathered into one message of 64 KiB or more.
        if (job.batch && job.batchLength + chunk.length > job.batch.byteLength) this.send(id, job);
        job.batch ??= new Uint8Array(this.memory(chunk.length));
        job.batch.set(chunk, job.batchLength);
        job.batchLength += chunk.length;
        if (job.batchLength >= SPARE_BYTES) this.send(id, job);
        return job.inFlight < IN_FLIGHT_BYTES;
      },
      drained: () => (job.inFlight < IN_FLIGHT_BYTES || job.outcome ? Promise.resolve() : new Promise<void>((resolve) => job.waiters.push(resolve))),
      end: () =>
        new Promise<CsvChecksumResult>((resolve, reject) => {
          if (job.outcome) {
            if (job.outcome.error !== undefined) reject(job.outcome.error);
            else resolve(job.outcome.result!);
            return;
          }
          job.finished = { resolve, reject };
          this.send(id, job);
          this.worker.postMessage({ job: id, end: true });
        }),
      abort: () => {
        job.batch = undefined;
        if (!this.jobs.has(id)) return;
        this.worker.postMessage({ job: id, abort: true });
        this.settle(id, { error: new Error('aborted') });
      },
    };
  }

  /** Memory of at least `size` bytes (and SPARE_BYTES): given back by the helper before, when there is some big enough. */
  private memory(size: number): ArrayBuffer {
    const i = this.spare.findIndex((b) => b.byteLength >= size);
    return i < 0 ? new ArrayBuffer(Math.max(size, SPARE_BYTES)) : this.spare.splice(i, 1)[0]!;
  }

  /** Moves the job's gathered chunks to the helper (the helper sends the memory back with its reply). */
  private send(id: number, job: ActiveJob): void {
    const batch = job.batch;
    if (!batch) return;
    job.batch = undefined;
    const chunk = new Uint8Array(batch.buffer, 0, job.batchLength);
    job.batchLength = 0;
    this.worker.postMessage({ job: id, chunk }, [batch.buffer as ArrayBuffer]);
  }

  private reply(m: HelperReply): void {
    if (m.memory && this.spare.length < MAX_SPARE) this.spare.push(m.memory);
    const job = this.jobs.get(m.job);
    if (!job) return;
    if (m.done !== undefined) {
      job.inFlight -= m.done;
      job.rows = m.rows ?? job.rows;
      if (job.inFlight < IN_FLIGHT_BYTES) for (const wake of job.waiters.splice(0)) wake();
    }
    if (m.result) this.settle(m.job, { result: m.result });
    if (m.failure) this.settle(m.job, { error: new CsvChecksumFailure(m.failure.message, m.failure.kind, m.failure.row, m.failure.fields) });
  }

  private settle(id: number, outcome: NonNullable<ActiveJob['outcome']>): void {
    const job = this.jobs.get(id);
    if (!job) return;
    this.jobs.delete(id);
    if (this.jobs.size === 0) this.worker.unref();
    job.outcome = outcome;
    for (const wake of job.waiters.splice(0)) wake();
    if (job.finished) {
      if (outcome.error !== undefined) job.finished.reject(outcome.error);
      else job.finished.resolve(outcome.result!);
    }
  }
}

/**
 * The helper's script, built next to this file. Tests run the TypeScript sources, whose
 * folder has no `.js`: then the package's build (`dist`), which `npm test` makes first.
 */
function workerFile(): string | undefined {
  for (const file of [path.join(__dirname, 'checksum-worker.js'), path.join(__dirname, '..', 'dist', 'checksum-worker.js')]) {
    if (fs.existsSync(file)) return file;
  }
  return undefined;
}
