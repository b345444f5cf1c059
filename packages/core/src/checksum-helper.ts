import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { CsvChecksumJob } from './csv-checksum-job';
import { CsvChecksumFailure, type CsvChecksumResult } from './csv-checksummer';
import type { NeutralType } from './schema';

/** Chunks in flight to the helper before `write` asks the writer to wait. */
const IN_FLIGHT_BYTES = 2 * 1024 * 1024;
/** The smallest copy buffer (chunks are usually CHUNK_BYTES, 64 KiB), and how many are kept for reuse. */
const SPARE_BYTES = 64 * 1024;
const MAX_SPARE = 64;

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
export class ChecksumHelper {
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
