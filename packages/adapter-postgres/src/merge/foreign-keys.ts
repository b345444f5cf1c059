import { HesapError, quoteIdent, type FollowedForeignKey, type ForeignKey } from '@hesap/core';
import type { MergeExecutor } from './executor';
import { matchedRows } from './outcome';
import { allNotNull, cols, equal, keyText, quoteLiteral, sameColumns, sameValues, tuple } from './sql';
import { absent, inserting, open, sendSkips, sourceKey, targetKey, type Stage } from './stage';

/**
 * Foreign keys, followed before the rows are matched: in a merge a child's value becomes its
 * parent's target key (the parents' stages are the maps). A row whose parent was left out is
 * left out with it. A row whose parent exists nowhere is kept as it is in a table the push
 * creates (the target makes the key NOT VALID), and in a table that exists is marked, to be
 * left out once it is known to be written (see leaveOutOrphans): an identical row already
 * there is no new row. `parents`: the stages of the parents this table follows.
 */
export function followForeignKeys(exec: MergeExecutor, s: Stage, parents: ReadonlyMap<string, Stage>): void {
  for (const followed of s.merge.foreignKeys.followed) {
    const parent = parents.get(followed.foreignKey.references.table);
    if (followed.throughParent && parent) followThroughParent(exec, s, followed.foreignKey, parent);
    else checkValues(exec, s, followed, followed.parentStaged ? parent : undefined);
  }
}

function constraintName(s: Stage, fk: ForeignKey): string {
  return fk.name ?? `${s.table}(${fk.columns.join(', ')})`;
}

function skipSet(s: Stage, fk: ForeignKey, reason: string): string {
  return `${s.q.skip} = ${reason}, ${s.q.skipConstraint} = ${quoteLiteral(constraintName(s, fk))}, ${s.q.skipTarget} = ${keyText('s', fk.columns)}`;
}

/** Marks the row as pointing nowhere through `fk` (the first such key is the one named). */
function pendingSet(s: Stage, fk: ForeignKey, reason: string): string {
  return `${s.q.pending} = ${reason}, ${s.q.skipConstraint} = ${quoteLiteral(constraintName(s, fk))}, ${s.q.skipTarget} = ${keyText('s', fk.columns)}`;
}

/** What a row left out because of its parent row (alias `p` of `parent`'s stage) is: an orphan's descendant, or a row under another skipped one. */
const underParent = (parent: Stage, p: string) => `CASE WHEN ${p}.${parent.q.orphan} IS NOT NULL THEN 'parent-left-out' END`;

/** The parent's rows are staged and the key is their primary key: look them up by source key, take their target key. */
function followThroughParent(exec: MergeExecutor, s: Stage, fk: ForeignKey, parent: Stage): void {
  const child = cols('s', fk.columns);
  const pSource = sourceKey(parent, 'p');
  const table = quoteLiteral(fk.references.table);
  if (parent.skippedRows > 0) {
    sendSkips(
      exec,
      s,
      `UPDATE ${s.stage} s SET ${skipSet(s, fk, `'its parent row in "' || ${table} || '" was skipped'`)}, ${s.q.orphan} = ${underParent(parent, 'p')}` +
        ` FROM ${parent.stage} p WHERE s.${s.q.skip} IS NULL AND ${equal(pSource, child)} AND p.${parent.q.skip} IS NOT NULL`,
    );
  }
  if (s.merge.foreignKeys.orphans === 'leave-out') {
    exec.send(
      `UPDATE ${s.stage} s SET ${pendingSet(s, fk, `'its parent row in "' || ${table} || '" does not exist in the source'`)}` +
        ` WHERE s.${s.q.skip} IS NULL AND s.${s.q.pending} IS NULL AND ${allNotNull(child)} AND ${absent(parent, child)}`,
    );
  }
  if (parent.remapped > 0 || !parent.surrogate) {
    const pTarget = targetKey(parent, 'p');
    exec.send(
      `UPDATE ${s.stage} s SET ${fk.columns.map((c, i) => `${quoteIdent(c)} = ${pTarget[i]}`).join(', ')} FROM ${parent.stage} p` +
        ` WHERE ${equal(pSource, child)} AND s.${s.q.skip} IS NULL AND ${tuple(pSource)} IS DISTINCT FROM ${tuple(pTarget)}`,
    );
  }
}

/**
 * The parent is not part of this push (or the key is not its primary key): the values must
 * exist in the target as they are, or among the parent's pushed rows (`parent`, when staged).
 * A table the push creates takes its rows as they are: the target checks the key at the end.
 */
function checkValues(exec: MergeExecutor, s: Stage, followed: FollowedForeignKey, parent: Stage | undefined): void {
  if (s.merge.foreignKeys.orphans === 'keep') return;
  const fk = followed.foreignKey;
  const child = cols('s', fk.columns);
  const parentTable = s.places.quoted(fk.references.table);
  // A parent loaded by this push holds exactly the source's rows: a value missing there is missing in the source.
  const where = followed.parentLoaded ? 'the source' : 'the target';
  exec.send(
    `UPDATE ${s.stage} s SET ${pendingSet(s, fk, `'its parent row in "' || ${quoteLiteral(fk.references.table)} || '" does not exist in ${where}'`)}` +
      ` WHERE s.${s.q.skip} IS NULL AND s.${s.q.pending} IS NULL AND ${allNotNull(child)}` +
      ` AND NOT EXISTS (SELECT 1 FROM ${parentTable} p WHERE ${equal(cols('p', fk.references.columns), child)})` +
      (parent ? ` AND NOT EXISTS (SELECT 1 FROM ${parent.stage} p WHERE ${equal(cols('p', fk.references.columns), child)} AND p.${parent.q.skip} IS NULL)` : ''),
  );
}

/**
 * Rows marked as pointing nowhere that the merge would write are left out: new rows, and
 * matched rows an update would give those values (the key checks updated values too). A
 * matched row that keeps its values in those columns is no new row: a key made NOT VALID by
 * an earlier push lets it be.
 */
export function leaveOutOrphans(exec: MergeExecutor, s: Stage): void {
  const followed = s.merge.foreignKeys.followed;
  if (s.merge.foreignKeys.orphans !== 'leave-out' || followed.length === 0) return;
  const leaveOut = `${s.q.skip} = s.${s.q.pending}, ${s.q.orphan} = 'parent-missing'`;
  sendSkips(exec, s, `UPDATE ${s.stage} s SET ${leaveOut} WHERE s.${s.q.pending} IS NOT NULL AND ${open(s)}`);
  if (s.merge.differing !== 'update') return;
  const fkColumns = [...new Set(followed.flatMap((f) => f.foreignKey.columns))];
  sendSkips(
    exec,
    s,
    `UPDATE ${s.stage} s SET ${leaveOut} FROM ${s.target} t WHERE s.${s.q.pending} IS NOT NULL AND ${matchedRows(s)}` +
      ` AND ${equal(cols('t', s.pk), targetKey(s, 's'))} AND NOT (${sameValues(s.shape, 't', 's', fkColumns)})`,
  );
}

/**
 * Self-references follow the rows of this very table, once every row's key is known. A row
 * whose parent row was left out goes with it; one whose parent exists nowhere is left out
 * of a table that exists (and kept in one the push creates: see followForeignKeys).
 */
export async function followSelfReferences(exec: MergeExecutor, s: Stage): Promise<void> {
  const keep = s.merge.foreignKeys.orphans === 'keep';
  for (const fk of s.merge.foreignKeys.selfReferences) {
    const child = cols('s', fk.columns);
    const inStage = (extra = '') => `EXISTS (SELECT 1 FROM ${s.stage} p WHERE ${equal(sourceKey(s, 'p'), child)}${extra})`;
    // A skipped row takes its descendants with it; repeat until nothing changes. Where rows
    // whose parent exists nowhere are kept, only a row under a skipped one is left out: with
    // no statement queued that may skip a row, every parent in the stage is still in, and
    // the first round would change nothing (no need to wait for it to say so).
    const rounds = keep && !s.skipsQueued ? 0 : 64;
    if (rounds > 0) s.skipsQueued = true;
    for (let round = 0; round < rounds; round++) {
      const r = await exec.ask(
        `UPDATE ${s.stage} s SET ${s.q.skip} = CASE WHEN ${inStage()} THEN 'its parent row in the same table was skipped' ELSE 'its parent row in the same table does not exist' END,` +
          ` ${s.q.orphan} = CASE WHEN NOT ${inStage()} THEN 'parent-missing' WHEN ${inStage(` AND p.${s.q.orphan} IS NOT NULL`)} THEN 'parent-left-out' END,` +
          ` ${s.q.skipConstraint} = ${quoteLiteral(constraintName(s, fk))}, ${s.q.skipTarget} = ${keyText('s', fk.columns)}` +
          ` WHERE ${inserting(s, 's')} AND ${allNotNull(child)} AND ${absent(s, child)}${keep ? ` AND ${inStage()}` : ''}`,
      );
      if ((r.rowCount ?? 0) === 0) break;
    }
    if (s.plan.action !== 'merge') continue;
    const pSource = sourceKey(s, 'p');
    const pTarget = targetKey(s, 'p');
    exec.send(
      `UPDATE ${s.stage} s SET ${fk.columns.map((c, i) => `${quoteIdent(c)} = ${pTarget[i]}`).join(', ')} FROM ${s.stage} p` +
        ` WHERE ${equal(pSource, child)} AND ${tuple(pSource)} IS DISTINCT FROM ${tuple(pTarget)}`,
    );
  }
}

/**
 * A foreign key to a table merged later (a cycle): the new rows went in with NULL there;
 * now that the parent's keys are known, fill them in. A missing parent fails the push.
 */
export async function fillCycle(exec: MergeExecutor, s: Stage, fk: ForeignKey, parent: Stage | undefined): Promise<void> {
  if (!parent || !sameColumns(fk.references.columns, parent.pk) || s.pk.length === 0) {
    throw new HesapError('UNSUPPORTED', `Table "${s.table}": the foreign key to "${fk.references.table}" closes a cycle that merge cannot fill in.`, {
      table: s.table,
      hints: ['Push the tables of the cycle with --mode replace, or break the cycle with a nullable column.'],
    });
  }
  const child = cols('s', fk.columns);
  const inserted = inserting(s, 's');
  const orphan = await exec.ask(
    `SELECT ${sourceKey(s, 's')
      .map((k) => `${k}::text`)
      .join(` || ', ' || `)} AS k FROM ${s.stage} s WHERE ${inserted} AND ${allNotNull(child)}` + ` AND ${absent(parent, child)} LIMIT 1`,
  );
  if (orphan.rows.length > 0) {
    throw new HesapError('CONSTRAINT_VIOLATION', `Table "${s.table}", row ${orphan.rows[0].k}: its parent in "${fk.references.table}" is missing or was skipped.`, {
      table: s.table,
      constraint: fk.name,
    });
  }
  const pTarget = targetKey(parent, 'p');
  const sameRow = equal(cols('t', s.pk), targetKey(s, 's'));
  exec.send(
    `UPDATE ${s.target} t SET ${fk.columns.map((c, i) => `${quoteIdent(c)} = ${pTarget[i]}`).join(', ')} FROM ${s.stage} s JOIN ${parent.stage} p ON ${equal(sourceKey(parent, 'p'), child)}` +
      ` WHERE ${sameRow} AND ${inserted}`,
  );
  // Parents set aside as identical to the target keep their key: the value goes in as it is.
  if (parent.keptRows > 0) {
    exec.send(
      `UPDATE ${s.target} t SET ${fk.columns.map((c) => `${quoteIdent(c)} = s.${quoteIdent(c)}`).join(', ')} FROM ${s.stage} s` +
        ` WHERE ${sameRow} AND ${inserted} AND ${allNotNull(child)}` +
        ` AND NOT EXISTS (SELECT 1 FROM ${parent.stage} p WHERE ${equal(sourceKey(parent, 'p'), child)})`,
    );
  }
  await exec.flush();
}
