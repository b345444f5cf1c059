import { quoteIdent, type LoadPlan, type MergeSettings } from '@hesap/core';
import { matchedChanges } from './local-edits';
import { dropStatements, foreignKeysOf } from '../postgres-keys';
import type { MergeExecutor } from './executor';
import { remember } from './identity-map';
import { markConflictsSql, tally, type Written } from './outcome';
import { quoteLiteral } from './sql';
import { inserting, sendSkips, targetEmpty, targetKey, withShortLockWait, type Stage } from './stage';

/** New rows in one table from which a merge sets its foreign keys aside for the insert. */
export const BULK_INSERT_ROWS = 50_000;

/**
 * Writes the rows once every row's fate is decided: the new ones inserted (their foreign
 * keys set aside for a bulk insert), and the matched ones updated where they differ (or
 * counted, when the push does not update); the identity map taught.
 */
export async function writeRows(exec: MergeExecutor, s: Stage, settings: MergeSettings, plan: Pick<LoadPlan, 'remoteSince' | 'onConflict'>, received: number): Promise<Written> {
  // Only a bulk insert needs the count before the rows go in (see setAsideForeignKeys): never
  // with fewer rows received than one takes.
  const before = mayBulkInsert(s) && received >= BULK_INSERT_ROWS ? await tally(exec, s) : undefined;
  const restore = before ? await setAsideForeignKeys(exec, s, before.planned) : [];
  // Into a table this push created, every row keeps its key (nothing was matched, no key
  // drawn), and nothing but its own rows can meet one: a conflict is between two of them,
  // named in the insert's alternative. Every row's fate is then known before any count.
  const settled = targetEmpty(s);
  // Without a count before it, the rows a conflict left out are named in the insert's
  // alternative, and the count after it sees them (the same count as naming them after it).
  const insert = insertRows(exec, s, settled || !before);
  // Checked once for all rows; the rows were checked against the parents above, so this only fails on a race.
  exec.send(...restore);
  const learn = (changedKeys: boolean, sameMax?: string | null) => {
    if (s.merge.identity === 'merge') remember(exec, settings, s, changedKeys, sameMax);
  };
  if (settled) learn(false);
  // The tally reads the stage alone, which the insert leaves as it is: counted after it, in its message.
  let counts = before ?? (await tally(exec, s));
  const inserted = await insert;
  if (before && counts.planned !== inserted) {
    sendSkips(exec, s, ...markConflictsSql(s));
    counts = await tally(exec, s);
  }
  if (!settled) learn(counts.new_ids + counts.moved > 0, counts.same_max);
  const none = async () => ({ updated: 0, differing: 0, localEdits: 0, conflicts: [] });
  return { counts, inserted, changes: counts.compared > 0 ? matchedChanges(exec, s, plan.remoteSince, plan.onConflict ?? 'keep-remote') : none };
}

/**
 * Every new row was checked against the target's keys above, so a plain INSERT (no sort, no
 * ON CONFLICT: 0.8 s instead of 1.6 s for the benchmark's 500 000 new orders) meets a
 * conflict only with a row written meanwhile by another session (none can, with the keys
 * set aside: the table is locked), or between two new rows. Then (23505) it is undone and
 * redone in source order, so that of two new rows that collide the first one goes in.
 * `markConflicts`: the rows left out then are named right after (see markConflictsSql).
 * Queued (sent with what follows it, once something is awaited): awaiting it gives how many rows went in.
 */
function insertRows(exec: MergeExecutor, s: Stage, markConflicts: boolean): PromiseLike<number> {
  const cycles = s.merge.foreignKeys.cycles;
  const values = s.columns.map((c) => {
    if (s.surrogate && c === s.pk[0]) return targetKey(s, 's')[0]!;
    // A foreign key closing a cycle is filled in at the end (see fillCycle).
    if (cycles.some((fk) => fk.columns.includes(c))) return 'NULL';
    return `s.${quoteIdent(c)}`;
  });
  const identityAlways = s.shape.columns.some((c) => c.generated) ? ' OVERRIDING SYSTEM VALUE' : '';
  const insert = (tail: string) =>
    `INSERT INTO ${s.target} (${s.columns.map(quoteIdent).join(', ')})${identityAlways}` + ` SELECT ${values.join(', ')} FROM ${s.stage} s WHERE ${inserting(s, 's')}${tail}`;
  const otherwise = [insert(` ORDER BY s.${s.q.row} ON CONFLICT DO NOTHING`), ...(markConflicts ? markConflictsSql(s) : [])];
  const done = exec.guard('hesap_insert', '23505', [insert('')], { otherwise });
  return { then: (fulfilled, rejected) => done.then((d) => d.results[0]!.rowCount ?? 0).then(fulfilled, rejected) };
}

/** A table that exists and has foreign keys: enough new rows set them aside (see setAsideForeignKeys). */
function mayBulkInsert(s: Stage): boolean {
  return !s.plan.create && s.plan.target.foreignKeys.length > 0;
}

/**
 * Many new rows: the table's own foreign keys are set aside for the INSERT and added back
 * right after it, so PostgreSQL checks them with one join instead of a trigger per row and
 * key (500 000 orders with two foreign keys: 3.4 s instead of 7.7 s on the benchmark machine).
 * Dropping a foreign key locks the table and its parent tables against reads until the
 * commit, so this is done only for a bulk insert (at least BULK_INSERT_ROWS rows and a
 * quarter of the table), and only when the locks come within a short wait; otherwise the
 * rows go in with the keys in place. Returns the statements that put the keys back.
 */
async function setAsideForeignKeys(exec: MergeExecutor, s: Stage, rows: number): Promise<string[]> {
  if (rows < BULK_INSERT_ROWS || !mayBulkInsert(s)) return [];
  const size = exec.ask(`SELECT greatest(c.reltuples, 0)::float8 AS n FROM pg_class c WHERE c.oid = ${quoteLiteral(s.target)}::regclass`);
  if (rows * 4 < Number((await size).rows[0]?.n ?? 0)) return [];
  const keys = await foreignKeysOf((sql, values) => exec.query(sql, values ?? []), s.places, [s.table]);
  if (keys.length === 0) return [];
  const { drop, restore } = dropStatements(keys);
  // Busy (someone holds a lock on the table or a parent): keep the keys; the rows go in checked one by one.
  return (await withShortLockWait(exec, 'hesap_set_aside', drop)).held ? restore : [];
}

