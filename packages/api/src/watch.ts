import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import DatabaseConstructor from 'better-sqlite3';
import type Database from 'better-sqlite3';
import { HesapError, isRetriable, type HesapErrorCode } from '@hesap/core';
import { sqlitePath } from '@hesap/adapter-sqlite';
import type { PushOptions } from './options';
import { push, type PushResult } from './push';
import { defaultRegistry } from './registry';

/**
 * `watch()`: pushes the local file to the remote each time the app commits to it, until
 * stopped. It notices commits by polling `PRAGMA data_version` on a read-only connection of
 * its own (the value changes when any other connection commits to the file, in WAL and
 * rollback-journal mode alike), waits for the writes to go quiet, then runs the ordinary
 * `push()`. It never pushes half: each push is one transaction, and `stop()` aborts a push
 * in flight, which rolls it back (or lets it end, when it had already committed).
 */

/** The watcher's own defaults (the push's are those of `push()`). */
export const WATCH_DEFAULTS = Object.freeze({
  /** Milliseconds between two looks at the file's `data_version`. */
  pollIntervalMs: 250,
  /** Milliseconds without a new local commit before pushing. */
  debounceMs: 300,
  /** Longest wait from the first unpushed commit to its push while commits keep coming. */
  maxWaitMs: 2_000,
  /** Wait before the first retry after a connection failure; doubles with each failure. */
  retryBaseMs: 1_000,
  /** Longest wait between two retries. */
  retryMaxMs: 30_000,
  /**
   * Attempts of each push: one. The watcher retries a failed push itself (with backoff, and
   * every attempt reported), so a push does not also retry inside.
   */
  attempts: 1,
});

export interface WatchOptions extends Omit<PushOptions, 'signal' | 'dryRun'> {
  /** Milliseconds between two looks at the local file (default 250). */
  pollIntervalMs?: number;
  /** Milliseconds without a new local commit before a push starts (default 300). */
  debounceMs?: number;
  /** Longest wait from the first unpushed commit to its push while commits keep coming (default 2000). */
  maxWaitMs?: number;
  /** Wait before the first retry after a connection failure, doubled after each (default 1000). */
  retryBaseMs?: number;
  /** Longest wait between two retries (default 30000). */
  retryMaxMs?: number;
}

/** Why a push started. */
export type WatchTrigger = 'start' | 'change' | 'retry';

/**
 * What the watcher is doing: `pushing`; `waiting` (local commits seen, waiting for them to go
 * quiet); `retrying` (a push failed on the connection, the next attempt is due at
 * `nextRetryAt`); `blocked` (a push failed on the data or the schema: the next local commit
 * tries again); `idle` (everything committed locally is pushed); `stopping`, `stopped`.
 */
export type WatchState = 'pushing' | 'waiting' | 'retrying' | 'blocked' | 'idle' | 'stopping' | 'stopped';

/** Rows of one push, added up over its tables (from `PushResult.tables`). */
export interface WatchRows {
  read: number;
  inserted: number;
  updated: number;
  unchanged: number;
  skipped: number;
}

/** One push that committed. */
export interface WatchPush {
  /** When it ended (ISO 8601). */
  at: string;
  trigger: WatchTrigger;
  durationMs: number;
  /** Tables pushed. */
  tables: number;
  rows: WatchRows;
  /** Every local row of the pushed tables is in the remote (see `PushResult.complete`). */
  complete: boolean;
  /** Local rows left out (listed in `result`); 0 when `complete`. */
  rowsLeftOut: number;
  /** Rows changed on both sides since the last push (`PushResult.conflicts`), whatever the policy did with them. */
  conflicts: number;
  result: PushResult;
}

/** One push that failed; nothing of it was committed (or, for COMMIT_UNKNOWN, it is not known: the next push is safe either way). */
export interface WatchFailure {
  at: string;
  trigger: WatchTrigger;
  error: HesapError;
  /** True for a connection failure: the push is tried again after `retryInMs`. False: after the next local commit. */
  retriable: boolean;
  /** Failed attempts in a row, this one included. */
  attempt: number;
  retryInMs?: number;
}

/** A local commit noticed (another connection changed the file). */
export interface WatchChange {
  at: string;
  dataVersion: number;
}

/** The watcher at one moment. */
export interface WatchStatus {
  state: WatchState;
  /** Local commits that no push has committed yet (the first push counts as one). */
  pending: boolean;
  /** Pushes committed so far. */
  pushes: number;
  /** Failed attempts in a row (0 after a push commits). */
  failures: number;
  lastPush?: Omit<WatchPush, 'result'>;
  lastError?: { at: string; code: HesapErrorCode; message: string; retriable: boolean };
  /** When the next attempt starts, in `retrying` (ISO 8601). */
  nextRetryAt?: string;
}

/** The events of a watcher and what each carries. */
export interface WatchEvents {
  push: [WatchPush];
  /** Emitted only when someone listens (an EventEmitter would throw an unheard 'error'); `status` says it too. */
  error: [WatchFailure];
  change: [WatchChange];
  status: [WatchStatus];
}

/** A running watcher (see `watch`). */
export interface WatchHandle extends EventEmitter<WatchEvents> {
  /** The local file watched. */
  readonly local: string;
  /** The remote, as shown (password masked). */
  readonly remote: string;
  /** What it is doing now. */
  status(): WatchStatus;
  /**
   * Stops watching: a push in flight is aborted and rolled back (or ends, if it had already
   * committed), the file's connection is closed and every timer cleared. Resolves when done;
   * the same promise each call.
   */
  stop(): Promise<void>;
}

/**
 * Connection failures, which pass by themselves: the push is tried again with backoff. Besides
 * the ones a push retries itself: an unknown host (a network that dropped often fails its
 * DNS lookups first), a lock held past the lock timeout, and a COMMIT whose outcome is unknown
 * (a push after it is safe, as after any push).
 */
const PASSING: readonly HesapErrorCode[] = ['CONNECTION_REFUSED', 'CONNECTION_LOST', 'CONNECTION_TIMEOUT', 'HOST_UNKNOWN', 'LOCK_TIMEOUT', 'COMMIT_UNKNOWN', 'TARGET_CHANGED'];

/** True when a failed push is tried again after a wait; otherwise only after the next local commit. */
export function watchRetries(error: HesapError): boolean {
  return isRetriable(error) || PASSING.includes(error.code);
}

/** The conflicts of a push result: rows changed on both sides since the last push. */
export function conflictsOf(result: PushResult): number {
  return result.conflicts.length;
}

/** The rows of a push, added up over its tables. */
export function rowsOf(result: PushResult): WatchRows {
  const rows: WatchRows = { read: 0, inserted: 0, updated: 0, unchanged: 0, skipped: 0 };
  for (const t of result.tables) {
    rows.read += t.received;
    rows.inserted += t.inserted;
    rows.updated += t.updated;
    rows.unchanged += t.unchanged;
    rows.skipped += t.skipped.length;
  }
  return rows;
}

function asHesapError(error: unknown): HesapError {
  if (error instanceof HesapError) return error;
  return new HesapError('INTERNAL', (error as Error)?.message ?? String(error), { cause: error });
}

/** SQLite could not take its read lock this instant: the next look will. */
function isBusy(error: unknown): boolean {
  return /^SQLITE_(BUSY|LOCKED)/.test((error as { code?: string })?.code ?? '');
}

/** The watcher's read-only connection to the local file, which only ever reads `data_version`. */
function openWatchConnection(file: string): Database.Database {
  if (!fs.existsSync(file)) {
    throw new HesapError('LOCAL_FILE_MISSING', `The local database file does not exist: ${file}`, {
      hints: ['Check the path given as `local` (or HESAP_LOCAL_DB); watch pushes an existing file.'],
    });
  }
  try {
    // timeout 0: a look never waits for a lock (better-sqlite3 would block the event loop); a
    // busy file is looked at again at the next poll.
    return new DatabaseConstructor(file, { readonly: true, fileMustExist: true, timeout: 0 });
  } catch (error) {
    throw new HesapError(fs.statSync(file).isDirectory() ? 'NOT_A_DATABASE' : 'INTERNAL', `Cannot open ${file} to watch it: ${(error as Error).message}`, { cause: error });
  }
}

class Watcher extends EventEmitter<WatchEvents> implements WatchHandle {
  readonly local: string;
  readonly remote: string;
  private readonly settings: Required<Pick<WatchOptions, 'pollIntervalMs' | 'debounceMs' | 'maxWaitMs' | 'retryBaseMs' | 'retryMaxMs'>>;
  private readonly pushOptions: PushOptions;
  private readonly db: Database.Database;
  private readonly dataVersion: Database.Statement;
  /** The last `data_version` read; undefined until one read succeeds (then any value counts as a change). */
  private version: number | undefined;
  /** Local commits no push has committed: true at the start, so that the first push runs. */
  private pending = true;
  private firstChangeAt: number | undefined = 0;
  private lastChangeAt = 0;
  private trigger: WatchTrigger = 'start';
  /** A push failed on something a retry would not change: wait for the next local commit. */
  private blocked = false;
  /** Commits noticed so far: a failure blocks only when none came during its push. */
  private changes = 0;
  private failures = 0;
  private retryAt: number | undefined;
  private pushes = 0;
  private lastPush: WatchStatus['lastPush'];
  private lastError: WatchStatus['lastError'];
  private lastLookError: string | undefined;
  private inFlight: { controller: AbortController; done: Promise<void> } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | undefined;
  /** stop() was called (set before anything of the stop runs). */
  private closing = false;
  private stopped = false;

  constructor(options: WatchOptions) {
    super();
    const { pollIntervalMs, debounceMs, maxWaitMs, retryBaseMs, retryMaxMs, ...pushOptions } = options;
    this.settings = {
      pollIntervalMs: pollIntervalMs ?? WATCH_DEFAULTS.pollIntervalMs,
      debounceMs: debounceMs ?? WATCH_DEFAULTS.debounceMs,
      maxWaitMs: maxWaitMs ?? WATCH_DEFAULTS.maxWaitMs,
      retryBaseMs: retryBaseMs ?? WATCH_DEFAULTS.retryBaseMs,
      retryMaxMs: retryMaxMs ?? WATCH_DEFAULTS.retryMaxMs,
    };
    for (const [name, value] of Object.entries(this.settings)) {
      if (!Number.isFinite(value) || value < 0) throw new HesapError('USAGE', `\`${name}\` is ${value}; expected a number of milliseconds, 0 or more.`);
    }
    this.pushOptions = { ...pushOptions, attempts: pushOptions.attempts ?? WATCH_DEFAULTS.attempts };
    const fromAdapter = defaultRegistry.forLocation(options.local);
    if (fromAdapter.name !== 'sqlite') {
      throw new HesapError('USAGE', `\`local\` names a ${fromAdapter.name} database; watch notices the commits of a SQLite file.`);
    }
    this.local = sqlitePath(options.local);
    this.remote = defaultRegistry.forLocation(options.remote).describe(options.remote);
    this.db = openWatchConnection(this.local);
    try {
      this.dataVersion = this.db.prepare('PRAGMA data_version').pluck();
    } catch (error) {
      this.db.close();
      throw new HesapError((error as { code?: string }).code === 'SQLITE_NOTADB' ? 'NOT_A_DATABASE' : 'INTERNAL', `Cannot watch ${this.local}: ${(error as Error).message}`, { cause: error });
    }
    // The version before the first push: a commit during that push is a change after it.
    this.look(false);
    this.timer = setInterval(() => this.tick(), Math.max(1, this.settings.pollIntervalMs));
    // The first push starts once the caller has had the handle (and attached its listeners).
    setImmediate(() => this.tick());
  }

  status(): WatchStatus {
    const state: WatchState = this.stopped
      ? 'stopped'
      : this.closing
        ? 'stopping'
        : this.inFlight
          ? 'pushing'
          : this.retryAt !== undefined
            ? 'retrying'
            : this.blocked
              ? 'blocked'
              : this.pending
                ? 'waiting'
                : 'idle';
    return {
      state,
      pending: this.pending,
      pushes: this.pushes,
      failures: this.failures,
      ...(this.lastPush ? { lastPush: this.lastPush } : {}),
      ...(this.lastError ? { lastError: this.lastError } : {}),
      ...(state === 'retrying' && this.retryAt !== undefined ? { nextRetryAt: new Date(this.retryAt).toISOString() } : {}),
    };
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutDown();
    return this.stopping;
  }

  private async shutDown(): Promise<void> {
    this.closing = true;
    clearInterval(this.timer);
    this.timer = undefined;
    this.emitStatus();
    const flight = this.inFlight;
    if (flight) {
      flight.controller.abort(new Error('the watch was stopped'));
      await flight.done;
    }
    this.db.close();
    this.stopped = true;
    this.emitStatus();
  }

  private tick(): void {
    if (this.closing) return;
    this.look(true);
    if (this.due()) this.startPush();
  }

  /** Reads `data_version`; a new value is a local commit. */
  private look(announce: boolean): void {
    let version: number;
    try {
      version = Number(this.dataVersion.get());
      this.lastLookError = undefined;
    } catch (raw) {
      if (isBusy(raw)) return;
      // Reported once per distinct failure, not at every poll; the next look tries again.
      const message = (raw as Error).message;
      if (announce && message !== this.lastLookError) {
        this.lastLookError = message;
        this.report({ at: new Date().toISOString(), trigger: this.trigger, error: new HesapError('INTERNAL', `Cannot read ${this.local} to watch it: ${message}`, { cause: raw }), retriable: true, attempt: 0 });
      }
      return;
    }
    if (version === this.version) return;
    const first = this.version === undefined && !announce;
    this.version = version;
    if (first) return;
    const now = Date.now();
    this.changes++;
    this.pending = true;
    this.blocked = false;
    this.firstChangeAt ??= now;
    this.lastChangeAt = now;
    if (this.retryAt === undefined && !this.inFlight) this.trigger = 'change';
    this.emit('change', { at: new Date(now).toISOString(), dataVersion: version });
    this.emitStatus();
  }

  private due(): boolean {
    if (!this.pending || this.inFlight || this.blocked) return false;
    const now = Date.now();
    if (this.retryAt !== undefined) return now >= this.retryAt;
    if (this.trigger === 'start') return true;
    return now - this.lastChangeAt >= this.settings.debounceMs || now - (this.firstChangeAt ?? now) >= this.settings.maxWaitMs;
  }

  private startPush(): void {
    // Everything committed up to now is in this push: it reads the file after this moment.
    this.look(true);
    const trigger = this.trigger;
    const changesBefore = this.changes;
    this.pending = false;
    this.firstChangeAt = undefined;
    this.retryAt = undefined;
    const controller = new AbortController();
    const started = Date.now();
    const done = push({ ...this.pushOptions, signal: controller.signal }).then(
      (result) => this.pushed(result, trigger, started),
      (error: unknown) => this.failed(asHesapError(error), trigger, controller.signal.aborted, changesBefore),
    );
    const settled = done
      .finally(() => (this.inFlight = undefined))
      .then(() => this.emitStatus())
      // A listener that threw: thrown as an EventEmitter's listener throws, not swallowed.
      .catch((error: unknown) => process.nextTick(() => {
        throw error;
      }));
    this.inFlight = { controller, done: settled };
    this.emitStatus();
  }

  private pushed(result: PushResult, trigger: WatchTrigger, started: number): void {
    this.failures = 0;
    this.pushes++;
    this.trigger = 'change';
    const conflicts = conflictsOf(result);
    const event: WatchPush = {
      at: new Date().toISOString(),
      trigger,
      durationMs: Date.now() - started,
      tables: result.tables.length,
      rows: rowsOf(result),
      complete: result.complete,
      rowsLeftOut: result.rowsLeftOut,
      conflicts,
      result,
    };
    const { result: _result, ...summary } = event;
    this.lastPush = summary;
    this.emit('push', event);
  }

  private failed(error: HesapError, trigger: WatchTrigger, aborted: boolean, changesBefore: number): void {
    // Nothing of it was committed: what it carried is still to push.
    this.pending = true;
    this.firstChangeAt ??= Date.now();
    // Stopped: the push was rolled back on purpose; the next watch or push sends it.
    if (aborted && this.closing) return;
    this.failures++;
    const retriable = watchRetries(error);
    const failure: WatchFailure = { at: new Date().toISOString(), trigger, error, retriable, attempt: this.failures };
    if (retriable) {
      // Exponential backoff with jitter, capped; a commit meanwhile does not shorten it.
      const wait = Math.min(this.settings.retryMaxMs, this.settings.retryBaseMs * 2 ** Math.min(30, this.failures - 1)) * (0.8 + Math.random() * 0.4);
      failure.retryInMs = Math.round(Math.min(this.settings.retryMaxMs, wait));
      this.retryAt = Date.now() + failure.retryInMs;
      this.trigger = 'retry';
    } else {
      // A data or schema error: the same push would fail the same way. The next local commit
      // (a fix, or more data) tries again; one that came during this push already counts.
      this.blocked = this.changes === changesBefore;
      this.trigger = 'change';
    }
    this.report(failure);
  }

  private report(failure: WatchFailure): void {
    this.lastError = { at: failure.at, code: failure.error.code, message: failure.error.message, retriable: failure.retriable };
    if (this.listenerCount('error') > 0) this.emit('error', failure);
  }

  private emitStatus(): void {
    this.emit('status', this.status());
  }
}

/**
 * Watches the local SQLite file and pushes it to the remote after each local commit, until
 * `stop()`. Takes every option of `push()` (but `signal` and `dryRun`) and the watcher's own
 * timings. A first push runs at the start. A push that fails on the connection is tried again
 * with exponential backoff (1 s doubling to 30 s), never dropping a change: the next push
 * carries everything committed locally. A push that fails on the data or the schema is
 * reported, and tried again after the next local commit.
 *
 * Throws at once when the file does not exist (`LOCAL_FILE_MISSING`) or the options are
 * wrong (`USAGE`); everything later is an event.
 *
 * @example
 * const watcher = watch({ local: 'app.db', remote: process.env.DATABASE_URL! });
 * watcher.on('push', (p) => console.log(`${p.rows.inserted} inserted, ${p.rows.updated} updated`));
 * watcher.on('error', (f) => console.error(f.error.message, f.retriable ? `retry in ${f.retryInMs} ms` : ''));
 * process.once('SIGINT', () => void watcher.stop());
 */
export function watch(options: WatchOptions): WatchHandle {
  return new Watcher(options);
}
