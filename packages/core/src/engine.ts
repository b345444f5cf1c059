import { randomUUID } from 'node:crypto';
import { Transform, type Readable, type TransformCallback, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type {
  AdapterCapabilities,
  DataPolicies,
  LoadPlan,
  MergeMode,
  MergeSettings,
  PushMode,
  RowCounting,
  SourceSession,
  Conflict,
  ConflictPolicy,
  DeletePlan,
  TableChanges,
  TableWriteResult,
  TargetSession,
} from './contract';
import { adoptLocalForms } from './app-forms';
import { chunksPassed } from './chunk-memory';
import { connectionStalled, HesapError, withTable } from './errors';
import { migrationTablesStayHome, type MigrationTablesSetting } from './migration-tables';
import { groupOrphans, orphansRefused } from './orphans';
import { checkTableNames, orderTables, planLoad, selectTables } from './planner';
import { checkTargetValues, targetValueTests } from './target-values';
import { findTable, type Note, type Schema, type Table } from './schema';
import { isSurrogate } from './merge-plan';

/** Progress of one table. Emitted at most every `progressIntervalMs`, and once at the start and end of each table. */
export interface ProgressEvent {
  table: string;
  phase: 'start' | 'rows' | 'done';
  rowsDone: number;
  /** Rows in the source table, when known. */
  rowsTotal?: number;
  /** CSV bytes moved so far for this table. */
  bytes: number;
  /** Position of the table in the plan (0-based) and the number of tables. */
  index: number;
  count: number;
}

/**
 * A transfer, every value decided by the caller (hesap's API resolves its defaults in
 * one place, `packages/api/src/settings.ts`): the engine keeps no defaults of its own.
 */
export interface TransferOptions {
  source: SourceSession;
  target: TargetSession;
  targetCapabilities: AdapterCapabilities;
  /** Only these tables; all when absent or empty. */
  tables?: readonly string[];
  exclude?: readonly string[];
  mode: PushMode;
  policies: DataPolicies;
  dryRun: boolean;
  /**
   * Who is pushing and whether matched rows are updated. Needed by the merge modes; with
   * it, a target that keeps an identity map also remembers the ids a load or replace kept.
   */
  merge?: MergeSettings;
  /** A skipped row fails the whole load (the engine checks each table's result). */
  strict: boolean;
  /** Migration bookkeeping tables: left home where the target has its own (default), or copied like the rest. */
  migrationTables?: MigrationTablesSetting;
  /** Natural keys for merge, by table (`{ users: ['email'] }`); otherwise each table's first unique constraint. */
  keys?: Readonly<Record<string, readonly string[]>>;
  onProgress?: (event: ProgressEvent) => void;
  /** Least milliseconds between two progress events of a table. */
  progressIntervalMs: number;
  /** Aborting cancels the table in flight and rolls the target back. */
  signal?: AbortSignal;
  /**
   * Seconds without a byte moving before a table's transfer is given up as stalled (a
   * connection that stays open but carries nothing).
   */
  idleTimeoutSeconds: number;
  /**
   * Merge modes: send only the rows that changed since the last push to this target, when
   * the source keeps a shadow of it and the target still holds that push's token (see
   * ChangeTracking); otherwise every row, and the reason is reported.
   */
  incremental?: boolean;
  /** Incremental merges: rows changed on both sides since the last push (default `keep-remote`). */
  onConflict?: ConflictPolicy;
  /**
   * Incremental merges: rows this source pushed, that the target inserted for it, and that
   * were deleted here since, are deleted there (see LoadPlan.deletes). Only when the push's
   * record is trusted; otherwise a note says they were not.
   */
  deletes?: boolean;
  /**
   * A merging pull (`pull --mode merge`), for this source id: the source's record of hesap
   * (SourceSession.syncView) is read in the snapshot of the rows and handed to the target
   * (LoadPlan.pulledFrom), which merges once every table is in.
   */
  syncView?: string;
}

/** What an incremental push found (see TransferOptions.incremental). */
export interface IncrementalReport {
  /** Only changed rows were sent. Otherwise every row was, for `reason`. */
  used: boolean;
  reason?: string;
  /** Per table of the push, what changed since the last push (when used). */
  tables: Array<Omit<TableChanges, 'edited' | 'editedSince' | 'conflicted' | 'references' | 'gone'>>;
  /** Tables left out of this push: nothing in them changed. */
  unchanged: string[];
}

export interface TableReport extends TableWriteResult {
  action: string;
  /** The table's name in the target when it differs from the source. */
  targetName?: string;
  bytes: number;
  durationMs: number;
}

export interface TransferReport {
  mode: PushMode;
  dryRun: boolean;
  /** Every source row of the pushed tables is in the target (none left out). */
  complete: boolean;
  /** Source rows left out and listed in their table's `skipped` (0 when complete). */
  rowsLeftOut: number;
  tables: TableReport[];
  /** Views in the source; they are listed, never copied as tables. */
  views: string[];
  notes: Note[];
  durationMs: number;
  /** Present when the push was asked to be incremental. */
  incremental?: IncrementalReport;
  /** Rows changed on both sides since the last push, with both values (an incremental merge). */
  conflicts: Conflict[];
}

const MERGE_MODES: readonly PushMode[] = ['merge', 'upsert', 'append'] satisfies MergeMode[];

/** Counts bytes passing through and reports progress without holding anything back. */
class ProgressTap extends Transform {
  bytes = 0;
  /** When a chunk last went through: a stalled connection shows as no activity. */
  lastActivity = Date.now();
  private last = 0;

  constructor(
    private readonly report: (bytes: number) => void,
    private readonly intervalMs: number,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    chunksPassed(chunk.length);
    const now = Date.now();
    this.lastActivity = now;
    if (now - this.last >= this.intervalMs) {
      this.last = now;
      this.report(this.bytes);
    }
    callback(null, chunk);
  }
}

/**
 * One table's pipeline, with a watchdog: when no chunk has gone through for `idleMs`,
 * the pipeline is destroyed (which cancels a COPY) and the failure is a retriable timeout.
 */
async function moveTable(read: Readable, tap: ProgressTap, write: Writable, table: string, idleMs: number, signal?: AbortSignal): Promise<void> {
  const stalled = new AbortController();
  const watchdog = setInterval(
    () => {
      if (Date.now() - tap.lastActivity > idleMs) {
        stalled.abort(connectionStalled(`No data moved for ${Math.round(idleMs / 1000)} s while copying "${table}"`, table));
      }
    },
    Math.max(50, Math.min(1000, idleMs / 4)),
  );
  watchdog.unref();
  try {
    await pipeline(read, tap, write, { signal: signal ? AbortSignal.any([signal, stalled.signal]) : stalled.signal });
  } catch (error) {
    if (stalled.signal.aborted && !signal?.aborted) throw stalled.signal.reason;
    throw error;
  } finally {
    clearInterval(watchdog);
  }
}

/** Resolves like `work`, or rejects as soon as the signal aborts (the target's abort cancels the work itself). */
function untilAborted<T>(work: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const stop = () => reject(signal.reason);
    if (signal.aborted) stop();
    signal.addEventListener('abort', stop, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', stop));
  });
}

function rowCountOf(...streams: unknown[]): number {
  let best = 0;
  for (const s of streams) {
    const n = (s as Partial<RowCounting>).rowCount;
    if (typeof n === 'number' && n > best) best = n;
  }
  return best;
}

/**
 * Moves tables from a source session to a target session: plans the load, streams each
 * table as CSV through `stream/promises.pipeline` (backpressure end to end), and
 * finishes the target. Any failure aborts the target, which leaves it as it was.
 *
 * @example
 * const report = await transfer({
 *   source, target, targetCapabilities: postgres.capabilities, mode: 'replace', policies: DEFAULT_POLICIES,
 *   dryRun: false, strict: false, progressIntervalMs: 200, idleTimeoutSeconds: 60,
 * });
 */
export async function transfer(options: TransferOptions): Promise<TransferReport> {
  const started = Date.now();
  const { source, target, signal } = options;
  const { mode, policies } = options;
  if (MERGE_MODES.includes(mode) && !options.merge) {
    throw new HesapError('INTERNAL', `A ${mode} needs its merge settings (who is pushing), and none were given.`);
  }
  const include = options.tables && options.tables.length > 0 ? options.tables : undefined;

  // A merge whose source keeps a record of its last push profiles its tables once it knows which go (profileWhatGoes).
  const later = options.incremental === true && MERGE_MODES.includes(mode) && source.changes !== undefined && 'token' in source.changes.recorded;
  // The row counts come with the catalog where the source can (PostgreSQL: one query, issue 24).
  let schema = await source.introspect({ profile: !later, tables: include, counts: { tables: include, exclude: options.exclude } });
  // Tables that came from other schemas are looked for there (see TablePlace).
  const targetSchema = await target.introspect({ profile: false, places: schema.tables.flatMap((t) => (t.place ? [t.place] : [])) });
  checkTableNames(options, schema, targetSchema);
  const home = migrationTablesStayHome(selectTables(schema, include, options.exclude), targetSchema, { named: include, setting: options.migrationTables });
  let selected = home.tables;
  let sync = options.incremental && MERGE_MODES.includes(mode) ? await changesSince(source, target, selected, targetSchema.tables.map((t) => t.name), options.deletes === true) : undefined;
  if (sync?.report.used) selected = selected.filter((t) => !sync!.report.unchanged.includes(t.name));
  if (later) ({ schema, selected, sync } = await profileWhatGoes(source, schema, selected, sync));
  if (target.localForms) adoptLocalForms(selected, await target.localForms(selected));
  const counts = new Map<string, number>();
  // One request for every table where the source can (a server far away is asked once).
  if (source.countRowsOf) (await source.countRowsOf(selected)).forEach((n, i) => counts.set(selected[i]!.name, n));
  else for (const table of selected) counts.set(table.name, await source.countRows(table));
  const plan: LoadPlan = planLoad({
    source: schema,
    target: targetSchema,
    tables: selected,
    mode,
    capabilities: options.targetCapabilities,
    policies,
    dryRun: options.dryRun,
    rowCounts: counts,
    keys: options.keys,
    merge: options.merge,
    strict: options.strict,
  });
  if (sync?.token && !options.dryRun) plan.syncToken = sync.token;
  if (sync && (sync.report.used || sync.edited.size > 0)) {
    for (const t of plan.tables) {
      const edited = sync.edited.get(t.source.name);
      const references = sync.references.get(t.source.name);
      if (references && references.length > 0 && t.merge?.staged) t.references = references;
      if (edited && edited.length > 0 && t.merge?.staged && t.action === 'merge' && options.merge?.localEdits !== false) {
        t.edited = edited;
        const groups = sync.editedSince.get(t.source.name);
        if (groups && groups.length > 0) t.editedSince = groups;
        const conflicted = sync.conflicted.get(t.source.name);
        if (conflicted && conflicted.length > 0) t.conflicted = conflicted;
      }
    }
    plan.remoteSince = sync.remoteSince;
    plan.incremental = sync.report.used;
    plan.onConflict = options.onConflict ?? 'keep-remote';
  }
  if (options.deletes && sync) planDeletes(plan, sync, home.tables, targetSchema, !target.deleteRows);
  if (options.syncView !== undefined) {
    if (!source.syncView) throw new HesapError('UNSUPPORTED', 'A merging pull needs a source that keeps hesap\'s record (PostgreSQL).');
    plan.pulledFrom = await source.syncView(options.syncView);
  }
  // Rows a merging pull brought in are known to the identity map only once a push writes them there (the tables as the pull saw them).
  if (sync && !(sync.report.used && plan.tables.length === 0) && source.changes?.pendingIdentities && !options.dryRun) {
    const identities = source.changes.pendingIdentities(sync.targetTables);
    if (identities.length > 0) plan.identities = identities;
  }
  const selectedNames = new Set(selected.map((t) => t.name));
  const notes: Note[] = [...home.notes, ...schema.notes.filter((n) => n.table === undefined || selectedNames.has(n.table))];

  const reports: TableReport[] = [];
  let current: string | undefined;
  try {
    // Values that must fit narrower columns of existing tables are tested before anything is written.
    for (const tablePlan of plan.tables) {
      signal?.throwIfAborted();
      await checkTargetValues((t) => source.readTable(t), tablePlan.source, targetValueTests(tablePlan));
    }
    signal?.throwIfAborted();
    // An incremental push that found nothing changed writes nothing: no transaction at all, and the record stays as it is.
    const idle = sync?.report.used === true && plan.tables.length === 0 && !plan.deletes?.length;
    let shadowFailed: unknown;
    if (!idle) await target.begin(plan);
    // Rows deleted here go first, children before parents: a new row may take a deleted one's unique value.
    const deletions = plan.deletes?.length ? await target.deleteRows!(plan.deletes, false) : [];
    for (const [index, tablePlan] of plan.tables.entries()) {
      signal?.throwIfAborted();
      const name = tablePlan.source.name;
      current = name;
      const tableStarted = Date.now();
      const rowsTotal = counts.get(name);
      const progress = (phase: ProgressEvent['phase'], rowsDone: number, bytes: number) =>
        options.onProgress?.({ table: name, phase, rowsDone, rowsTotal, bytes, index, count: plan.tables.length });
      progress('start', 0, 0);
      const read = source.readTable(tablePlan.source);
      const write = target.writeTable(tablePlan);
      const tap = new ProgressTap((bytes) => progress('rows', rowCountOf(read, write.stream), bytes), options.progressIntervalMs);
      await moveTable(read, tap, write.stream, name, options.idleTimeoutSeconds * 1000, signal);
      // The work after the stream (a merge's set statements) can be long: an abort must not wait for it.
      const completing = untilAborted(write.complete(), signal);
      // The rows are sent: the source's shadow takes them while the target merges (recorded only after the commit).
      const keeping =
        plan.syncToken && !shadowFailed && source.changes?.keep
          ? (async () => source.changes!.keep!(tablePlan.source))().catch((error: unknown) => {
              // The shadow is out of reach (locked by another process, a full disk): the push goes on, and records nothing.
              shadowFailed = error;
            })
          : undefined;
      const result = await completing;
      // (A failed merge does not wait for it: the source is closed with the push, and the shadow's part stops there, recording nothing.)
      await keeping;
      if (options.strict && result.skipped.length > 0) {
        const first = result.skipped[0]!;
        throw new HesapError(
          'CONSTRAINT_VIOLATION',
          `Table "${name}": ${result.skipped.length} row(s) would be skipped, and \`strict\` makes that a failure; first: ${first.sourceKey}: ${first.reason}.`,
          { table: name, row: first.sourceKey, constraint: first.constraint, hints: ['Nothing was committed. Fix the rows in the source, or push without `strict` to skip them with a report.'] },
        );
      }
      if (rowsTotal !== undefined && result.received !== rowsTotal) {
        throw new HesapError(
          'INTERNAL',
          `Table "${name}": the source holds ${rowsTotal} rows but ${result.received} arrived; nothing was committed.`,
          { table: name },
        );
      }
      progress('done', result.received, tap.bytes);
      reports.push({
        ...result,
        action: tablePlan.create ? 'create' : tablePlan.action,
        targetName: tablePlan.target.name !== name ? tablePlan.target.name : undefined,
        bytes: tap.bytes,
        durationMs: Date.now() - tableStarted,
      });
    }
    current = undefined;
    // Rows pointed at in the target before the tables were written: once more, now that the push may have moved those pointers.
    const waiting = (plan.deletes ?? []).flatMap((d) => {
      const keys = deletions.find((r) => r.table === d.source.name)?.waiting;
      return keys ? [{ ...d, keys }] : [];
    });
    if (waiting.length > 0) deletions.push(...(await target.deleteRows!(waiting, true)));
    if (sync?.report.used) reportUnsent(sync.report, reports, orderTables(home.tables).order.map((t) => t.name));
    for (const d of deletions) {
      const r = reports.find((t) => t.table === d.table);
      if (!r) continue;
      r.deleted = (r.deleted ?? 0) + d.deleted;
      if (d.conflicts.length > 0) r.conflicts = [...d.conflicts, ...(r.conflicts ?? [])];
    }
    if (!plan.merge?.skipOrphans) refuseOrphans(plan, reports);
    signal?.throwIfAborted();
    const finished: { notes: Note[]; results?: TableWriteResult[] } = idle ? { notes: [] } : await target.finish();
    // A target that merges at the end (a merging pull) tells each table's outcome only now.
    for (const result of finished.results ?? []) {
      const r = reports.find((t) => t.table === result.table);
      if (r) Object.assign(r, result);
    }
    // Adapters add to the plan's notes while they create tables.
    notes.push(...plan.notes, ...finished.notes);
    if (plan.identitiesWritten && !shadowFailed) {
      try {
        source.changes?.forgetPendingIdentities?.();
      } catch {
        // Left pending, they are written again by the next push (the same entries).
      }
    }
    if (plan.syncToken && !idle) await recordPush(source, target, plan, reports, notes, shadowFailed);
    // Nothing was sent, but rows deleted here since leave the shadow (said once), under the record it has.
    else if (idle && !plan.dryRun && (sync?.report.tables ?? []).some((t) => t.deleted > 0) && source.changes && 'token' in source.changes.recorded) {
      const { token, remoteSince } = source.changes.recorded;
      await source.changes.record(token, [], [], remoteSince).catch(() => undefined);
    }
  } catch (error) {
    await target.abort(error).catch(() => undefined);
    const explained = error instanceof HesapError ? error : (source.explain?.(error) ?? target.explain?.(error) ?? error);
    const cause = signal?.aborted && !(explained instanceof HesapError && explained.code !== 'INTERNAL') ? interrupted(signal.reason) : explained;
    throw current ? withTable(cause, current) : cause;
  }
  // What the target held already is for the source's record, not the report.
  for (const r of reports) delete r.matchedKeys;
  // Rows an append found already there are not missing from the target.
  const rowsLeftOut = reports.reduce((n, t) => n + t.skipped.filter((r) => !r.present).length, 0);
  return {
    mode,
    dryRun: plan.dryRun,
    complete: rowsLeftOut === 0,
    rowsLeftOut,
    tables: reports,
    views: schema.views.map((v) => v.name),
    notes,
    durationMs: Date.now() - started,
    ...(sync ? { incremental: sync.report } : {}),
    conflicts: reports.flatMap((r) => r.conflicts ?? []),
  };
}

/** What a merge learned of the source's changes since its last push (see changesSince). */
interface Sync {
  token?: string;
  /** The target tables' identities now (SyncMark.tables), when the target keeps a record. */
  targetTables?: Record<string, string>;
  report: IncrementalReport;
  /** Per table: the edits made here since, by the snapshot each is judged by, the conflicts still open, the parent rows sent with them. */
  edited: Map<string, Keys>;
  editedSince: Map<string, TableChanges['editedSince']>;
  conflicted: Map<string, Keys>;
  references: Map<string, Keys>;
  remoteSince?: string;
  /** The tables the changes were told for (present in the target), to tell them again once the source has profiled them. */
  told: string[];
  /** Asked with `deletes`, when the record is trusted: the keys of the rows deleted here that the target inserted for this source. */
  gone?: Map<string, NonNullable<TableChanges['gone']>>;
  /** A push that cannot trust its record: the rows the shadow holds that are gone from the file (deleted here, not deleted there by this push). */
  deletedUntold?: number;
  readAll: boolean;
}

/** The keys of what changed, per table, from the source's answer. */
function keysOf(changes: readonly TableChanges[], references: boolean): Pick<Sync, 'edited' | 'editedSince' | 'conflicted' | 'references'> {
  return {
    edited: new Map(changes.map((c) => [c.table, c.edited])),
    editedSince: new Map(changes.map((c) => [c.table, c.editedSince])),
    conflicted: new Map(changes.map((c) => [c.table, c.conflicted])),
    references: references ? new Map(changes.map((c) => [c.table, c.references])) : new Map(),
  };
}

/**
 * Before a merge: whether the source's shadow of the last push can be trusted (the target
 * holds the token it was recorded with), and if so, the source reads only what changed. The
 * tables the target does not have (yet) are read whole. The new token is made here when the
 * target can keep one, whether or not this push is incremental: the next one can be.
 */
async function changesSince(source: SourceSession, target: TargetSession, selected: readonly Table[], targetTables: readonly string[], deletes: boolean): Promise<Sync> {
  const tracking = source.changes;
  const mark = target.lastSync ? await target.lastSync() : undefined;
  const token = tracking && mark?.writable ? randomUUID() : undefined;
  const full = (reason: string): Sync => ({
    token,
    targetTables: mark?.tables,
    report: { used: false, reason, tables: [], unchanged: [] },
    edited: new Map(),
    editedSince: new Map(),
    conflicted: new Map(),
    references: new Map(),
    told: [],
    readAll: true,
  });
  if (!tracking) return full('the source keeps no record of what it pushed');
  if (!mark) return full('the target keeps no record of pushes');
  if (!mark.writable) return full(`the target's record of pushes ("_hesap.sync_state") is missing and this role may not create it`);
  if ('reason' in tracking.recorded) return full(tracking.recorded.reason);
  const present = new Set(targetTables);
  const told = selected.filter((t) => present.has(t.name));
  const trusted = mark.token !== undefined && mark.token === tracking.recorded.token;
  let changes: TableChanges[];
  try {
    // Not trusted: every row is sent, but what was edited here since this file's last push is still known, and travels.
    changes = await tracking.restrict(told, { readAll: !trusted, targetTables: mark.tables, deletes: deletes && trusted });
  } catch (error) {
    return full(`the record of the last push could not be read (${error instanceof Error ? error.message : String(error)})`);
  }
  const remoteSince = tracking.recorded.remoteSince;
  if (!trusted) {
    const why =
      mark.token === undefined ? 'the target holds no record of an earlier push' : 'the target was written through hesap by another push (or restored) since the last push from here';
    return { ...full(why), ...keysOf(changes, false), remoteSince, told: told.map((t) => t.name), deletedUntold: changes.reduce((n, c) => n + c.deleted, 0) };
  }
  const byName = new Map(changes.map((c) => [c.table, c]));
  const unchanged = selected.filter((t) => {
    const c = byName.get(t.name);
    return c !== undefined && !c.whole && c.inserted + c.updated + c.parents === 0;
  });
  const tables = changes.map(({ edited: _edited, editedSince: _since, conflicted: _conflicted, references: _references, gone: _gone, ...counts }) => counts);
  return {
    token,
    targetTables: mark.tables,
    report: { used: true, tables, unchanged: unchanged.map((t) => t.name) },
    ...keysOf(changes, true),
    gone: new Map(changes.flatMap((c) => (c.gone && c.gone.length > 0 ? [[c.table, c.gone] as const] : []))),
    remoteSince,
    told: told.map((t) => t.name),
    readAll: false,
  };
}

/**
 * The tables that go, profiled only now (a push whose record is trusted need not profile the
 * tables in which nothing changed), and the changes told again for them: the keys of edited
 * rows as the profiled columns send them.
 */
async function profileWhatGoes(
  source: SourceSession,
  schema: Schema,
  selected: readonly Table[],
  sync: Sync | undefined,
): Promise<{ schema: Schema; selected: Table[]; sync: Sync | undefined }> {
  if (selected.length === 0) return { schema, selected: [...selected], sync };
  const profiled = await source.introspect({ profile: true, tables: selected.map((t) => t.name) });
  const byName = new Map(profiled.tables.map((t) => [t.name, t]));
  const going = new Set(selected.map((t) => t.name));
  const notes = [
    ...schema.notes.filter((n) => n.table === undefined || !going.has(n.table)),
    ...profiled.notes.filter((n) => (n.table === undefined ? !schema.notes.some((m) => m.code === n.code && m.message === n.message) : going.has(n.table))),
  ];
  const merged: Schema = { ...schema, tables: schema.tables.map((t) => byName.get(t.name) ?? t), notes };
  const now = selected.map((t) => byName.get(t.name) ?? t);
  if (!sync || !source.changes || sync.told.length === 0) return { schema: merged, selected: now, sync };
  const again = now.filter((t) => sync.told.includes(t.name));
  const changes = await source.changes.restrict(again, { readAll: sync.readAll });
  return { schema: merged, selected: now, sync: { ...sync, ...keysOf(changes, !sync.readAll) } };
}

/**
 * An incremental push reports every table it was asked for: a table with nothing changed as
 * `unchanged` (all its rows), and in a table whose changes were sent, the rows it did not
 * send among its unchanged ones.
 */
function reportUnsent(report: IncrementalReport, reports: TableReport[], order: readonly string[]): void {
  const rows = new Map(report.tables.map((t) => [t.table, t]));
  for (const r of reports) {
    const t = rows.get(r.table);
    if (t && !t.whole) r.unchanged += t.rows - r.received;
  }
  for (const name of report.unchanged) {
    reports.push({ table: name, action: 'unchanged', received: 0, inserted: 0, updated: 0, unchanged: rows.get(name)?.rows ?? 0, remapped: 0, skipped: [], bytes: 0, durationMs: 0 });
  }
  // In the order a full push would list them (parents first).
  reports.sort((a, b) => order.indexOf(a.table) - order.indexOf(b.table));
}

/** Source keys, as the text of each primary key column. */
type Keys = Array<Array<string | null>>;

/**
 * `deletes`: the rows deleted here that the target inserted for this source go into the plan,
 * children before parents, with how each key column's target value is found (the identity
 * map of the table it identifies, when that table's key is a surrogate one). A push whose
 * record is not trusted deletes nothing, and says so.
 */
function planDeletes(plan: LoadPlan, sync: Sync, tables: readonly Table[], targetSchema: Schema, unsupported: boolean): void {
  const asked = [...(sync.gone?.values() ?? [])].reduce((n, groups) => n + groups.reduce((m, g) => m + g.keys.length, 0), 0);
  if (!sync.report.used) {
    const n = sync.deletedUntold ?? 0;
    if (n > 0) {
      plan.notes.push({
        level: 'warning',
        code: 'DELETES_NOT_DONE',
        message: `${n} row(s) deleted here since the last push were not deleted in the target: this push sent every row (${sync.report.reason ?? 'its record was not trusted'}), and cannot tell which target rows are this file's.`,
      });
    }
    return;
  }
  if (asked === 0) return;
  if (unsupported) throw new HesapError('UNSUPPORTED', 'This target cannot delete the rows deleted here (`deletes`).', { hints: ['Push without --deletes.'] });
  // The table as the target has it (a table of the plan: as it exists there).
  const targetOf = (name: string) => {
    const t = plan.tables.find((x) => x.source.name === name);
    return t ? (t.existing ?? t.target) : findTable(targetSchema, name);
  };
  const surrogate = (t: Table | undefined) => t !== undefined && isSurrogate(t);
  const deletes: DeletePlan[] = [];
  for (const source of [...orderTables(tables).order].reverse()) {
    const keys = sync.gone?.get(source.name);
    const target = targetOf(source.name);
    if (!keys || keys.length === 0 || !target?.primaryKey || !source.primaryKey) continue;
    // Only a merge remembers which target row a source row became; upsert and append keep the keys.
    const mappedBy = target.primaryKey.columns.map((c) => {
      if (plan.mode !== 'merge') return undefined;
      if (surrogate(target) && target.primaryKey!.columns[0] === c) return target.name;
      const fk = target.foreignKeys.find((f) => f.columns.length === 1 && f.columns[0] === c);
      return fk && surrogate(findTable(targetSchema, fk.references.table)) ? fk.references.table : undefined;
    });
    deletes.push({ source, target, keys, mappedBy });
  }
  if (deletes.length > 0) plan.deletes = deletes;
}

/** After the commit: the source's shadow takes what this push sent; a failure to record costs only the next push's speed. */
async function recordPush(source: SourceSession, target: TargetSession, plan: LoadPlan, reports: readonly TableReport[], notes: Note[], failed?: unknown): Promise<void> {
  try {
    if (failed) throw failed;
    const after = await target.snapshotAfter?.();
    await source.changes!.record(
      plan.syncToken!,
      plan.tables.map((t) => t.source),
      reports.flatMap((r) => r.skipped),
      after?.snapshot,
      reports.flatMap((r) => r.conflicts ?? []),
      // Each table's identity in the target, by the source's name for it.
      after?.tables ? Object.fromEntries(plan.tables.flatMap((t) => (after.tables![t.target.name] ? [[t.source.name, after.tables![t.target.name]!]] : []))) : undefined,
      // The rows the target held already: never deleted there by a later push.
      Object.fromEntries(reports.flatMap((r) => (r.matchedKeys ? [[r.table, r.matchedKeys]] : []))),
    );
  } catch (error) {
    notes.push({
      level: 'warning',
      code: 'SHADOW_NOT_RECORDED',
      message: `The push was committed, but what it sent could not be recorded for the next push (${error instanceof Error ? error.message : String(error)}): the next push sends every row again.`,
    });
  }
}

/** Rows left out because their parent exists nowhere, without the user asking: the push is refused, every key named. */
function refuseOrphans(plan: LoadPlan, reports: readonly TableReport[]): void {
  const parents = new Map(plan.tables.flatMap((t) => t.target.foreignKeys.map((fk) => [`${t.source.name}\u0000${fk.name ?? ''}`, fk.references.table] as const)));
  const { groups, below } = groupOrphans(
    reports.flatMap((r) => r.skipped),
    (table, constraint) => parents.get(`${table}\u0000${constraint}`),
  );
  if (groups.length === 0) return;
  throw orphansRefused(groups, {
    below,
    hints: [
      'SQLite did not enforce these foreign keys; the target does, for every new row (NOT VALID keys too).',
      'Add the missing parent rows or fix the values in the local file, or push with --skip-orphans (skipOrphans: true) to leave these rows out and list them.',
    ],
  });
}

function interrupted(reason: unknown): HesapError {
  const why = reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : 'interrupted';
  return new HesapError('INTERRUPTED', `Stopped (${why}); the target was rolled back.`, { cause: reason });
}
