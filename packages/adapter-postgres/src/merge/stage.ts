import { quoteIdent, quoteQualified, type HesapError, type Table, type TableMergePlan, type TablePlan } from '@hesap/core';
import type { Places } from '../postgres-places';
import type { Guarded, MergeExecutor } from './executor';
import { analyzeSql, cols, equal, quoteLiteral } from './sql';

/** Why an append leaves a row out: the target has its key (the row is there, and stays as it is; see `SkippedRow.present`). */
export const PRESENT_IN_TARGET = 'its primary key exists in the target (append never changes an existing row)';

/**
 * The staging table of a merge, and what is known about its rows as the merge goes. The
 * source rows are COPied into it; every merge step then works on it with one statement
 * per step, never one per row, marking each row's fate in hidden columns. A table merged
 * earlier in the same push is the map its children's foreign keys go through.
 */
export interface Stage {
  readonly plan: TablePlan;
  readonly merge: TableMergePlan;
  /** The target table's name, and its shape as it is (or will be, for tables created by this push). */
  readonly table: string;
  readonly shape: Table;
  /** Where the push's tables live (this one, and the parents its foreign keys point at). */
  readonly places: Places;
  /** Quoted: the target table, the staging table, and the tables beside it (see `kept`, `claimed`). */
  readonly target: string;
  readonly stage: string;
  /**
   * Rows paired with the target row of the same key and identical content leave the stage
   * (a DELETE marks a row; an UPDATE would write the whole wide row again); their keys are
   * kept here where something reads them (children's checks, the identity map, content
   * pairing: see setAsideIdentical), and their count and bounds in `keptRows` and `keptBounds`.
   */
  readonly kept: string;
  /** The target keys already taken, for content pairing. */
  readonly claimed: string;
  readonly index: number;
  /** The pushed columns, in COPY order. */
  readonly columns: string[];
  readonly pk: string[];
  readonly surrogate: boolean;
  readonly keptKeys: string[];

  /**
   * The stage's source key index, once made: unique (`held`) as source keys should be; a stage
   * that breaks this gets a plain index. Sent with the steps after it (awaiting it sends it).
   */
  keyIndex?: PromiseLike<Guarded>;
  /** Rows set aside as identical to the target row of the same key. */
  keptRows: number;
  /**
   * Of those, the rows whose keys went into `kept` (all of them, except where nothing reads
   * them: a table no other table points at, set aside below the identity baseline).
   */
  keptStored: number;
  /** The lowest and highest key among the rows set aside (whole numbers: surrogate keys only). */
  keptBounds?: { min: bigint; max: bigint };
  /** Set at the end of the merge: the pushed rows' keys are every whole number in `[min, max]`. */
  keyRange?: { min: string; max: string };
  /**
   * Whether the target table had statistics (see analyzeIfNoStatistics), read with the push's
   * BEGIN (see statisticsSql); undefined when it was not (read at its turn then).
   */
  statistics?: boolean;
  /** Whether the identity map held explicit entries for this source and table before the push (read by matchRemembered). */
  mapEntries?: boolean;
  /** The identity baseline's key for this source and table, once read. */
  baseline?: { key: string | undefined };
  /** Rows whose key changed from source to target (new id, or matched under another id). */
  remapped: number;
  /** Rows left out, once the merge is done: children of those look for theirs in the stage. */
  skippedRows: number;
  /**
   * A statement that may leave rows out (set `skip`) was queued for this stage. Until one is,
   * every staged row is still in: see followSelfReferences.
   */
  skipsQueued: boolean;
  /**
   * What creating the stage failed with: the COPY behind it in the message never began, and
   * this is the error to report.
   */
  failed?: HesapError;
  /** The hidden columns' names for this stage (see `hiddenColumns`), and quoted. */
  readonly h: HiddenColumns;
  readonly q: Quoted;
}

/** The hidden columns of a staging table, beside the table's own. */
export interface HiddenColumns {
  row: string;
  tgt: string;
  how: string;
  skip: string;
  skipConstraint: string;
  skipTarget: string;
  /** Why a row is left out for a foreign key that does not hold (`SkippedRow.orphan`). */
  orphan: string;
  /** A row whose parent exists nowhere, left out once it is known to be written (see leaveOutOrphans). */
  pending: string;
  /** The source value of the `i`th key column that follows a parent (see `keptKeys`). */
  key: (i: number) => string;
}

type Quoted = Omit<HiddenColumns, 'key'>;

/**
 * Names for the hidden columns that no column of the table can be: `__hesap_row`, … unless
 * a column of the table starts with `__hesap_`, then `__hesap1_row`, … and so on. A user's
 * column of the same name would make the staging table fail to be created.
 */
export function hiddenColumns(taken: readonly string[]): HiddenColumns {
  const names = taken.map((c) => c.toLowerCase());
  let prefix = '__hesap_';
  for (let n = 1; names.some((c) => c.startsWith(prefix)); n++) prefix = `__hesap${n}_`;
  return {
    row: `${prefix}row`,
    tgt: `${prefix}tgt`,
    how: `${prefix}how`,
    skip: `${prefix}skip`,
    skipConstraint: `${prefix}skip_constraint`,
    skipTarget: `${prefix}skip_target`,
    orphan: `${prefix}orphan`,
    pending: `${prefix}pending`,
    key: (i) => `${prefix}k${i}`,
  };
}

function quoted(h: HiddenColumns): Quoted {
  return {
    row: quoteIdent(h.row),
    tgt: quoteIdent(h.tgt),
    how: quoteIdent(h.how),
    skip: quoteIdent(h.skip),
    skipConstraint: quoteIdent(h.skipConstraint),
    skipTarget: quoteIdent(h.skipTarget),
    orphan: quoteIdent(h.orphan),
    pending: quoteIdent(h.pending),
  };
}

/** The stage of the `index`th table staged in this push, whose merge plan is `merge`. */
export function openStage(plan: TablePlan, merge: TableMergePlan, places: Places, index: number): Stage {
  const h = hiddenColumns([...plan.target.columns, ...(plan.existing?.columns ?? [])].map((c) => c.name));
  return {
    h,
    q: quoted(h),
    plan,
    merge,
    table: plan.target.name,
    shape: plan.existing ?? plan.target,
    places,
    target: places.quoted(plan.target.name),
    stage: quoteQualified('pg_temp', `hesap_stage_${index}`),
    kept: quoteQualified('pg_temp', `hesap_kept_${index}`),
    claimed: quoteQualified('pg_temp', `hesap_claimed_${index}`),
    index,
    columns: plan.target.columns.map((c) => c.name),
    pk: merge.primaryKey,
    surrogate: merge.surrogate,
    keptKeys: merge.keptKeys,
    keptRows: 0,
    keptStored: 0,
    remapped: 0,
    skippedRows: 0,
    skipsQueued: false,
  };
}

/** Creates the staging table; the COPY goes into it (columns in `columns` order). */
export function createStageSql(s: Stage): string {
  const select = [
    ...cols('t', s.columns),
    s.surrogate ? `t.${quoteIdent(s.pk[0]!)} AS ${s.q.tgt}` : `NULL::text AS ${s.q.tgt}`,
    ...s.keptKeys.map((c, i) => `t.${quoteIdent(c)} AS ${quoteIdent(s.h.key(i))}`),
    `NULL::text AS ${s.q.how}`,
    `NULL::text AS ${s.q.skip}`,
    `NULL::text AS ${s.q.skipConstraint}`,
    `NULL::text AS ${s.q.skipTarget}`,
    `NULL::text AS ${s.q.orphan}`,
    `NULL::text AS ${s.q.pending}`,
  ];
  return (
    `CREATE TEMP TABLE ${s.stage} ON COMMIT DROP AS SELECT ${select.join(', ')} FROM ${s.target} t WITH NO DATA;` +
    // Source order, numbered as the COPY goes. A sequence access per row cost about 0.2 s of a
    // 1.8 s COPY of a million orders; cached ten thousand at a time, about half that.
    ` ALTER TABLE ${s.stage} ADD COLUMN ${s.q.row} bigint GENERATED BY DEFAULT AS IDENTITY (CACHE 10000)`
  );
}

export function copyStageSql(s: Stage): string {
  return `COPY ${s.stage} (${s.columns.map(quoteIdent).join(', ')}) FROM STDIN (FORMAT csv)`;
}

/** The staging columns holding the source key, quoted (a key that follows a parent keeps its source value aside). */
export function sourceKeyColumns(s: Stage): string[] {
  return s.pk.map((c) => {
    const kept = s.keptKeys.indexOf(c);
    return quoteIdent(kept >= 0 ? s.h.key(kept) : c);
  });
}

/** Source key columns of a staged row (before any rewrite). */
export function sourceKey(s: Stage, alias: string): string[] {
  return sourceKeyColumns(s).map((c) => `${alias}.${c}`);
}

/** Target key columns of a staged row: a surrogate key's is in the `_tgt` column once matched or renumbered. */
export function targetKey(s: Stage, alias: string): string[] {
  return s.surrogate ? [`coalesce(${alias}.${s.q.tgt}, ${alias}.${quoteIdent(s.pk[0]!)})`] : cols(alias, s.pk);
}

/**
 * The target table was created by this push and holds no row until this merge inserts them:
 * no staged row can meet a target row (by natural key, the identity map, key or content).
 */
export function targetEmpty(s: Stage): boolean {
  return s.plan.create;
}

/** Queues statements that may leave rows out (set `skip`): see `skipsQueued`. */
export function sendSkips(exec: MergeExecutor, s: Stage, ...statements: string[]): void {
  if (statements.length === 0) return;
  s.skipsQueued = true;
  exec.send(...statements);
}

/** Rows whose fate is not decided yet. */
export function open(s: Stage, alias = 's'): string {
  return `${alias}.${s.q.skip} IS NULL AND ${alias}.${s.q.how} IS NULL`;
}

/**
 * Rows to insert, once every row's fate is decided (new keys on): a row left open is new and
 * keeps its key; 'insert-remapped' is new under a key from the sequence.
 */
export function inserting(s: Stage, alias: string): string {
  return `(${alias}.${s.q.how} IS NULL OR ${alias}.${s.q.how} = 'insert-remapped') AND ${alias}.${s.q.skip} IS NULL`;
}

/**
 * SQL, given a child's columns, that is true when no row of this table with that source key
 * is part of the push and not skipped: neither in the stage nor set aside from it. One
 * anti-join, or, once the merge has found the keys to be every whole number from the lowest
 * to the highest (`keyRange`), a range test on the child's rows alone.
 */
export function absent(s: Stage, child: readonly string[]): string {
  if (s.keyRange) return `(${child[0]} < ${quoteLiteral(s.keyRange.min)}::bigint OR ${child[0]} > ${quoteLiteral(s.keyRange.max)}::bigint)`;
  // A row an append left out because its key is in the target is there, under that key.
  const inTarget = `(p.${s.q.skip} IS NULL${s.plan.action === 'append' ? ` OR p.${s.q.skip} = ${quoteLiteral(PRESENT_IN_TARGET)}` : ''})`;
  const staged = `NOT EXISTS (SELECT 1 FROM ${s.stage} p WHERE ${equal(sourceKey(s, 'p'), child)} AND ${inTarget})`;
  if (s.keptStored === 0) return staged;
  // Rows set aside as identical are in `kept` (single keys only, see setAsideIdentical): one
  // anti-join against both. As two NOT EXISTS the planner misjudged the first one's result
  // and probed the stage's index once per child row (a million probes, 0.6 s).
  return (
    `NOT EXISTS (SELECT 1 FROM (SELECT ${sourceKey(s, 'p')[0]} AS k FROM ${s.stage} p WHERE ${inTarget}` +
    ` UNION ALL SELECT k.k FROM ${s.kept} k) u WHERE u.k = ${child[0]})`
  );
}

/**
 * Readies the stage once the COPY is in: the target analysed if it never was, the source
 * values of keys that follow a parent kept aside, the source key indexed, statistics.
 */
export async function prepareStage(exec: MergeExecutor, s: Stage): Promise<void> {
  if (s.keptKeys.length > 0) {
    exec.send(`UPDATE ${s.stage} SET ${s.keptKeys.map((c, i) => `${quoteIdent(s.h.key(i))} = ${quoteIdent(c)}`).join(', ')}`);
  }
  if (!s.plan.create) await analyzeIfNoStatistics(exec, s);
  // Children (and self-references) look rows up by their source key, and setting identical
  // rows aside walks it beside the target's key (a merge join in key order: without it,
  // a hash join deleted from the stage in random order, 4.2 s instead of 1.0 s for the
  // benchmark's 2 million bills): index it.
  if (s.pk.length > 0) {
    const keyColumns = sourceKeyColumns(s).join(', ');
    // Unique, as source keys are: then a count tells whether the keys leave gaps (keyRange).
    // Nothing waits for it: the steps after it go in its message (see MergeExecutor.guard).
    s.keyIndex = exec.guard('hesap_stage_key', '23505', [`CREATE UNIQUE INDEX ON ${s.stage} (${keyColumns})`], {
      otherwise: [`CREATE INDEX ON ${s.stage} (${keyColumns})`],
      read: false,
    });
  }
  exec.send(...analyzeSql(s.stage));
}

/**
 * A target table without statistics (never analysed: autovacuum off, or rows loaded a
 * moment ago) leaves the planner guessing, and its guesses for the joins with the stage
 * were hash joins in 32 batches that delete from the stage in random order. The table is
 * analysed once, as autovacuum would (the server's sample size): merging the benchmark
 * database into a half-full target never analysed (autovacuum off) took 24.0 s instead of
 * 26.6-27.0 s; the ANALYZEs themselves about 0.5 s of it.
 * Only an optimisation: when another session holds a conflicting lock (its own ANALYZE or
 * VACUUM), or the table is not ours to analyse, the merge goes on without. Nothing waits for
 * it: the steps after it go in its message, once whether the table has statistics is known.
 */
async function analyzeIfNoStatistics(exec: MergeExecutor, s: Stage): Promise<void> {
  s.statistics ??= (await exec.ask(statisticsSql(s.places, [s.table])!)).rows[0].known[0] as boolean;
  if (!s.statistics) withShortLockWait(exec, 'hesap_analyze', [`ANALYZE ${s.target}`]);
}

/**
 * SQL: whether each of `tables` has statistics (`known`, an array in their order); undefined
 * for none. Only an optimisation rides on it (analyzeIfNoStatistics), so it is read once,
 * with the push's BEGIN, for every table the push merges into.
 */
export function statisticsSql(places: Places, tables: readonly string[]): string | undefined {
  if (tables.length === 0) return undefined;
  const known = tables.map((table) => {
    const where = places.of(table);
    return `EXISTS (SELECT 1 FROM pg_stats WHERE schemaname = ${quoteLiteral(where.schema)} AND tablename = ${quoteLiteral(where.name)})`;
  });
  return `SELECT ARRAY[${known.join(', ')}] AS known`;
}

/** How long a merge waits for the locks of an optional step before going on without it. */
const SHORT_LOCK_WAIT_MS = 1000;

/** Where the push's own lock timeout waits while a short one is in force (a custom setting, local to the transaction). */
const LOCK_TIMEOUT_ASIDE = quoteLiteral('hesap.lock_timeout');

/**
 * Queues `statements` in a savepoint with a lock wait of SHORT_LOCK_WAIT_MS; not held (and
 * nothing done) when a lock was not to be had in that time (55P03). The push's own lock
 * timeout applies again afterwards: kept aside in the savepoint and set back after it (a
 * released savepoint would keep the short one), so nothing is read first.
 */
export function withShortLockWait(exec: MergeExecutor, name: string, statements: readonly string[]): PromiseLike<Guarded> {
  return exec.guard(
    name,
    '55P03',
    [
      `SELECT set_config(${LOCK_TIMEOUT_ASIDE}, current_setting('lock_timeout'), true)`,
      `SELECT set_config('lock_timeout', ${quoteLiteral(`${SHORT_LOCK_WAIT_MS}ms`)}, true)`,
      ...statements,
    ],
    { after: [`SELECT set_config('lock_timeout', current_setting(${LOCK_TIMEOUT_ASIDE}), true)`], read: false },
  );
}
