import * as fs from 'node:fs';
import * as path from 'node:path';
import DatabaseConstructor from 'better-sqlite3';
import type Database from 'better-sqlite3';
import {
  AdapterBase,
  DEFAULT_CAPABILITIES,
  HesapError,
  quoteIdent,
  resolvePolicies,
  type AdapterCapabilities,
  type OpenOptions,
  type ProbeResult,
} from '@hesap/core';
import { ProfileHelpers, type ProfileHelperOptions } from './sqlite-profile-helpers';
import { SqliteSource } from './sqlite-source';
import { prepareShadow, SHADOW } from './sqlite-changes';
import type { PullMergeOptions } from './sqlite-pull-merge';
import { SqliteTarget } from './sqlite-target';

/** The source connection's page cache, in KiB (SQLite's negative cache_size). */
const SOURCE_CACHE_KIB = -2048;

export interface SqliteOpenOptions extends OpenOptions {
  /** Source only: helper threads for the profile scans of big files (see ProfileHelpers). */
  profileHelpers?: ProfileHelperOptions;
  /**
   * Target only: the file ends holding the loaded tables from the source's definitions, and
   * its other tables are dropped (except `keep`). Otherwise tables the file has keep their
   * declarations and the others stay. Default true.
   */
  fresh?: boolean;
  /** Target only: a merging pull (see sqlite-pull-merge.ts): the pulled rows meet the file's instead of replacing them. */
  pullMerge?: PullMergeOptions;
  /** Target only, with `fresh`: tables the load leaves out on purpose (`--exclude`); they stay. */
  keep?: readonly string[];
  /** Milliseconds to wait for a lock held by another connection; given, it replaces `lockTimeoutSeconds`. */
  busyTimeoutMs?: number;
  /**
   * Source only: the file holding the shadow of the last push to the same target (an
   * incremental push, see sqlite-changes.ts). The source connection then opens the app's file
   * for writing (it only reads it) so that it may write the shadow it attaches.
   */
  shadow?: string;
}

/**
 * How long a session waits for the app's lock on the file: the caller's lock timeout (the
 * API settles it), for reading and writing alike. None given: as long as it takes, as
 * OpenOptions says of every limit (SQLite's busy timeout is a 32-bit count of milliseconds).
 */
function busyTimeoutOf(options: SqliteOpenOptions): number {
  if (options.busyTimeoutMs !== undefined) return options.busyTimeoutMs;
  return options.lockTimeoutSeconds === undefined ? 2 ** 31 - 1 : Math.round(options.lockTimeoutSeconds * 1000);
}

/**
 * HESAP_SQLITE_INSERT_THREAD_ROWS: the rows from which a pull inserts on a thread of its own
 * (0: always; the tests run small pulls through the thread with it). Unset or not a count:
 * the target's default.
 */
export function insertThreadRowsOf(env: NodeJS.ProcessEnv): number | undefined {
  const value = env.HESAP_SQLITE_INSERT_THREAD_ROWS;
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}

/**
 * The file path a location names: `sqlite:app.db`, `sqlite:///abs/app.db`,
 * `file:app.db`, or a plain path.
 */
export function sqlitePath(location: string): string {
  const m = /^(?:sqlite3?|file):(?:\/\/)?(.*)$/i.exec(location);
  if (!m) return location;
  const rest = m[1]!.split('?')[0]!;
  return decodeURIComponent(rest);
}

const CAPABILITIES: AdapterCapabilities = Object.freeze({
  ...DEFAULT_CAPABILITIES,
  source: true,
  target: true,
  consistentRead: true,
  atomicLoad: true,
  textAllowsNul: true,
  caseInsensitiveNames: true,
  reservedPrefixes: Object.freeze(['sqlite_']),
});

/** SQLite files through better-sqlite3: read in one snapshot; written to a temporary file, then installed in one transaction (or renamed into place when new). */
export class SqliteAdapter extends AdapterBase {
  readonly name = 'sqlite';
  readonly schemes = ['sqlite', 'sqlite3', 'file'] as const;

  override get capabilities(): AdapterCapabilities {
    return CAPABILITIES;
  }

  /** A `sqlite:`/`file:` URL, or anything without a URL scheme (a path), except `snapshot:` locations. */
  override accepts(location: string): boolean {
    return super.accepts(location) || (!/^[a-z][a-z0-9+.-]+:\/\//i.test(location) && !/^snapshot:/i.test(location));
  }

  override describe(location: string): string {
    return sqlitePath(location);
  }

  override async probe(location: string): Promise<ProbeResult> {
    const started = Date.now();
    try {
      const db = this.openFile(location, {});
      const version = db.prepare('SELECT sqlite_version()').pluck().get() as string;
      db.close();
      return { reachable: true, latencyMs: Date.now() - started, serverVersion: `SQLite ${version}` };
    } catch (error) {
      return { reachable: false, error: error instanceof HesapError ? error : new HesapError('INTERNAL', String(error), { cause: error }) };
    }
  }

  override async openSource(location: string, options: SqliteOpenOptions = {}): Promise<SqliteSource> {
    const { db, shadow } = this.openWithShadow(location, options);
    try {
      const file = sqlitePath(location);
      const open = () => new SqliteSource(db, resolvePolicies(options.policies), shadow, options.log);
      if (options.profile === false) return open();
      const { session, helpers } = await ProfileHelpers.around(file, fs.statSync(file).size, options.profileHelpers ?? {}, open);
      if (helpers) session.useHelpers(helpers);
      return session;
    } catch (error) {
      db.close();
      throw isBusy(error) ? busyError(sqlitePath(location), error) : error;
    }
  }

  override async openTarget(location: string, options: SqliteOpenOptions = {}): Promise<SqliteTarget> {
    return new SqliteTarget(sqlitePath(location), {
      fresh: options.fresh ?? true,
      keep: options.keep,
      busyTimeoutMs: busyTimeoutOf(options),
      insertThreadRows: insertThreadRowsOf(process.env),
      log: options.log,
      ...(options.pullMerge ? { pullMerge: options.pullMerge } : {}),
    });
  }

  /**
   * The source's connection, with the shadow attached when one is asked for and can be: a
   * shadow that cannot be made or read (a read-only folder, a damaged file) is set aside, and
   * the push is a full one.
   */
  private openWithShadow(location: string, options: SqliteOpenOptions): { db: Database.Database; shadow?: { damaged?: string } } {
    if (options.shadow) {
      const db = this.openFile(location, options, false, true);
      try {
        attachShadow(db, options.shadow);
        return { db, shadow: {} };
      } catch (error) {
        // Damaged: set aside, and a new one made in its place, so this push's record makes the next one incremental.
        try {
          db.exec(`DETACH DATABASE ${quoteIdent(SHADOW)}`);
        } catch {
          // not attached
        }
        const aside = setAside(options.shadow);
        try {
          attachShadow(db, options.shadow);
          return { db, shadow: { damaged: `the record of the last push could not be read (${(error as Error).message})${aside ? `; it was set aside as ${aside}` : ''}` } };
        } catch {
          db.close();
        }
      }
    }
    return { db: this.openFile(location, options) };
  }

  private openFile(location: string, options: SqliteOpenOptions, recovered = false, writable = false): Database.Database {
    const file = sqlitePath(location);
    if (!fs.existsSync(file)) {
      throw new HesapError('LOCAL_FILE_MISSING', `The local database file does not exist: ${file}`, {
        hints: ['Check the path given as `local` (or HESAP_LOCAL_DB), or pull the remote database first to create it.'],
      });
    }
    try {
      const db = new DatabaseConstructor(file, { readonly: !writable, fileMustExist: true, timeout: busyTimeoutOf(options) });
      // Reads are scans, each page read once: 2 MB of page cache, not better-sqlite3's 16 MB.
      db.pragma(`cache_size = ${SOURCE_CACHE_KIB}`);
      db.prepare('SELECT count(*) FROM sqlite_schema').get();
      return db;
    } catch (error) {
      if (isBusy(error)) throw busyError(file, error);
      // A hot journal (an app, or a pull, killed mid-write): a read-only connection cannot roll
      // it back. Opening the file for writing once does, as the app's next open would.
      if (!recovered && (error as { code?: string }).code === 'SQLITE_READONLY_ROLLBACK') {
        recoverJournal(file, busyTimeoutOf(options));
        return this.openFile(location, options, true, writable);
      }
      throw new HesapError('CONFIG_INVALID', `${file} cannot be opened as a SQLite database: ${(error as Error).message}`, {
        cause: error,
        hints: ['Check that `local` names a SQLite database file.'],
      });
    }
  }
}

/** Attaches the shadow (made if missing) and checks that it is a database hesap can read. */
function attachShadow(db: Database.Database, file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // The source's connection may not create files (fileMustExist): the shadow is made first on its own.
  if (!fs.existsSync(file)) new DatabaseConstructor(file).close();
  db.prepare(`ATTACH DATABASE ? AS ${quoteIdent(SHADOW)}`).run(file);
  prepareShadow(db);
}

/** A shadow that cannot be used is moved out of the way (kept for a look, never read again); returns where, if it was. */
function setAside(file: string): string | undefined {
  try {
    if (!fs.existsSync(file)) return undefined;
    fs.renameSync(file, `${file}.damaged`);
    return `${file}.damaged`;
  } catch {
    return undefined;
  }
}

function recoverJournal(file: string, timeout: number): void {
  try {
    const db = new DatabaseConstructor(file, { fileMustExist: true, timeout });
    try {
      db.prepare('SELECT count(*) FROM sqlite_schema').get();
    } finally {
      db.close();
    }
  } catch {
    // The read-only open below reports what is wrong.
  }
}

function isBusy(error: unknown): boolean {
  return /^SQLITE_(BUSY|LOCKED)/.test((error as { code?: string })?.code ?? '');
}

/** Another process holds the file locked for longer than the busy timeout. */
function busyError(file: string, cause: unknown): HesapError {
  return new HesapError('LOCK_TIMEOUT', `${file} is locked by another process (a write in progress) for longer than the busy timeout.`, {
    cause,
    retriable: true,
    hints: ['Wait for the other process (your app) to finish its write, or stop it, and run the command again.'],
  });
}

/** The shared instance. */
export const sqliteAdapter = new SqliteAdapter();
