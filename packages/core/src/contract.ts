import type { Readable, Writable } from 'node:stream';
import type { LocalForms } from './app-forms';
import type { EpochDates } from './epoch-dates';
import { HesapError } from './errors';
import type { TableMergePlan } from './merge-plan';
import type { ForeignKey, Note, Schema, Table, TablePlace } from './schema';

/**
 * The adapter contract. An adapter is a small factory of roles: it opens a source
 * session (introspect, count, read tables as CSV) and a target session (introspect,
 * create, write tables from CSV, finish). Sessions meet only through CSV streams, so
 * no adapter knows another.
 */

/** What an adapter can do. {@link DEFAULT_CAPABILITIES} gives the safe answer for each. */
export interface AdapterCapabilities {
  /** Tables can be read from it. */
  source: boolean;
  /** Tables can be written to it. */
  target: boolean;
  /** Names longer than this many UTF-8 bytes are cut by the database (PostgreSQL: 63). */
  maxIdentifierBytes?: number;
  /** Every table is read from one consistent snapshot. */
  consistentRead: boolean;
  /** A failed load leaves the target exactly as it was, schema included. */
  atomicLoad: boolean;
  /** Push modes beyond `create` and `replace` that the target implements. */
  mergeModes: readonly MergeMode[];
  /** Text values may contain NUL characters. */
  textAllowsNul: boolean;
  /** Names that differ only in (ASCII) case are the same name here (SQLite). */
  caseInsensitiveNames?: boolean;
  /** Table names the database keeps for itself (`sqlite_`), compared without case. */
  reservedPrefixes?: readonly string[];
  /** The tables it creates get the CHECK constraints it can take; it lists the others itself. */
  createsChecks?: boolean;
  /** It keeps the schema as it is given, CHECK constraints and triggers included (a snapshot). */
  keepsSchema?: boolean;
}

export const DEFAULT_CAPABILITIES: AdapterCapabilities = Object.freeze({
  source: false,
  target: false,
  maxIdentifierBytes: undefined,
  consistentRead: false,
  atomicLoad: false,
  mergeModes: Object.freeze([]) as readonly MergeMode[],
  textAllowsNul: false,
});

/** How rows meet rows already in the target. */
export type MergeMode = 'merge' | 'upsert' | 'append';
/** `create`: only into missing or empty tables. `replace`: the target tables end holding exactly the source rows. */
export type PushMode = 'create' | 'replace' | MergeMode;

/** What to do with data a target cannot hold as it is. Each non-default choice is reported. */
export interface DataPolicies {
  /** A value whose storage class contradicts the column's declared type (text in an INTEGER column). `text`: load the column as text. */
  typeMismatch: 'error' | 'text';
  /** Text that is not valid UTF-8 or holds NUL. `replace`: substitute U+FFFD. */
  invalidText: 'error' | 'replace';
  /** Names longer than the target's identifier limit. `shorten`: a deterministic short name. */
  longNames: 'error' | 'shorten';
  /** Integers that are dates (epoch milliseconds or seconds), as the user mapped them; none when absent. */
  epochDates?: EpochDates;
}

export const DEFAULT_POLICIES: DataPolicies = Object.freeze({
  typeMismatch: 'error',
  invalidText: 'error',
  longNames: 'error',
});

export interface IntrospectOptions {
  /**
   * Look at the data to decide each column's type (SQLite declares hints, not types).
   * Off for quick looks such as `status`.
   */
  profile?: boolean;
  /** Only these tables (by exact name); all when absent. */
  tables?: readonly string[];
  /**
   * Databases with schemas: also the tables outside the location's own schema, named
   * `schema.table` (`db status` and `db verify` look at every table). Otherwise those are
   * read only when named in `tables`, and a note lists the ones left out.
   */
  allSchemas?: boolean;
  /**
   * Databases with schemas: also the tables at these places (the source's tables that came
   * from other schemas), each named `schema.table`; a table of the location's own schema
   * literally named so is then not read, since the source's table is the placed one.
   */
  places?: readonly TablePlace[];
  /**
   * Also count the rows of the tables read (those named in `tables`, all when absent, less
   * `exclude`) in the same request, where the source can (PostgreSQL: one catalog query, one
   * round trip); `countRowsOf` then answers from that snapshot without asking again. Others ignore it.
   */
  counts?: { tables?: readonly string[]; exclude?: readonly string[] };
}

/** A stream that knows how many rows went through it, for progress reports. */
export interface RowCounting {
  readonly rowCount: number;
}

/** What a session knows about the server it talks to, for `status` and the questions before overwriting. */
export interface ServerInfo {
  version?: string;
  /** How the connection is secured, in words. */
  tls?: string;
  /** The host connected to (with its port when not the server's default), for a question that names it. Never a secret. */
  host?: string;
  /** The database connected to. */
  database?: string;
}

export interface SourceSession {
  readonly server?: ServerInfo;
  /** The schema, with column types decided from the data when `profile` is set. */
  introspect(options?: IntrospectOptions): Promise<Schema>;
  /** The exact number of rows, seen from the same snapshot as the reads. */
  countRows(table: Table): Promise<number>;
  /** The same for several tables in one request, in their order: a server far away is asked once (issue 24). Optional. */
  countRowsOf?(tables: readonly Table[]): Promise<number[]>;
  /**
   * The table's rows as PostgreSQL CSV, columns in `table.columns` order, encoded for
   * the neutral types in `table`. May implement {@link RowCounting}.
   */
  readTable(table: Table): Readable;
  /** Ends the read snapshot and releases connections. */
  close(): Promise<void>;
  /** Turns an error of this adapter's driver into a HesapError; undefined when it is not one of its own. */
  explain?(error: unknown): HesapError | undefined;
  /** What changed since the last push to the same target (see {@link ChangeTracking}); absent when the source keeps no such record. */
  readonly changes?: ChangeTracking;
  /**
   * What a merging pull needs of hesap's own record in the source, read in the snapshot of
   * the reads (see {@link SyncView}); absent where the source keeps none (only PostgreSQL does).
   */
  syncView?(sourceId: string): Promise<SyncView>;
}

/**
 * A merging pull's view of hesap's record in the remote (issue 23), read in the same
 * snapshot as the rows: the token of the last push, each table's identity, the snapshot
 * itself (rows written after it are "changed since" for the next push), and the identity
 * map of one source (which remote row each of its rows became).
 */
export interface SyncView {
  /** The last push's token (see ChangeTracking); absent when none is kept there. */
  token?: string;
  /** The snapshot the rows were read in (`pg_current_snapshot()`), as text. */
  snapshot: string;
  /** Each table's identity now (see SyncMark.tables). */
  tables: Record<string, string>;
  /** The source's explicit identity map entries, by table: [source key, target key] as text. */
  entries: Record<string, Array<[string, string]>>;
  /** The source's identity baseline per table: a key up to this one is the same on both sides, unless an entry says otherwise. */
  baselines: Record<string, string>;
}

/** Rows a merging pull matched to remote rows under another key, or brought in: written to the identity map by the next push (see ChangeTracking.pendingIdentities). */
export interface PendingIdentity {
  table: string;
  sourceKey: string;
  targetKey: string;
}

/**
 * Incremental pushes (issue 23): the source keeps, outside the app's database, the rows as
 * the last push to a target sent them (its shadow), with the token that push left in the
 * target. When the target still holds that token, nobody else wrote there through hesap since,
 * and a push need only send the rows that differ from the shadow.
 */
export interface ChangeTracking {
  /**
   * The token the shadow was recorded with and the target's snapshot right after that push
   * (see TargetSession.snapshotAfter), or why there is no usable shadow.
   */
  readonly recorded: { token: string; remoteSince?: string } | { reason: string };
  /**
   * From now on this session reads, of each table in `tables`, only the rows that differ from
   * the shadow (new or changed), with the parent rows that they point at through `tables`'
   * foreign keys; `countRows` counts those. Tables the shadow does not know are read whole.
   * `readAll`: the changes are only told (the edits travel), every row is read, and the push
   * records its shadow anew. `targetTables`: the target tables' identities now (SyncMark); a
   * table whose identity differs from the recorded one is read whole.
   */
  restrict(tables: readonly Table[], options?: { readAll?: boolean; targetTables?: Record<string, string>; deletes?: boolean }): Promise<TableChanges[]>;
  /**
   * Once the target has committed the push (with `token`): the shadow takes the rows this
   * session read of `tables` (all rows unless restricted), except those the push left out,
   * which stay pending for the next push. `whole`: the push was full; the shadow is rebuilt.
   */
  record(
    token: string,
    tables: readonly Table[],
    skipped: readonly SkippedRow[],
    remoteSince?: string,
    conflicts?: readonly Conflict[],
    targetTables?: Record<string, string>,
    /** Per table, the rows the target held already (TableWriteResult.matchedKeys): never deleted there by `deletes`. */
    matched?: Readonly<Record<string, TableWriteResult['matchedKeys']>>,
  ): Promise<void>;
  /**
   * Optional: the shadow takes `table`'s sent rows now, inside the source's own transaction
   * (kept only if `record` follows), while the target is still busy with them: the engine
   * starts the target's work on the table first, and the source gives the event loop back
   * between parts of a big table, so that the target's next statements go out meanwhile.
   */
  keep?(table: Table): void | Promise<void>;
  /**
   * Optional: identity map entries a merging pull left for the next push (rows it brought in
   * or matched under another key): written into the target before that push merges, and
   * forgotten (forgetPendingIdentities) once a load wrote them, with its record. Only those
   * of tables that are still as the pull saw them (`targetTables`: their identities now, see
   * SyncMark.tables).
   */
  pendingIdentities?(targetTables?: Record<string, string>): PendingIdentity[];
  /** The pending identities were written into the target: they leave the record with this push's (kept only if `record` follows). */
  forgetPendingIdentities?(): void;
}

/** What a table's rows did since the last push, as the shadow tells. */
export interface TableChanges {
  table: string;
  /** Read whole: the shadow did not know the table (or its columns changed). */
  whole: boolean;
  /** The table's rows in the source, sent or not. */
  rows: number;
  /** Rows that are not in the shadow. */
  inserted: number;
  /** Rows the shadow holds with other values: the same source key, edited locally. */
  updated: number;
  /** Rows the shadow holds that are gone from the file. */
  deleted: number;
  /** Rows sent besides, because a changed row points at them. */
  parents: number;
  /** Source keys (text of each primary key column) of the `updated` rows. */
  edited: Array<Array<string | null>>;
  /** The same keys, grouped by the target's snapshot after the push that last sent each row (absent when not recorded). */
  editedSince: Array<{ since?: string; keys: Array<Array<string | null>> }>;
  /** Of those, the keys of rows whose conflict an earlier push kept the remote value of: still conflicts until settled. */
  conflicted: Array<Array<string | null>>;
  /** Source keys of the `parents` rows: unchanged here, sent only for the rows that point at them. */
  references: Array<Array<string | null>>;
  /**
   * Asked with `deletes`: the keys of the `deleted` rows this source inserted into the target
   * (its own rows, not rows the target held when they were first pushed), grouped by the
   * target's snapshot after the push that last sent each, as `editedSince`.
   */
  gone?: Array<{ since?: string; keys: Array<Array<string | null>> }>;
  /** Of `deleted`, rows the target already held when this source first pushed them: never deleted there. */
  goneTheirs?: number;
}

/** The target's record of the last push through hesap, read before a push (see {@link ChangeTracking}). */
export interface SyncMark {
  /** The token the last push left; absent when none did (or the record cannot be read). */
  token?: string;
  /** Each target table's identity now (a table made again, emptied or rewritten has another). */
  tables?: Record<string, string>;
  /** A push can leave its token: the record exists and may be written, or may be created. */
  writable: boolean;
}

/** One table of a load: the source table and the target table it becomes. */
export interface TablePlan {
  source: Table;
  /** The same table under the names the target uses (equal to `source` unless names were shortened). */
  target: Table;
  /** The table does not exist in the target and is created first. */
  create: boolean;
  /**
   * How the rows go in. `load`: into an empty table. `replace`: the table is emptied first.
   * Merge modes: source rows meet the rows already there (see {@link MergeSettings}).
   */
  action: 'load' | 'replace' | MergeMode;
  /** The table as it exists in the target, when it does. */
  existing?: Table;
  /** Source row count, when known. */
  rowCount?: number;
  /** Merge: the columns that say two rows are the same row (a user's email), when the table has them. */
  naturalKey?: string[];
  /** Foreign keys to the table itself or to a table loaded later (cycles): filled in after the rows are in. */
  deferredForeignKeys: ForeignKey[];
  /** How its rows meet the target's, decided once by the planner (every plan `planLoad` makes has one). */
  merge?: TableMergePlan;
  /**
   * An incremental merge: the source keys (text of each primary key column) of rows this
   * source pushed before and edited since. Matched, they are updated in the target unless the
   * target row changed since that push too (a conflict, see LoadPlan.onConflict).
   */
  edited?: Array<Array<string | null>>;
  /**
   * `edited` grouped by the target's snapshot after the push that last sent each row: a target
   * row whose version that snapshot cannot see changed there since (a conflict). Rows of a
   * group without one are judged by LoadPlan.remoteSince.
   */
  editedSince?: Array<{ since?: string; keys: Array<Array<string | null>> }>;
  /** Of `edited`, rows an earlier push found in conflict and left as the target had them: conflicts still. */
  conflicted?: Array<Array<string | null>>;
  /** An incremental merge: rows unchanged here, sent only because changed rows point at them. Never updated, never counted as differing. */
  references?: Array<Array<string | null>>;
}

/** What a push does with a row changed on both sides since the last push. */
export type ConflictPolicy = 'keep-remote' | 'keep-local' | 'fail';

/** A row changed locally and in the target since the last push, with both values. */
export interface Conflict {
  table: string;
  /** The source row's key, as `col=value` pairs. */
  sourceKey: string;
  /** The same key as the text of each primary key column. */
  sourceKeyValues: Array<string | null>;
  /** The source row; null when it was deleted here since the last push (a push with `deletes`). */
  local: Record<string, unknown> | null;
  /** The target row now; null when it was deleted there since the last push (the row was edited here). */
  remote: Record<string, unknown> | null;
  /** Which value the target holds after the push (`remote` with `remote: null`: the row stays deleted there; `local` with `local: null`: it was deleted there). */
  kept: 'remote' | 'local';
  /** Why the target's row stays when no policy could change that (rows of the target still point at a row deleted here). */
  reason?: string;
}

/** How a merge treats rows, for the whole load (whether a skipped row fails the load is the engine's to enforce). */
export interface MergeSettings {
  /** Who is pushing: the identity map remembers source rows per source. */
  sourceId: string;
  /** Update matched rows whose other columns differ (otherwise they are left as they are). */
  update: boolean;
  /**
   * Incremental merges: rows this source pushed before and edited since update their target
   * rows (conflicts reported). Default true; false (`--no-update`): they are matched like any
   * other row, counted as differing and left as the target has them.
   */
  localEdits?: boolean;
  /**
   * New rows whose parent row exists nowhere, going into a table that exists: left out and
   * listed. Otherwise (default) the push is refused, naming every key they break.
   */
  skipOrphans?: boolean;
}

export interface LoadPlan {
  mode: PushMode;
  /** Parents before children. */
  tables: TablePlan[];
  /** Dry run: do everything, then roll back. */
  dryRun: boolean;
  /**
   * Nothing but clean rows: a skipped row fails the load (the engine checks each table's
   * result), and so do rows a created table would take under a NOT VALID foreign key.
   */
  strict?: boolean;
  merge?: MergeSettings;
  notes: Note[];
  /**
   * The token this push leaves in the target as the last push through hesap (written inside
   * its transaction, see {@link ChangeTracking}); absent when none is kept.
   */
  syncToken?: string;
  /** The target's snapshot right after the last push (an incremental merge): a row whose version it cannot see changed since. */
  remoteSince?: string;
  /** A merging pull: the remote's record as the rows were read (see SourceSession.syncView). */
  pulledFrom?: SyncView;
  /** Identity map entries a merging pull left for this push to write before it merges (see ChangeTracking.pendingIdentities). */
  identities?: PendingIdentity[];
  /** Set by the target when it wrote `identities` in the load's transaction (a load that uses no identity map leaves them for a later one). */
  identitiesWritten?: boolean;
  /**
   * The push sends only what changed since the last push (its record was trusted). A row
   * pushed before that matches no target row was then deleted there since; a full push
   * (a fall-back) inserts such rows again, as any merge does.
   */
  incremental?: boolean;
  /** Rows edited on both sides since the last push (default `keep-remote`, reported). */
  onConflict?: ConflictPolicy;
  /**
   * Rows this source pushed, inserted into the target, and deleted here since, to delete
   * there (`deletes`), children before parents; done by TargetSession.deleteRows.
   */
  deletes?: DeletePlan[];
}

/** One table's rows to delete in the target (see LoadPlan.deletes). */
export interface DeletePlan {
  /** The table as the source has it, and as the target has it. */
  source: Table;
  target: Table;
  /** The source keys (text of each primary key column), by the snapshot after the push that last sent each. */
  keys: Array<{ since?: string; keys: Array<Array<string | null>> }>;
  /** For each key column: the table whose identity map turns its source value into the target's (the table itself, or a parent), when the map does. */
  mappedBy: Array<string | undefined>;
}

/** What deleting one table's rows did (see TargetSession.deleteRows). */
export interface DeleteResult {
  table: string;
  /** Rows deleted in the target (a row deleted there too counts nowhere). */
  deleted: number;
  /** Before the last pass: the rows rows of the target point at, to try again once the push's tables are written. */
  waiting?: DeletePlan['keys'];
  /** Rows left in the target: changed there since, or still pointed at there. */
  conflicts: Conflict[];
}

/** A row that was not written, and why. */
export interface SkippedRow {
  table: string;
  reason: string;
  /** The constraint involved, when one was. */
  constraint?: string;
  /** The source row's key, as `col=value` pairs. */
  sourceKey: string;
  /** The same key as the text of each primary key column, when the table has one (for the source's shadow). */
  sourceKeyValues?: Array<string | null>;
  /** The target row it met, when there was one; for a foreign key, the values that point nowhere. */
  targetKey?: string;
  /**
   * Left out for a foreign key that does not hold: `parent-missing`, its parent row exists
   * neither in the push nor in the target; `parent-left-out`, its parent was left out so.
   */
  orphan?: 'parent-missing' | 'parent-left-out';
  /**
   * The row is in the target already, under the same key, and the mode leaves existing rows
   * as they are (append): not written, and not missing from the target either.
   */
  present?: true;
}

export interface TableWriteResult {
  table: string;
  /** Rows that arrived from the source. */
  received: number;
  inserted: number;
  updated: number;
  unchanged: number;
  /** Rows whose key in the target differs from the source's (a new id because theirs was taken, or matched under another id). */
  remapped: number;
  /** Matched rows whose other columns differ, left as they are (merge without `update`). */
  differing?: number;
  skipped: SkippedRow[];
  /** Of `updated`, rows updated because they were edited locally since the last push (an incremental merge). */
  localEdits?: number;
  /** Rows changed on both sides since the last push (an incremental merge). */
  conflicts?: Conflict[];
  /** Rows deleted in the target because the source deleted them (a push with `deletes`; a merging pull with `deletes`: rows deleted here because the remote deleted them). */
  deleted?: number;
  /**
   * A merging pull: rows both sides held at the last push or pull (the file's record says so)
   * that the remote no longer holds, and that stay here: all of them, or with `deletes`, those
   * changed here since or pointed at here (listed as conflicts).
   */
  deletedThere?: number;
  /**
   * For the source's record of which target rows it owns (a push that keeps a record, into a
   * table that existed): the source keys of the staged rows the merge matched to rows the
   * target already held (`theirs`), or, when fewer, of those it inserted (`ours`: every other
   * row of the push is the target's); runs of whole-number keys as `[first, last]` ranges,
   * other keys listed. Absent when nothing was matched.
   */
  matchedKeys?: { side: 'theirs' | 'ours'; ranges: Array<[string, string]>; keys: Array<Array<string | null>> };
}

/** A table being written: the CSV goes into `stream`; `complete()` resolves once it is in. */
export interface TableWrite {
  readonly stream: Writable;
  complete(): Promise<TableWriteResult>;
}

export interface TargetSession {
  /** What the target holds now. */
  introspect(options?: IntrospectOptions): Promise<Schema>;
  /**
   * The forms the app's own date-time text in `tables` is written in where the target already
   * has them (see LocalForms), read before anything changes; targets that keep no such text leave it out.
   */
  localForms?(tables: readonly Table[]): Promise<LocalForms>;
  /** Starts the transaction, creates missing tables, empties replaced ones. */
  begin(plan: LoadPlan): Promise<void>;
  writeTable(table: TablePlan): TableWrite;
  /**
   * Optional: deletes these rows (`plan.deletes`, after begin, before any table is written;
   * then, `last`, the rows that waited, once every table is written): each row only if it
   * did not change in the target since the push that last sent it and no row of the target
   * points at it. The others are conflicts (`plan.onConflict`), but for rows pointed at
   * before the last pass: they wait (DeleteResult.waiting), as the push may move those
   * pointers away.
   */
  deleteRows?(deletes: readonly DeletePlan[], last: boolean): Promise<DeleteResult[]>;
  /**
   * Adds the constraints left for after the load, sets sequences, commits (or rolls back a dry
   * run). `results`: a target that merges only once every table is in (a merging pull) tells
   * each table's outcome here; they replace what `complete()` said.
   */
  finish(): Promise<{ notes: Note[]; results?: TableWriteResult[] }>;
  /** Undoes everything since `begin`. Safe to call more than once, and after a failed `finish`. */
  abort(reason: unknown): Promise<void>;
  close(): Promise<void>;
  /** Turns an error of this adapter's driver into a HesapError; undefined when it is not one of its own. */
  explain?(error: unknown): HesapError | undefined;
  /** The token the last push through hesap left here (see {@link ChangeTracking}); targets that keep none leave it out. */
  lastSync?(): Promise<SyncMark>;
  /** After `finish`: the target's snapshot now (PostgreSQL's `pg_current_snapshot()`), which the next incremental push compares rows' versions with. */
  snapshotAfter?(): Promise<{ snapshot?: string; tables?: Record<string, string> } | undefined>;
}

/** What `status` shows about one side. */
export interface ProbeResult {
  reachable: boolean;
  latencyMs?: number;
  serverVersion?: string;
  error?: HesapError;
}

/**
 * How a session is opened. The caller resolves every value (hesap's API does so in one
 * place, `packages/api/src/settings.ts`); an adapter applies what it is given and keeps
 * no defaults of its own: a limit that is absent is no limit of hesap's, only whatever
 * the driver does by itself.
 */
export interface OpenOptions {
  policies?: Partial<DataPolicies>;
  /** Seconds to wait for a connection. */
  connectTimeoutSeconds?: number;
  /** Seconds to wait for a lock before failing. */
  lockTimeoutSeconds?: number;
  /** Seconds a short statement may go unanswered before the connection counts as stalled. */
  idleTimeoutSeconds?: number;
  /** Called for things worth a log line (retries, TLS mode in use). */
  log?: (level: 'debug' | 'info' | 'warn', message: string) => void;
  /**
   * Source sessions: false when the session will not profile its data (`introspect` without
   * `profile`, as `db status` does), so the adapter need not prepare for it. Default true.
   */
  profile?: boolean;
}

/**
 * An adapter: a factory for sessions on one kind of database.
 *
 * @example
 * const adapter = registry.forLocation('postgres://localhost/app');
 * const target = await adapter.openTarget('postgres://localhost/app', {});
 */
export interface Adapter {
  readonly name: string;
  /** URL schemes it answers for (`postgres`, `postgresql`, `sqlite`). */
  readonly schemes: readonly string[];
  readonly capabilities: AdapterCapabilities;
  /** True when it can open this location. */
  accepts(location: string): boolean;
  /** The location with any secret removed, for output. */
  describe(location: string): string;
  probe(location: string, options?: OpenOptions): Promise<ProbeResult>;
  openSource(location: string, options?: OpenOptions): Promise<SourceSession>;
  openTarget(location: string, options?: OpenOptions): Promise<TargetSession>;
}

/**
 * A base for adapters: every optional member has a safe default, so adding a
 * capability to the contract never breaks an adapter written elsewhere.
 */
export abstract class AdapterBase implements Adapter {
  abstract readonly name: string;
  abstract readonly schemes: readonly string[];

  get capabilities(): AdapterCapabilities {
    return DEFAULT_CAPABILITIES;
  }

  accepts(location: string): boolean {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(location)?.[1]?.toLowerCase();
    return scheme !== undefined && this.schemes.includes(scheme);
  }

  describe(location: string): string {
    return location;
  }

  async probe(location: string, options?: OpenOptions): Promise<ProbeResult> {
    const started = Date.now();
    try {
      const session = await this.openSource(location, options);
      await session.close();
      return { reachable: true, latencyMs: Date.now() - started };
    } catch (error) {
      return { reachable: false, error: error instanceof HesapError ? error : new HesapError('INTERNAL', String(error)) };
    }
  }

  openSource(_location: string, _options?: OpenOptions): Promise<SourceSession> {
    return Promise.reject(new HesapError('UNSUPPORTED', `The ${this.name} adapter cannot be read from.`));
  }

  openTarget(_location: string, _options?: OpenOptions): Promise<TargetSession> {
    return Promise.reject(new HesapError('UNSUPPORTED', `The ${this.name} adapter cannot be written to.`));
  }
}

/** The effective policies: defaults with the given overrides. */
export function resolvePolicies(policies?: Partial<DataPolicies>): DataPolicies {
  return { ...DEFAULT_POLICIES, ...policies };
}
