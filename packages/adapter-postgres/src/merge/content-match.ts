import { quoteIdent, type MergeSettings } from '@hesap/core';
import type { MergeExecutor } from './executor';
import { baselineKey, mappedTargetsSql } from './identity-map';
import { setAsideIdentical } from './set-aside';
import { analyzeSql, cols, quoteLiteral, rowDigest } from './sql';
import { open, type Stage } from './stage';

/**
 * Rows with no natural key and no memory: an unmatched source row whose content equals
 * an unclaimed target row is that row (pairs one to one, so duplicates stay duplicates).
 * `matched`: how many rows earlier steps matched (their target rows are claimed), read in the
 * message of the first checks here.
 */
export async function matchByContent(exec: MergeExecutor, s: Stage, settings: MergeSettings, matched: () => Promise<number>): Promise<void> {
  const valueCols = s.columns.filter((c) => !s.pk.includes(c));
  if (valueCols.length === 0) return;
  const pk = s.surrogate ? quoteIdent(s.pk[0]!) : undefined;
  const anyOpen = exec.ask(`SELECT EXISTS (SELECT 1 FROM ${s.stage} s WHERE ${open(s)}) AS any`);
  const maxKey = pk ? await baselineKey(exec, settings, s) : undefined;
  // The baseline claims every target row up to its key: when no target row lies above it,
  // there is nothing to pair (the common case of a push after a push). One index probe.
  const above = pk && maxKey !== undefined ? exec.ask(`SELECT EXISTS (SELECT 1 FROM ${s.target} t WHERE t.${pk} > ${quoteLiteral(maxKey)}) AS any`) : undefined;
  const anyMatched = (await matched()) > 0;
  if (!(await anyOpen).rows[0].any) return;
  if (above && !(await above).rows[0].any) return;
  // Target rows already taken: by a row of this push, or remembered for this source. Kept
  // in an indexed table of their own, so the anti-joins below are index lookups.
  let claimedRows = pk ? await claim(exec, s, settings, anyMatched) : 0;
  // A target row is unclaimed when no row of this push took it and the identity map does not
  // cover it. The baseline is one number, read above: written into the statement as a
  // constant of the key's type, the planner estimates the rows above it from the key's
  // statistics. (As a subquery it guessed half the table, and chose a hash join in many
  // batches that deletes from the stage in random order: 3.7 s instead of about 1.2 s for a
  // million rows.)
  const unclaimed = () =>
    (pk && claimedRows > 0 ? ` AND NOT EXISTS (SELECT 1 FROM ${s.claimed} c WHERE c.id = t.${pk})` : '') + (pk && maxKey !== undefined ? ` AND t.${pk} > ${quoteLiteral(maxKey)}` : '');
  // Most pushes have nothing to pair: every target row is already known.
  let unpaired = Number((await exec.ask(`SELECT count(*) AS n FROM ${s.target} t WHERE true${unclaimed()}`)).rows[0].n);
  if (unpaired === 0) return;
  if (pk) {
    // The usual case (a target restored from a backup, a moved local file): the same row
    // under the same id. One index join settles it before any general pairing.
    // Those rows leave the stage (see `kept`). Source keys are unique, so each pair took one
    // target row of those counted.
    const setAside = setAsideIdentical(exec, s, unclaimed(), true);
    const rest = exec.ask(`SELECT EXISTS (SELECT 1 FROM ${s.stage} s WHERE ${open(s)}) AS any`);
    const pairs = await setAside();
    unpaired -= pairs;
    if (unpaired <= 0) return;
    if (!(await rest).rows[0].any) return;
    if (pairs > 0) {
      // A statement of its own: inserting into the claimed table while the same statement
      // anti-joins it would scan its growing (invisible) rows once per row, quadratic in the pairs.
      exec.send(`INSERT INTO ${s.claimed} (id) SELECT k.k FROM ${s.kept} k ON CONFLICT DO NOTHING`, ...analyzeSql(s.claimed));
      claimedRows += pairs;
    }
  }
  exec.send(pairSql(s, valueCols, pk, unclaimed()));
}

/** The claimed table: target keys taken by rows matched so far, set aside, or in the identity map. Returns how many. */
async function claim(exec: MergeExecutor, s: Stage, settings: MergeSettings, anyMatched: boolean): Promise<number> {
  const made = exec.ask(
    `CREATE TEMP TABLE ${s.claimed} ON COMMIT DROP AS SELECT DISTINCT id FROM (` +
      (anyMatched ? `SELECT s.${s.q.tgt} AS id FROM ${s.stage} s WHERE s.${s.q.tgt} IS NOT NULL UNION ALL ` : '') +
      (s.keptStored > 0 ? `SELECT k.k AS id FROM ${s.kept} k UNION ALL ` : '') +
      `${mappedTargetsSql(settings, s)}) x`,
  );
  exec.send(`CREATE UNIQUE INDEX ON ${s.claimed} (id)`, ...analyzeSql(s.claimed));
  return (await made).rowCount ?? 0;
}

/** Pairs open rows with unclaimed target rows of the same content, the n-th copy with the n-th. */
function pairSql(s: Stage, valueCols: readonly string[], pk: string | undefined, unclaimed: string): string {
  const tRow = rowDigest(cols('t', valueCols));
  const sRow = rowDigest(cols('s', valueCols));
  const targetId = pk ? `t.${pk}` : 't.ctid';
  return (
    `WITH ss AS (SELECT s.${s.q.row} AS r, ${sRow} AS content, row_number() OVER (PARTITION BY ${sRow} ORDER BY s.${s.q.row}) AS n FROM ${s.stage} s WHERE ${open(s)}),` +
    ` tt AS (SELECT ${targetId} AS id, ${tRow} AS content, row_number() OVER (PARTITION BY ${tRow} ORDER BY ${targetId}) AS n FROM ${s.target} t WHERE true${unclaimed}),` +
    ` pairs AS (SELECT ss.r, tt.id FROM ss JOIN tt ON ss.content = tt.content AND ss.n = tt.n)` +
    ` UPDATE ${s.stage} s SET ${s.q.how} = 'same'${pk ? `, ${s.q.tgt} = pairs.id` : ''} FROM pairs WHERE s.${s.q.row} = pairs.r`
  );
}
