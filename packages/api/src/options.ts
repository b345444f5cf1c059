import type { ConflictPolicy, DataPolicies, EpochUnit, MigrationTablesSetting, ProgressEvent, PushMode } from '@hesap/core';
import type { ProjectLocations } from './project-config';

/**
 * The options of each operation. Every option here is honoured by each operation that
 * takes it; the defaults are resolved in one place, `settings.ts`.
 */

/** Called for log lines worth keeping (connections, TLS in use, retries). */
export type LogFunction = (level: 'debug' | 'info' | 'warn', message: string) => void;

/** Options every operation that opens a database takes. */
export interface CommonOptions {
  /** Only these tables (exact names); all when absent or empty. */
  tables?: readonly string[];
  /** Leave these tables out. */
  exclude?: readonly string[];
  /** Seconds to wait for a connection (default 30). */
  connectTimeoutSeconds?: number;
  /** Seconds to wait for a lock before failing (default 10). */
  lockTimeoutSeconds?: number;
  log?: LogFunction;
}

/** Options of the operations that move rows through the transfer engine: copy, push, pull, snapshot create and restore. */
export interface TransferRunOptions {
  /** Progress of each table while rows move. */
  onProgress?: (event: ProgressEvent) => void;
  /** Least milliseconds between two progress events of a table (default 200). */
  progressIntervalMs?: number;
  /** Aborting stops the operation and rolls the target back. */
  signal?: AbortSignal;
  /**
   * Seconds without a byte moving before a table's transfer counts as stalled, and that a
   * short statement on the target may go unanswered (default 60).
   */
  idleTimeoutSeconds?: number;
}

/** Options of the operations that redo a whole transfer after a transient failure: copy, push, pull, snapshot restore. */
export interface AttemptOptions {
  /** Attempts in all when the connection fails before COMMIT (default 4; 1 = no retry). */
  attempts?: number;
}

/** How a push meets the rows already in the target. */
export interface MergeOptions {
  /**
   * Natural keys by table: the columns that say two rows are the same row
   * (`{ users: ['email'] }`). Default: each table's first unique constraint other than
   * its primary key.
   */
  keys?: Readonly<Record<string, readonly string[]>>;
  /**
   * Update matched rows whose other columns differ (default: leave them as they are). Rows
   * this file pushed before and edited since travel unless this is `false` (`--no-update`):
   * then they too are counted as differing and left as the target has them.
   */
  update?: boolean;
  /** A skipped row fails the whole push (default: skip it and report it). */
  strict?: boolean;
  /**
   * New rows whose parent row exists nowhere (SQLite let them in), going into tables that
   * exist: leave them out and list them (the result says `complete: false`). Default: the
   * push is refused, naming every foreign key they break. Tables the push creates take every
   * row either way, their broken keys made NOT VALID.
   */
  skipOrphans?: boolean;
  /**
   * Who is pushing, for the identity map that remembers which target row each source
   * row became. Default: this machine's host name and the local file's real path.
   */
  sourceId?: string;
}

/** Options of the operations that choose which tables move between a project's databases: copy, push, pull. */
export interface MigrationTableOptions {
  /**
   * Schema-migration bookkeeping (`django_migrations`, `alembic_version`, …). Default `auto`:
   * left out where the target already has that table (one note says so), copied where it
   * does not (a first deploy); named in `tables`, always copied. `include`: copied like any
   * other table.
   */
  migrationTables?: MigrationTablesSetting;
}

/**
 * Which integers are dates: `'ms'` or `'s'` for every column declared as a date and time, or
 * columns by `table.column` (`'*'` standing for the declared ones): `{ '*': 'ms', 'events.at': 's' }`.
 */
export type EpochDatesOption = EpochUnit | Readonly<Record<string, EpochUnit>>;

/** Options of the operations that read a SQLite app's dates: copy, push, pull, verify. */
export interface EpochDateOptions {
  /**
   * Epoch integers that are dates: Knex (better-sqlite3) and Prisma store a Date in SQLite as
   * milliseconds since 1970 (`'ms'`), Drizzle's `integer({ mode: 'timestamp' })` as seconds
   * (`'s'`). A unit alone maps every column declared as a date and time (`datetime`,
   * `timestamp`) whose values are all integers; `{ 'events.at': 's' }` maps one column, whatever
   * its declaration. A push writes them as date-times (a created column is `timestamptz` and
   * records the unit), checking every value first; a pull writes such columns back as the
   * integers (with a unit alone, every date-time column of a table hesap did not make); verify
   * compares them by meaning. Default: none, integers stay integers.
   */
  epochDates?: EpochDatesOption;
}

export interface CopyOptions extends CommonOptions, TransferRunOptions, AttemptOptions, MergeOptions, MigrationTableOptions, EpochDateOptions {
  /** Where rows come from: a SQLite path, `sqlite:` or `postgres://` URL. */
  from: string;
  /** Where rows go. */
  to: string;
  /** Default `create`: only into missing or empty tables (see `DEFAULT_MODES`). */
  mode?: PushMode;
  policies?: Partial<DataPolicies>;
  dryRun?: boolean;
  /** For SQLite targets: start from an empty file (default) instead of a copy of the current one. */
  fresh?: boolean;
}

export interface PushOptions extends CommonOptions, TransferRunOptions, AttemptOptions, MergeOptions, MigrationTableOptions, EpochDateOptions {
  /**
   * Merge modes (merge, upsert, append): send only the rows that changed since the last push
   * from this file to this database (default true). hesap keeps a shadow of what that push
   * sent in its state folder; when it cannot be trusted (another push or a restore since, no
   * shadow yet, a role that may not keep `_hesap.sync_state`) every row is sent, and
   * `incremental.reason` says why. `false`: every row is sent and matched, as before.
   */
  incremental?: boolean;
  /**
   * An incremental merge meets a row changed both here and in the target since the last push
   * (a conflict): `keep-remote` (default) leaves the target's value and lists the row in
   * `conflicts`; `keep-local` writes the local value over it (listed too); `fail` refuses the
   * push, nothing written.
   */
  onConflict?: ConflictPolicy;
  /**
   * An incremental merge deletes in the target the rows deleted here since the last push,
   * of those the target inserted for this file (never a row it held before this file first
   * pushed it): each only if it did not change there since and no target row points at it;
   * the others are listed in `conflicts` and stay. Default false: rows deleted here stay there.
   */
  deletes?: boolean;
  /** The local SQLite file. */
  local: string;
  /** The PostgreSQL URL. */
  remote: string;
  /**
   * Default `merge`: rows are matched by meaning (natural keys, the identity map),
   * foreign keys follow, new rows are added. `replace`: the target tables end holding
   * exactly the local rows. `upsert`: match on the primary key, insert or update.
   * `append`: insert rows whose primary key is new. `create`: only into missing or
   * empty tables.
   */
  mode?: PushMode;
  policies?: Partial<DataPolicies>;
  /** Do everything inside the transaction, report, then roll back. */
  dryRun?: boolean;
}

export interface PullOptions extends CommonOptions, TransferRunOptions, AttemptOptions, MigrationTableOptions, EpochDateOptions {
  remote: string;
  /** The SQLite file to write; replaced atomically when complete. */
  local: string;
  /**
   * Default `replace`: the file's tables become the remote's. `merge`: the remote's rows meet
   * the file's, matched as a push matches them (the identity map, natural keys), foreign keys
   * following; rows changed there since the last push from this file come down, rows added
   * there come in (under a new id where theirs is taken here), rows only here stay; see
   * `onConflict`. The next push sends none of what came down back.
   */
  mode?: 'replace' | 'merge';
  /**
   * A merging pull meets a row changed both here and in the remote since the last push (or
   * changed there and deleted here): `keep-local` (default for a pull: work here is never
   * written over unasked) keeps the file's and lists the row in `conflicts`; `keep-remote`
   * takes the remote's (listed too); `fail` refuses the pull, nothing changed.
   */
  onConflict?: ConflictPolicy;
  /** A merging pull: rows matched by natural key that this file never pushed, and that differ, take the remote's values (default: left as they are, counted as differing). */
  update?: boolean;
  /** A merging pull: natural keys by table (`{ users: ['email'] }`); default: each table's unique keys. */
  keys?: Readonly<Record<string, readonly string[]>>;
  /** A merging pull: the file's name in the remote's identity map (as a push from it gives; default: this machine's host name and the file's real path). */
  sourceId?: string;
  /**
   * A merging pull: rows both sides held at the last push or pull that the remote deleted
   * since are deleted here too, when unchanged here and no row here points at them (default:
   * they stay, counted as `deletedThere`). A row changed here since is a conflict, settled by
   * `onConflict`; one that rows here point at stays, listed as a conflict with the reason.
   */
  deletes?: boolean;
}

export interface StatusOptions extends CommonOptions {
  local?: string;
  remote?: string;
  /** Where `local` and `remote` came from (see `resolveLocations`), to be reported with the result. */
  configuration?: ProjectLocations;
}

export interface VerifyOptions extends CommonOptions, EpochDateOptions {
  local: string;
  remote: string;
  /** How many differing keys to list per table (default 10). */
  maxDifferences?: number;
}
