import type { ForeignKey, Schema, Table } from './schema';
import { findTable } from './schema';

/**
 * What a table's merge will do, decided from the shapes of the tables alone, once, by the
 * planner: which steps run for the table's key and mode, and what happens to each of its
 * foreign keys. A target reads these decisions; it decides nothing here again. What needs
 * the rows (how many match, whether a key is taken) is left to the target.
 */
export interface TableMergePlan {
  /**
   * The rows go through a staging table and meet the rows already there (merge, upsert,
   * append). Otherwise they go straight in by COPY.
   */
  staged: boolean;
  /** The target table's primary key (as it is, or as this push creates it); empty when it has none. */
  primaryKey: string[];
  /** One generated key whose values belong to each database (see {@link isSurrogate}), and no key column follows a parent. */
  surrogate: boolean;
  /** Primary key columns that are also foreign key columns: their source values are kept beside the rewritten ones. */
  keptKeys: string[];
  /** How rows find their target row, in this order. */
  match: {
    /** By natural key (a user's email), in a merge. */
    naturalKey?: string[];
    /** Through the identity map: which target row a source row became in an earlier push. */
    remembered: boolean;
    /** By primary key, as it is. */
    byKey: boolean;
    /** By identical content, pairing one to one (rows without a key of their own to go by). */
    byContent: boolean;
  };
  /** Unique keys of the existing table, other than the key rows are matched by: a new row that holds a value taken there is skipped. */
  collisionKeys: Array<{ name: string; columns: string[] }>;
  /** A new row whose key another target row holds takes a new one from the sequence (merge, surrogate key). */
  newKeys: boolean;
  /**
   * With new keys, into a table that exists: the app's own inserts draw from its sequence
   * while the push runs, and would meet a pushed key the sequence has not handed out yet (the
   * app's INSERT would wait for the push, then fail). So the sequence is moved past the keys
   * the push keeps before they go in. A table the push creates is nobody else's until the
   * commit: nothing to reserve.
   */
  sequenceShared: boolean;
  /** The sequence behind the table's generated key, set once every row is in (see {@link SequencePlan}). */
  sequence?: SequencePlan;
  foreignKeys: MergeForeignKeys;
  /** Some staged table of this push (this one included) points at this one: its rows are looked up by source key. */
  referenced: boolean;
  /** Referenced by a single whole-number key: children may test their parents by the range of the keys pushed. */
  keyRange: boolean;
  /** Matched rows whose other columns differ: updated, counted and left as they are, or neither (no columns to compare). */
  differing: 'update' | 'count' | 'none';
  /**
   * What the identity map learns: `merge`, the keys the rows took (surrogate keys merged);
   * `kept-ids`, that every key stayed as it was (a load or replace of a surrogate key, when
   * the push carries merge settings); `none`.
   */
  identity: 'merge' | 'kept-ids' | 'none';
}

/**
 * The sequence behind a generated key, set after the rows are in: past every key in the
 * table, never backwards.
 */
export interface SequencePlan {
  /** The column it fills. */
  column: string;
  /**
   * The source's own last value (SQLite's `sqlite_sequence`, which never hands a value out
   * twice), counted where the table's keys are the source's: the push creates the table, or
   * loads or replaces it whole. A merge into a table that exists keeps the target's numbering.
   */
  sourceLastValue?: bigint;
}

/**
 * The column a table's sequence fills, when a target can make it an identity: a whole
 * number (a serial column of another database becomes one; its sequence does not exist here).
 */
export function sequenceColumn(table: Table): string | undefined {
  const seq = table.sequence;
  if (!seq) return undefined;
  return table.columns.find((c) => c.name === seq.column)?.type === 'integer' ? seq.column : undefined;
}

function sequencePlan(table: MergeInput): SequencePlan | undefined {
  const column = table.create ? sequenceColumn(table.target) : table.existing?.sequence?.column;
  if (!column) return undefined;
  const ownKeys = table.create || table.action === 'load' || table.action === 'replace';
  const last = table.target.sequence?.lastValue;
  return ownKeys && last !== null && last !== undefined ? { column, sourceLastValue: last } : { column };
}

export interface MergeForeignKeys {
  /** Checked (and, through a staged parent's primary key, rewritten) before the rows are matched, in declaration order. */
  followed: FollowedForeignKey[];
  /** To the table's own primary key: followed once every row's key is known. */
  selfReferences: ForeignKey[];
  /** Closing a cycle with a table merged later: new rows go in without them, and they are filled in at the end. */
  cycles: ForeignKey[];
  /** The target cannot hold them (see {@link LeftOutForeignKey}): not created, and rows are not checked against them. */
  leftOut: LeftOutForeignKey[];
  /**
   * A row whose parent is neither in the push nor in the target (SQLite does not enforce
   * foreign keys unless the app turns them on). `keep`: a table the push creates; the row
   * lands as it is, and the target makes the key NOT VALID when rows break it. `leave-out`:
   * a table that exists, whose key (validated or NOT VALID) checks every new row: a new row
   * that breaks it is left out, and the push is refused unless the user asked to skip them.
   * A row whose parent was left out by this push is left out in both cases.
   */
  orphans: 'keep' | 'leave-out';
}

export interface FollowedForeignKey {
  foreignKey: ForeignKey;
  /**
   * The parent is staged earlier in this push and the key is its primary key: a child's
   * parent is looked up among the parent's pushed rows by source key and, in a merge, takes
   * the parent's target key. Otherwise the values must exist as they are.
   */
  throughParent: boolean;
  /** The parent is staged in this push: a value may also be found among its pushed rows. */
  parentStaged: boolean;
  /** The parent is loaded whole by this push: a value missing there is missing in the source. */
  parentLoaded: boolean;
}

export interface LeftOutForeignKey {
  foreignKey: ForeignKey;
  /** `no-parent`: the parent is neither in the target nor in the push. `not-unique`: the columns it points at are no key there. */
  problem: 'no-parent' | 'not-unique';
}

/** What the merge plan reads of a table's plan (a TablePlan has all of it). */
export interface MergeInput {
  target: Table;
  existing?: Table;
  create: boolean;
  action: 'load' | 'replace' | 'merge' | 'upsert' | 'append';
  naturalKey?: string[];
  deferredForeignKeys: readonly ForeignKey[];
}

/**
 * True when the table has one generated key column: ids belong to each database. A key that
 * is also a foreign key (a profile keyed by its user's id) is not one: its value is the
 * parent's, rewritten with the parent's, and matched as a plain key.
 */
export function isSurrogate(table: Table): boolean {
  const pk = table.primaryKey?.columns ?? [];
  if (pk.length !== 1 || table.foreignKeys.some((fk) => fk.columns.includes(pk[0]!))) return false;
  return table.sequence?.column === pk[0] && table.columns.find((c) => c.name === pk[0])?.type === 'integer';
}

/** A push mode or table action whose rows go through a staging table rather than straight in by COPY. */
export function isStaged(action: string): boolean {
  return action === 'merge' || action === 'upsert' || action === 'append';
}

function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((c, i) => c === b[i]);
}

/** Why the target cannot hold a foreign key, or undefined when it can. */
export function foreignKeyProblem(fk: ForeignKey, tables: readonly MergeInput[], target: Schema): LeftOutForeignKey['problem'] | undefined {
  const parent = tables.find((p) => p.target.name === fk.references.table)?.target ?? findTable(target, fk.references.table);
  if (!parent) return 'no-parent';
  const keys = [parent.primaryKey?.columns, ...parent.uniques.map((u) => u.columns), ...parent.indexes.filter((i) => i.unique).map((i) => i.columns)];
  const wanted = [...fk.references.columns].sort().join('\u0000');
  return keys.some((k) => k && [...k].sort().join('\u0000') === wanted) ? undefined : 'not-unique';
}

/**
 * The merge plans of a load's tables, in the load's order (parents before children).
 * `update`: the push updates matched rows whose other columns differ.
 *
 * @example
 * const plans = planMerges(load.tables, targetSchema, { update: false });
 * plans[0].staged; // false for a table loaded or replaced
 */
export function planMerges(tables: readonly MergeInput[], target: Schema, settings?: { update: boolean }): TableMergePlan[] {
  const plans: TableMergePlan[] = [];
  for (const table of tables) plans.push(planMerge(table, tables, plans, target, settings));
  return plans;
}

function planMerge(table: MergeInput, tables: readonly MergeInput[], earlier: readonly TableMergePlan[], target: Schema, settings?: { update: boolean }): TableMergePlan {
  const shape = table.existing ?? table.target;
  const name = table.target.name;
  const staged = isStaged(table.action);
  const primaryKey = shape.primaryKey?.columns ?? table.target.primaryKey?.columns ?? [];
  // The pushed foreign keys count too: the target's table may lack one the push follows.
  const fkColumns = new Set(table.target.foreignKeys.flatMap((fk) => fk.columns));
  const keptKeys = primaryKey.filter((c) => fkColumns.has(c));
  const surrogate = isSurrogate(shape) && keptKeys.length === 0;
  const merging = table.action === 'merge';
  const naturalKey = merging && table.naturalKey && table.naturalKey.length > 0 ? table.naturalKey : undefined;
  const valueColumns = table.target.columns.filter((c) => !primaryKey.includes(c.name));
  const referenced = staged && tables.some((t) => isStaged(t.action) && t.target.foreignKeys.some((fk) => fk.references.table === name));
  const keyColumn = primaryKey.length === 1 ? shape.columns.find((c) => c.name === primaryKey[0]) : undefined;
  return {
    staged,
    primaryKey,
    surrogate,
    keptKeys,
    match: {
      naturalKey,
      remembered: merging && surrogate,
      byKey: staged && primaryKey.length > 0 && !(merging && surrogate),
      byContent: merging && (surrogate || primaryKey.length === 0),
    },
    collisionKeys: staged && !table.create ? collisionKeys(shape, primaryKey, merging ? table.naturalKey : undefined) : [],
    newKeys: merging && surrogate,
    sequenceShared: merging && surrogate && !table.create,
    sequence: sequencePlan(table),
    foreignKeys: foreignKeyPlan(table, tables, earlier, target, primaryKey),
    referenced,
    keyRange: referenced && keyColumn?.type === 'integer',
    differing: !staged || table.action === 'append' || primaryKey.length === 0 || valueColumns.length === 0 ? 'none' : table.action === 'upsert' || settings?.update ? 'update' : 'count',
    identity: merging && surrogate ? 'merge' : settings && (table.action === 'load' || table.action === 'replace') && isSurrogate(shape) ? 'kept-ids' : 'none',
  };
}

/** The existing table's unique keys other than its primary key (and the natural key a merge matches by). */
function collisionKeys(shape: Table, primaryKey: readonly string[], naturalKey: readonly string[] | undefined): TableMergePlan['collisionKeys'] {
  return [
    ...shape.uniques.map((u) => ({ name: u.name ?? u.columns.join('_'), columns: u.columns })),
    ...shape.indexes.filter((i) => i.unique).map((i) => ({ name: i.name, columns: i.columns })),
  ].filter((k) => !sameColumns(k.columns, primaryKey) && !(naturalKey && sameColumns(k.columns, naturalKey)));
}

function foreignKeyPlan(table: MergeInput, tables: readonly MergeInput[], earlier: readonly TableMergePlan[], target: Schema, primaryKey: readonly string[]): MergeForeignKeys {
  const name = table.target.name;
  const leftOut: LeftOutForeignKey[] = [];
  for (const foreignKey of table.target.foreignKeys) {
    const problem = foreignKeyProblem(foreignKey, tables, target);
    if (problem) leftOut.push({ foreignKey, problem });
  }
  const plan: MergeForeignKeys = { followed: [], selfReferences: [], cycles: [], leftOut, orphans: table.create ? 'keep' : 'leave-out' };
  if (!isStaged(table.action)) return plan;
  const deferred = new Set(table.deferredForeignKeys);
  // A self-reference to something other than the key is not followed (nothing to rewrite it through).
  plan.selfReferences = table.deferredForeignKeys.filter((fk) => fk.references.table === name && sameColumns(fk.references.columns, primaryKey));
  for (const foreignKey of table.target.foreignKeys) {
    if (leftOut.some((l) => l.foreignKey === foreignKey)) continue;
    if (deferred.has(foreignKey)) {
      if (foreignKey.references.table !== name) plan.cycles.push(foreignKey);
      continue;
    }
    const at = tables.findIndex((t) => t.target.name === foreignKey.references.table);
    const parent = at >= 0 && at < earlier.length ? { input: tables[at]!, plan: earlier[at]! } : undefined;
    const parentStaged = parent?.plan.staged ?? false;
    plan.followed.push({
      foreignKey,
      throughParent: parentStaged && table.action === 'merge' && sameColumns(foreignKey.references.columns, parent!.plan.primaryKey),
      parentStaged,
      parentLoaded: parent !== undefined && (parent.input.action === 'load' || parent.input.action === 'replace'),
    });
  }
  return plan;
}
