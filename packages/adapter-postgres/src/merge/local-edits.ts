import { HesapError, quoteIdent, quoteQualified, type Conflict, type ConflictPolicy } from '@hesap/core';
import type { MergeExecutor } from './executor';
import { matchedRows } from './outcome';
import { analyzeSql, cols, equal, quoteLiteral, sameValues } from './sql';
import { open, sendSkips, sourceKey, targetKey, type Stage } from './stage';

/**
 * An incremental merge's matched rows (issue 23). A row this source pushed before and edited
 * since travels: it updates its target row, unless that row changed in the target since the
 * last push too. That is a conflict: reported with both values, and settled by the policy
 * (`keep-remote` by default; `keep-local` updates it; `fail` refuses the push). A row whose
 * target row was deleted since is a conflict too when it is edited here or needed here as a
 * parent (see deletedThere). Other matched
 * rows that differ are counted, or updated with `--update`, as in any merge.
 */

export interface MatchedChanges {
  updated: number;
  differing: number;
  localEdits: number;
  conflicts: Conflict[];
}

/**
 * SQL condition: the staged row `s` is one of `keys` (this source's edits since the last push,
 * those of them still in conflict, or the parent rows sent with them), given as the push's CSV
 * gave their key columns: read into the stage's own types, as the COPY read them. Each list
 * goes into a table of its own once (queued here, ahead of the statements that use it) with
 * statistics, and every condition on it is a semi-join: written out as a literal in each
 * statement, 200,000 edited keys were read again by each and made a push take 29 s.
 */
function amongSql(exec: MergeExecutor, s: Stage, keys: ReadonlyArray<ReadonlyArray<string | null>>): string {
  const names = s.pk.map((c) => {
    const kept = s.keptKeys.indexOf(c);
    return kept >= 0 ? s.h.key(kept) : c;
  });
  const list = (alias: string) => names.map((n) => `${alias}.${quoteIdent(n)}`).join(', ');
  const tables = keyTables.get(s) ?? new Map<object, string>();
  keyTables.set(s, tables);
  let table = tables.get(keys);
  if (!table) {
    table = quoteQualified('pg_temp', `hesap_keys_${s.index}_${tables.size}`);
    tables.set(keys, table);
    const objects = keys.map((k) => Object.fromEntries(names.map((n, i) => [n, k[i] ?? null])));
    exec.send(
      `CREATE TEMP TABLE ${table} ON COMMIT DROP AS SELECT ${list('r')} FROM jsonb_array_elements(${quoteLiteral(JSON.stringify(objects))}::jsonb) e` +
        ` CROSS JOIN LATERAL jsonb_populate_record(NULL::${s.stage}, e) r`,
      ...analyzeSql(table),
    );
  }
  return `(${list('s')}) IN (SELECT ${list('k')} FROM ${table} k)`;
}

/** The tables amongSql made for each stage, by the list of keys they hold. */
const keyTables = new WeakMap<Stage, Map<object, string>>();

/**
 * SQL condition: the target row `t` was written since the last push, by anyone but that push:
 * its version (xmin, widened to 64 bits against the current transaction id's epoch) is not
 * visible in the snapshot taken right after that push committed.
 */
export function changedSinceSql(since: string): string {
  return changedSinceOf(`${quoteLiteral(since)}::pg_snapshot`);
}

/** changedSinceSql, with the snapshot given as an SQL expression of type pg_snapshot. */
export function changedSinceOf(snapshot: string): string {
  const now = 'pg_snapshot_xmax(pg_current_snapshot())::text::bigint';
  const x = 't.xmin::text::bigint';
  const widened = `((${now} >> 32) << 32) + ${x} - CASE WHEN ${x} > (${now} & 4294967295) THEN 4294967296 ELSE 0 END`;
  return `NOT pg_visible_in_snapshot((${widened})::text::xid8, ${snapshot})`;
}

/** A row's columns as one JSON object (alias `a`). */
function rowJson(s: Stage, a: string): string {
  return `jsonb_build_object(${s.columns.map((c) => `${quoteLiteral(c)}, ${a}.${quoteIdent(c)}`).join(', ')})`;
}

/** The staged row's source key, as `k` (`col=value, …`) and `kv` (the text of each column), for a Conflict. */
function conflictKeySql(s: Stage): string {
  const key = sourceKey(s, 's');
  const text = key.map((k, i) => `${quoteLiteral(`${s.pk[i]}=`)} || coalesce(${k}::text, 'NULL')`).join(` || ', ' || `);
  return `${text} AS k, jsonb_build_array(${key.map((k) => `${k}::text`).join(', ')}) AS kv`;
}

/** `fail`: the push is refused at the first conflict (the transaction rolls back: nothing is committed). */
function refuseConflicts(s: Stage, count: number, first: string): never {
  throw new HesapError('CONFLICT', `Table "${s.plan.source.name}": ${count} row(s) changed both here and in the target since the last push; first: ${first}. Nothing was committed.`, {
    table: s.plan.source.name,
    row: first,
    hints: ['Push with --on-conflict keep-remote (the default) to keep the target\'s values and list the rows, or keep-local to write yours over them.'],
  });
}

/** Why a row whose target row is gone is left out under keep-remote (not reported as skipped: see deletedThere). */
export const DELETED_THERE = 'it was deleted in the target since the last push';

/**
 * Rows this source pushed before that match no target row now: the target row was deleted
 * since (by the app, by hand). Such a row edited here since, or sent as the parent of a row
 * added or edited here, meets that deletion: a conflict, listed with the local value and
 * `remote: null`. keep-remote leaves the row out (the rows in the push that point at it wait,
 * skipped; it stays in the shadow, and in conflict at each push until settled); keep-local
 * inserts it again; fail refuses the push. Queued: the rows are kept aside as they are now,
 * and read with the merge's last message (a read here would keep the insert out of the message
 * of the steps before it: see MergeExecutor.guard). The function returned queues the read; the
 * one it returns gives the conflicts, before the transaction commits. (A full merge inserts
 * every such row again as new, as it would any row the target lacks.)
 */
export function deletedThere(exec: MergeExecutor, s: Stage, policy: ConflictPolicy): () => () => Promise<Conflict[]> {
  const pushedBefore = [s.plan.edited ?? [], s.plan.references ?? []].filter((keys) => keys.length > 0).map((keys) => amongSql(exec, s, keys));
  if (pushedBefore.length === 0) return () => async () => [];
  const gone = `${open(s)} AND (${pushedBefore.join(' OR ')})`;
  const found = quoteQualified('pg_temp', `hesap_deleted_there_${s.index}`);
  exec.send(`CREATE TEMP TABLE ${found} ON COMMIT DROP AS SELECT s.${s.q.row} AS r, ${conflictKeySql(s)}, ${rowJson(s, 's')} AS local FROM ${s.stage} s WHERE ${gone}`);
  if (policy !== 'keep-local') sendSkips(exec, s, `UPDATE ${s.stage} s SET ${s.q.skip} = ${quoteLiteral(DELETED_THERE)} WHERE ${gone}`);
  return () => {
    const read = exec.ask(`SELECT f.k, f.kv, f.local FROM ${found} f ORDER BY f.r`);
    return async () => {
      const rows = (await read).rows as Array<{ k: string; kv: Array<string | null>; local: Record<string, unknown> }>;
      if (policy === 'fail' && rows.length > 0) refuseConflicts(s, rows.length, rows[0]!.k);
      const kept = policy === 'keep-local' ? 'local' : 'remote';
      return rows.map((c) => ({ table: s.plan.source.name, sourceKey: c.k, sourceKeyValues: c.kv, local: c.local, remote: null, kept }) satisfies Conflict);
    };
  };
}

/** Matched rows whose other columns differ: updated where the push's settings say, counted otherwise; local edits travel. Queued: sent when awaited. */
export function matchedChanges(exec: MergeExecutor, s: Stage, since: string | undefined, policy: ConflictPolicy): () => Promise<MatchedChanges> {
  const valueCols = s.columns.filter((c) => !s.pk.includes(c));
  const differs = `NOT (${sameValues(s.shape, 't', 's', valueCols)})`;
  const join = equal(cols('t', s.pk), targetKey(s, 's'));
  const set = valueCols.map((c) => `${quoteIdent(c)} = s.${quoteIdent(c)}`).join(', ');
  const matched = `${join} AND ${matchedRows(s, true)} AND ${differs}`;
  const update = (where: string) => exec.ask(`UPDATE ${s.target} t SET ${set} FROM ${s.stage} s WHERE ${matched} AND ${where}`);
  const count = (where: string) => exec.ask(`SELECT count(*)::int AS n FROM ${s.stage} s JOIN ${s.target} t ON ${join} WHERE ${matchedRows(s, true)} AND ${differs} AND ${where}`);
  const others = s.merge.differing === 'update' ? update : count;
  if (s.merge.differing === 'none') return async () => ({ updated: 0, differing: 0, localEdits: 0, conflicts: [] });
  // Rows sent only as parents of changed rows were not changed here: neither updated nor counted.
  const notReference = s.plan.references?.length ? `NOT (${amongSql(exec, s, s.plan.references)})` : 'true';
  if (!s.plan.edited || s.plan.edited.length === 0) {
    const r = others(notReference);
    return async () => (s.merge.differing === 'update' ? { updated: (await r).rowCount ?? 0, differing: 0, localEdits: 0, conflicts: [] } : { updated: 0, differing: (await r).rows[0].n as number, localEdits: 0, conflicts: [] });
  }
  const edited = amongSql(exec, s, s.plan.edited ?? []);
  // Each edited row is judged by the snapshot after the push that last sent it (a row that push did not send keeps an older one).
  // (One snapshot for every edit, the common case: the edits' own table is that group's.)
  const judged = (s.plan.editedSince ?? []).filter((g) => g.since).map((g) => (g.keys.length === s.plan.edited!.length ? { ...g, keys: s.plan.edited! } : g));
  const bySnapshot = judged.map((g) => `(${amongSql(exec, s, g.keys)} AND ${changedSinceSql(g.since!)})`);
  const rest = since ? [judged.length > 0 ? `(NOT (${judged.map((g) => amongSql(exec, s, g.keys)).join(' OR ')}) AND ${changedSinceSql(since)})` : changedSinceSql(since)] : [];
  const conflicted = s.plan.conflicted?.length ? [amongSql(exec, s, s.plan.conflicted)] : [];
  const changedThere = `(${[...bySnapshot, ...rest, ...conflicted].join(' OR ') || 'false'})`;
  const conflictsWhere = (changed: string) =>
    exec.ask(
      `SELECT ${conflictKeySql(s)}, ${rowJson(s, 's')} AS local, ${rowJson(s, 't')} AS remote FROM ${s.stage} s JOIN ${s.target} t ON ${join}` +
        ` WHERE ${matchedRows(s, true)} AND ${differs} AND ${edited}${changed}`,
    );
  // keep-local: the conflicts are read before the edits are written over them. Otherwise the
  // edits are written where the row did not change there, and the edited rows that still
  // differ afterwards are the conflicts: a row the app changed while the UPDATE waited for its
  // lock is re-checked by PostgreSQL against its new version, left out, and so found here.
  const conflicts = policy === 'keep-local' ? conflictsWhere(` AND ${changedThere}`) : undefined;
  const travel = update(`${edited}${policy === 'keep-local' ? '' : ` AND NOT ${changedThere}`}`);
  const after = conflicts ?? conflictsWhere('');
  const unedited = others(`NOT (${edited}) AND ${notReference}`);
  return async () => {
    const found = (await after).rows as Array<{ k: string; kv: Array<string | null>; local: Record<string, unknown>; remote: Record<string, unknown> }>;
    if (policy === 'fail' && found.length > 0) refuseConflicts(s, found.length, found[0]!.k);
    const localEdits = (await travel).rowCount ?? 0;
    const restResult = await unedited;
    const kept = policy === 'keep-local' ? 'local' : 'remote';
    const conflictList = found.map((c) => ({ table: s.plan.source.name, sourceKey: c.k, sourceKeyValues: c.kv, local: c.local, remote: c.remote, kept }) satisfies Conflict);
    return s.merge.differing === 'update'
      ? { updated: localEdits + (restResult.rowCount ?? 0), differing: 0, localEdits, conflicts: conflictList }
      : { updated: localEdits, differing: restResult.rows[0].n as number, localEdits, conflicts: conflictList };
  };
}
