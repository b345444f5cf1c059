import { Worker } from 'node:worker_threads';

/**
 * The thread that runs a pull's INSERTs into the temporary database. On one thread a pull
 * decodes a row and then inserts it, and SQLite's part (binding, the B-tree, the pages) is
 * as long as the decoding: with the inserts on a thread of their own, the main thread
 * parses and decodes the next rows while SQLite writes the last ones.
 *
 * The thread has its own connection to the temporary database (nothing else writes it: the
 * main connection made the tables and waits). It holds one transaction from start to
 * {@link InsertThread.commit}; rows come as flat arrays of decoded values, one statement's
 * worth a message. It counts the messages it has inserted in shared memory, and posts a
 * message back only when that count reaches the one the main thread waits for ({@link InsertThread.wakeAt}) or
 * for the error of the row at fault (the batch is replayed row by row to find it, as on the
 * main thread): a reply per batch cost as much as the structured clone of the batch.
 */

/** Messages the thread answers, in the order it got them. */
export type InsertReply =
  | { t: 'ready'; error?: WorkerError }
  | { t: 'progress' }
  | { t: 'error'; index: number; error: WorkerError }
  | { t: 'committed' };

export interface WorkerError {
  message: string;
  code?: string;
}

/** What the main thread hears of the rows it sent: that the count it waits for was reached, or the error of the first batch that failed. */
export interface InsertListener {
  progress(): void;
  fail(index: number, error: Error & { code?: string }): void;
}

/** The shared counters: batches inserted, and the count the main thread waits for (0: none). */
const INSERTED = 0;
const WAITING = 1;

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const shared = new Int32Array(workerData.shared);
let db, single, batch, batchRows = 0, width = 0, failed = false;
const described = (e) => ({ message: String((e && e.message) || e), code: e && typeof e.code === 'string' ? e.code : undefined });
const full = (e) => /^SQLITE_(FULL|IOERR)/.test((e && e.code) || '');
try {
  db = new Database(workerData.file, { fileMustExist: true });
  // The temporary database is private and installed afterwards in one transaction: no journal,
  // no syncs, one lock for the whole build.
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.pragma('foreign_keys = OFF');
  db.pragma('locking_mode = EXCLUSIVE');
  db.pragma('cache_size = ' + workerData.cacheSize);
  db.exec('BEGIN');
  parentPort.postMessage({ t: 'ready' });
} catch (e) {
  failed = true;
  parentPort.postMessage({ t: 'ready', error: described(e) });
}
function insert(values, n) {
  if (n === batchRows && batch) {
    try {
      batch.run(values);
      return;
    } catch (e) {
      if (full(e)) throw Object.assign(e, { rowIndex: -1 });
      // The failed statement changed nothing: find the row at fault.
    }
  }
  for (let r = 0; r < n; r++) {
    try {
      single.run(values.slice(r * width, (r + 1) * width));
    } catch (e) {
      throw Object.assign(e, { rowIndex: full(e) ? -1 : r });
    }
  }
}
parentPort.on('message', (m) => {
  if (m.t === 'close') {
    try { if (db && db.open) db.close(); } finally { process.exit(0); }
    return;
  }
  if (failed) return;
  try {
    if (m.t === 'table') {
      single = db.prepare(m.single);
      batch = m.batch ? db.prepare(m.batch) : undefined;
      batchRows = m.batchRows;
      width = m.width;
    } else if (m.t === 'rows') {
      insert(m.values, m.n);
      const inserted = Atomics.add(shared, ${INSERTED}, 1) + 1;
      const wanted = Atomics.load(shared, ${WAITING});
      if (wanted > 0 && inserted >= wanted && Atomics.compareExchange(shared, ${WAITING}, wanted, 0) === wanted) parentPort.postMessage({ t: 'progress' });
    } else if (m.t === 'commit') {
      db.exec('COMMIT');
      db.close();
      db = undefined;
      failed = true;
      parentPort.postMessage({ t: 'committed' });
    }
  } catch (e) {
    failed = true;
    parentPort.postMessage({ t: 'error', index: e && typeof e.rowIndex === 'number' ? e.rowIndex : -1, error: described(e) });
  }
});
`;

/**
 * The thread holds a few batches of rows at a time: a small young generation, where each
 * batch's values are made and die. The old generation is left unbounded: one row may hold
 * values of any size.
 */
const THREAD_LIMITS = { maxYoungGenerationSizeMb: 8, stackSizeMb: 1 };

const asError = (e: WorkerError): Error & { code?: string } => Object.assign(new Error(e.message), e.code ? { code: e.code } : {});

export class InsertThread {
  private listener?: InsertListener;
  private committed?: { resolve: () => void; reject: (error: Error) => void };
  private stopped?: Error;

  private constructor(
    private readonly worker: Worker,
    private readonly shared: Int32Array,
  ) {
    worker.on('message', (m: InsertReply) => this.reply(m));
    worker.on('error', (error) => this.stop(error));
    worker.on('exit', (code) => this.stop(new Error(`The insert thread stopped (exit code ${code}).`)));
  }

  /** Starts the thread on the temporary database `file` (its tables made and committed). */
  static async start(file: string, cacheSize: number): Promise<InsertThread> {
    const shared = new Int32Array(new SharedArrayBuffer(8));
    const worker = new Worker(WORKER_SOURCE, { eval: true, resourceLimits: THREAD_LIMITS, workerData: { file, cacheSize, shared: shared.buffer, driver: require.resolve('better-sqlite3') } });
    await new Promise<void>((resolve, reject) => {
      const early = (error: unknown) => reject(error instanceof Error ? error : new Error(`The insert thread stopped (exit code ${String(error)}).`));
      worker.once('error', early);
      worker.once('exit', early);
      worker.once('message', (m: InsertReply) => {
        worker.off('error', early);
        worker.off('exit', early);
        if (m.t === 'ready' && !m.error) resolve();
        else {
          void worker.terminate();
          reject(m.t === 'ready' && m.error ? asError(m.error) : new Error('The insert thread did not start.'));
        }
      });
    });
    return new InsertThread(worker, shared);
  }

  /** The rows that follow go into this table: `single` inserts one row, `batch` (when set) `batchRows` rows. */
  table(listener: InsertListener, statements: { single: string; batch?: string; batchRows: number; width: number }): void {
    this.listener = listener;
    this.worker.postMessage({ t: 'table', ...statements });
  }

  /** Sends `n` rows' values (row after row). */
  insert(values: unknown[], n: number): void {
    if (this.stopped) throw this.stopped;
    this.worker.postMessage({ t: 'rows', values, n });
  }

  /** Batches inserted so far (all tables). */
  inserted(): number {
    return Atomics.load(this.shared, INSERTED);
  }

  /**
   * Asks for a `progress` message once {@link inserted} reaches `count` (read it again after
   * calling this: it may be there already).
   */
  wakeAt(count: number): void {
    Atomics.store(this.shared, WAITING, count);
  }

  /** Commits the rows and closes the thread's connection (its lock goes with it). */
  commit(): Promise<void> {
    if (this.stopped) return Promise.reject(this.stopped);
    return new Promise((resolve, reject) => {
      this.committed = { resolve, reject };
      this.worker.postMessage({ t: 'commit' });
    });
  }

  /** Ends the thread (its connection closed, uncommitted rows left behind). */
  async close(): Promise<void> {
    this.listener = undefined;
    if (this.stopped) return;
    this.stopped = new Error('The insert thread was closed.');
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.postMessage({ t: 'close' });
    // A thread busy with a long statement is stopped outright.
    const timer = setTimeout(() => void this.worker.terminate(), 1000);
    await exited;
    clearTimeout(timer);
  }

  private reply(m: InsertReply): void {
    if (m.t === 'progress') this.listener?.progress();
    else if (m.t === 'error') {
      const error = asError(m.error);
      if (this.committed) this.settle(error);
      else this.listener?.fail(m.index, error);
    } else if (m.t === 'committed') this.settle();
  }

  private settle(error?: Error): void {
    const waiting = this.committed;
    this.committed = undefined;
    if (error) waiting?.reject(error);
    else waiting?.resolve();
  }

  private stop(error: Error): void {
    if (this.stopped) return;
    this.stopped = error;
    this.listener?.fail(-1, error);
    this.settle(error);
  }
}
