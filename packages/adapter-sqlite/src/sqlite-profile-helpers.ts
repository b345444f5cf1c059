import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import DatabaseConstructor from 'better-sqlite3';

/**
 * Helper threads for the profile scan. Deciding each column's type reads every value once
 * (checks in SQLite's C code); on a big table that is the largest part of a push, and one
 * thread does it while the other cores wait. Helpers run the same aggregate query over parts
 * of the table, in parallel, each on its own connection.
 *
 * The answer is only right if every connection reads the same snapshot as the session. A
 * short write lock makes sure of it: hesap takes the file's write lock (BEGIN IMMEDIATE on a
 * connection of its own, which writes nothing), starts the session's read, lets each helper
 * start its read, and lets go. No commit can land in between, so all reads see the same
 * data; the app's writers wait that long (tens of milliseconds) once. When the lock is not
 * free within a short wait, or the file cannot be locked (read-only media), the session
 * profiles on its own thread as before.
 */

/** Files smaller than this are profiled on the main thread: a helper's start costs more than it saves. */
export const PARALLEL_PROFILE_BYTES = 64 * 1024 * 1024;
/** How long hesap waits for the write lock (an app's write in progress) before profiling on one thread. */
const LOCK_WAIT_MS = 250;
/**
 * A helper allocates next to nothing (one row per query), so its JavaScript heap is kept small:
 * with V8's default young generation a helper leaves ~19 MB more in the process's resident
 * memory after it stops, with these limits ~3 MB.
 */
const HELPER_LIMITS = { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 16, codeRangeSizeMb: 2, stackSizeMb: 1 };
/** How long a helper may take to start and open its read. */
const START_TIMEOUT_MS = 5000;

/** The helper's code: opens the file read-only, starts its read, then runs aggregate queries on request. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
let db;
try {
  const Database = require(workerData.driver);
  db = new Database(workerData.file, { readonly: true, fileMustExist: true, timeout: workerData.timeout });
  // A scan reads each page once: a small page cache is enough.
  db.pragma('cache_size = -256');
  db.exec('BEGIN');
  db.prepare('SELECT count(*) FROM main.sqlite_schema').get();
  parentPort.postMessage({ ready: true });
} catch (error) {
  parentPort.postMessage({ ready: false, error: String((error && error.message) || error) });
}
parentPort.on('message', (m) => {
  if (m.close) {
    try { if (db) db.close(); } finally { process.exit(0); }
    return;
  }
  try {
    parentPort.postMessage({ id: m.id, row: db.prepare(m.sql).raw(true).safeIntegers(true).get(...m.params) });
  } catch (error) {
    parentPort.postMessage({ id: m.id, error: String((error && error.message) || error) });
  }
});
`;

interface Reply {
  id?: number;
  ready?: boolean;
  row?: unknown[];
  error?: string;
}

export interface ProfileHelperOptions {
  /** Helper threads to start (default: one per core beyond the first, at most 3). */
  count?: number;
  /** Only for files at least this big (default PARALLEL_PROFILE_BYTES). */
  minBytes?: number;
  /** Called with the write lock held, after the session's read started and before the helpers start theirs (tests). */
  whileLocked?: () => void;
}

/** The helper threads of one source session, each reading the session's snapshot. */
export class ProfileHelpers {
  private next = 0;
  private readonly pending = new Map<number, { resolve: (row: unknown[]) => void; reject: (error: Error) => void; worker: Worker }>();

  private constructor(private readonly workers: Worker[]) {
    for (const worker of workers) {
      worker.on('message', (reply: Reply) => {
        if (reply.id === undefined) return;
        const waiting = this.pending.get(reply.id);
        if (!waiting) return;
        this.pending.delete(reply.id);
        this.idle(worker);
        if (reply.error !== undefined) waiting.reject(new Error(reply.error));
        else waiting.resolve(reply.row ?? []);
      });
      worker.on('error', (error) => this.failAll(error));
      worker.on('exit', () => this.failAll(new Error('a profile helper stopped')));
    }
  }

  get size(): number {
    return this.workers.length;
  }

  /**
   * Opens the session's snapshot with helpers beside it: `openSession` starts the session's
   * read (and returns what it made); the helpers start theirs while no one can commit.
   * Returns no helpers when they would not help or the lock is not to be had.
   */
  static async around<T>(file: string, fileBytes: number, options: ProfileHelperOptions, openSession: () => T): Promise<{ session: T; helpers?: ProfileHelpers }> {
    const count = options.count ?? Math.min(3, availableParallelism() - 1);
    if (count < 1 || fileBytes < (options.minBytes ?? PARALLEL_PROFILE_BYTES)) return { session: openSession() };
    const lock = takeWriteLock(file);
    if (!lock) return { session: openSession() };
    try {
      const session = openSession();
      options.whileLocked?.();
      return { session, helpers: await ProfileHelpers.start(file, count) };
    } finally {
      lock.release();
    }
  }

  private static async start(file: string, count: number): Promise<ProfileHelpers | undefined> {
    const workers: Worker[] = [];
    try {
      const driver = require.resolve('better-sqlite3');
      const ready = [];
      for (let i = 0; i < count; i++) {
        const worker = new Worker(WORKER_SOURCE, { eval: true, resourceLimits: HELPER_LIMITS, workerData: { file, driver, timeout: LOCK_WAIT_MS } });
        worker.unref();
        workers.push(worker);
        ready.push(
          new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error('a profile helper did not start in time')), START_TIMEOUT_MS);
            worker.once('error', (error) => (clearTimeout(timer), reject(error)));
            worker.once('message', (reply: Reply) => {
              clearTimeout(timer);
              if (reply.ready) resolve();
              else reject(new Error(reply.error ?? 'a profile helper could not open the file'));
            });
          }),
        );
      }
      await Promise.all(ready);
      return new ProfileHelpers(workers);
    } catch {
      // Helpers are an optimisation: without them the profile runs on the main thread.
      await Promise.all(workers.map((w) => w.terminate()));
      return undefined;
    }
  }

  /** Runs `sql` with `params` on helper `index`; the row comes back with integers as BigInt. */
  query(index: number, sql: string, params: unknown[]): Promise<unknown[]> {
    const id = this.next++;
    const worker = this.workers[index % this.workers.length]!;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker });
      // A helper keeps the process alive only while it has work (an idle one must not hold up exit).
      worker.ref();
      worker.postMessage({ id, sql, params });
    });
  }

  private idle(worker: Worker): void {
    if (![...this.pending.values()].some((p) => p.worker === worker)) worker.unref();
  }

  async close(): Promise<void> {
    this.failAll(new Error('the source session was closed'));
    const workers = this.workers.splice(0);
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            worker.once('exit', () => resolve());
            worker.ref();
            worker.postMessage({ close: true });
            // A helper stuck in a query is stopped outright.
            setTimeout(() => void worker.terminate(), 1000).unref();
          }),
      ),
    );
  }

  private failAll(error: Error): void {
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }
}

/** The file's write lock on a connection of hesap's own (nothing is written), or undefined when not to be had. */
function takeWriteLock(file: string): { release: () => void } | undefined {
  let db: DatabaseConstructor.Database | undefined;
  try {
    db = new DatabaseConstructor(file, { fileMustExist: true, timeout: LOCK_WAIT_MS });
    db.exec('BEGIN IMMEDIATE');
  } catch {
    db?.close();
    return undefined;
  }
  const held = db;
  return {
    release: () => {
      try {
        held.exec('ROLLBACK');
      } finally {
        held.close();
      }
    },
  };
}
