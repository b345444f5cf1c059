import { quoteIdent, type SkippedRow, type TableWriteResult } from '@hesap/core';
import type { MergeExecutor } from './executor';
import { cols, equal, keyText, quoteLiteral } from './sql';
import { inserting, open, PRESENT_IN_TARGET, sendSkips, sourceKey, targetKey, type Stage } from './stage';
import { DELETED_THERE, type MatchedChanges } from './local-edits';

/** Every row's fate, counted in one pass over the stage once it is decided. */
export interface Tally {
  /** Rows to insert. */
  planned: number;
  /** Rows matched to a target row (still in the stage). */
  matched: number;
  /** Of those, rows whose other columns are compared with the target's (not paired by content). */
  compared: number;
  skipped: number;
  /** New rows under a key from the sequence. */
  new_ids: number;
  /** Rows matched under another key, or whose key moved with its parent. */
  moved: number;
  /** Rows with a (single) source key, and the lowest and highest of those keys. */
  keyed: number;
  key_min: string | null;
  key_max: string | null;
  /** The highest key that stays the same (for the identity baseline). */
  same_max: string | null;
}

/** Matched rows still in the stage; `compared` leaves out rows paired by identical content (equal by construction). */
export function matchedRows(s: Stage, compared = false): string {
  return `s.${s.q.how} IN ('natural', 'remembered', 'key'${compared ? '' : `, 'same'`}) AND s.${s.q.skip} IS NULL`;
}

export async function tally(exec: MergeExecutor, s: Stage): Promise<Tally> {
  const pk = s.pk.length === 1 ? quoteIdent(s.pk[0]!) : undefined;
  const moved = s.surrogate
    ? `count(*) FILTER (WHERE ${matchedRows(s)} AND s.${s.q.tgt} <> s.${pk})::int AS moved`
    : s.keptKeys.length > 0
      ? // A key that is a foreign key moved with its parent.
        `count(*) FILTER (WHERE s.${s.q.skip} IS NULL AND (${s.keptKeys.map((c, i) => `s.${quoteIdent(s.h.key(i))} IS DISTINCT FROM s.${quoteIdent(c)}`).join(' OR ')}))::int AS moved`
      : '0 AS moved';
  const source = sourceKey(s, 's')[0];
  const r = await exec.ask(
    `SELECT count(*) FILTER (WHERE ${inserting(s, 's')})::int AS planned, count(*) FILTER (WHERE ${matchedRows(s)})::int AS matched,` +
      ` count(*) FILTER (WHERE ${matchedRows(s, true)})::int AS compared, count(*) FILTER (WHERE s.${s.q.skip} IS NOT NULL)::int AS skipped,` +
      ` count(*) FILTER (WHERE ${inserting(s, 's')} AND s.${s.q.how} = 'insert-remapped')::int AS new_ids, ${moved}` +
      `, ${pk ? `count(${source})` : '0'}::int AS keyed` +
      // The bounds of the source keys (for keyRange), and the highest key that stays the same (for the identity baseline).
      (pk ? `, min(${source})::text AS key_min, max(${source})::text AS key_max` : ', NULL AS key_min, NULL AS key_max') +
      (s.surrogate ? `, max(s.${pk}) FILTER (WHERE ${targetKey(s, 's')[0]} = s.${pk} AND s.${s.q.skip} IS NULL)::text AS same_max` : ', NULL AS same_max') +
      ` FROM ${s.stage} s`,
  );
  return r.rows[0] as Tally;
}

/** Rows to insert that would collide with a target row on a unique constraint other than the key rows are matched by. */
export function skipCollisions(exec: MergeExecutor, s: Stage): void {
  for (const key of s.merge.collisionKeys) {
    const pkText = s.pk.length > 0 ? keyText('t', s.pk) : keyText('t', key.columns);
    sendSkips(
      exec,
      s,
      `UPDATE ${s.stage} s SET ${s.q.skip} = 'it collides with a row of the target on unique ' || ${quoteLiteral(key.columns.join(', '))},` +
        ` ${s.q.skipConstraint} = ${quoteLiteral(key.name)}, ${s.q.skipTarget} = ${pkText}` +
        ` FROM ${s.target} t WHERE ${open(s)} AND ${equal(cols('s', key.columns), cols('t', key.columns))}`,
    );
  }
}

/** After ON CONFLICT DO NOTHING left some rows out: name them (rows to insert whose key is not in the target). */
export function markConflictsSql(s: Stage): string[] {
  if (s.pk.length === 0) return [];
  return [
    `UPDATE ${s.stage} s SET ${s.q.skip} = 'it conflicts with a row that exists in the target'` +
      ` WHERE ${inserting(s, 's')} AND NOT EXISTS (SELECT 1 FROM ${s.target} t WHERE ${equal(cols('t', s.pk), targetKey(s, 's'))})`,
  ];
}

/** The skipped rows, in source order, with the reason and both keys. Queued: sent when awaited. */
function skippedRows(exec: MergeExecutor, s: Stage): () => Promise<SkippedRow[]> {
  const keyCols = s.pk.length > 0 ? s.pk : s.columns.slice(0, 3);
  const source = sourceKey(s, 's');
  const r = exec.ask(
    `SELECT ${source.length > 0 ? source.map((k, i) => `${k}::text AS k${i}`).join(', ') + ',' : ''}` +
      ` ${keyCols.map((c, i) => `s.${quoteIdent(c)}::text AS c${i}`).join(', ')}, s.${s.q.skip} AS reason,` +
      ` s.${s.q.skipConstraint} AS constraint_name, s.${s.q.skipTarget} AS target, s.${s.q.orphan} AS orphan FROM ${s.stage} s` +
      // Rows left out as deleted there are conflicts, reported as such: not rows to try again as new.
      ` WHERE s.${s.q.skip} IS NOT NULL AND s.${s.q.skip} <> ${quoteLiteral(DELETED_THERE)} ORDER BY s.${s.q.row}`,
  );
  return async () =>
    (await r).rows.map((row: Record<string, string | null>) => ({
      table: s.plan.source.name,
      reason: row.reason as string,
      constraint: row.constraint_name ?? undefined,
      sourceKey: s.pk.length > 0 ? s.pk.map((c, i) => `${c}=${row[`k${i}`] ?? 'NULL'}`).join(', ') : keyCols.map((c, i) => `${c}=${row[`c${i}`] ?? 'NULL'}`).join(', '),
      ...(s.pk.length > 0 ? { sourceKeyValues: s.pk.map((_c, i) => row[`k${i}`] ?? null) } : {}),
      targetKey: row.target ?? undefined,
      ...(row.orphan ? { orphan: row.orphan as SkippedRow['orphan'] } : {}),
      ...(row.reason === PRESENT_IN_TARGET ? { present: true as const } : {}),
    }));
}

/** What the rows' write left to report: counts, and the matched rows updated or found different. */
export interface Written {
  counts: Tally;
  inserted: number;
  changes: () => Promise<MatchedChanges>;
}

/**
 * The table's result: skipped rows named, and what children need to know of this stage
 * (keys remapped, the range of its keys) recorded on it.
 */
export async function report(exec: MergeExecutor, s: Stage, written: Written, received: number): Promise<TableWriteResult> {
  const { counts } = written;
  const skipped = counts.skipped > 0 ? skippedRows(exec, s) : async () => [];
  s.remapped = counts.new_ids + counts.moved;
  s.skippedRows = counts.skipped;
  const { updated, differing, localEdits, conflicts } = await written.changes();
  const result: TableWriteResult = {
    table: s.plan.source.name,
    received,
    inserted: written.inserted,
    updated,
    unchanged: counts.matched + s.keptRows - updated,
    remapped: s.remapped,
    skipped: await skipped(),
  };
  if (differing > 0) result.differing = differing;
  if (localEdits > 0) result.localEdits = localEdits;
  if (conflicts.length > 0) result.conflicts = conflicts;
  // Only children use the range (see absent()).
  if (counts.skipped === 0 && s.merge.keyRange) s.keyRange = wholeKeyRange(s, counts, (await s.keyIndex)?.held ?? false);
  await exec.flush();
  return result;
}

const WHOLE = /^-?\d+$/;
const INT8_MIN = -(2n ** 63n);
const INT8_MAX = 2n ** 63n - 1n;

/**
 * For a single whole-number key, when no row was skipped: the lowest and highest source
 * key of the pushed rows (stage and set aside), if the rows hold every key between them.
 * Then a child's parent is absent exactly when its value lies outside that range, a test
 * on the child's rows alone: the benchmark's 2 million bills against a million orders took
 * about 1.5 s as an anti-join. Keys are distinct (unique index; set-aside rows left the
 * stage), so `keyed` distinct keys from min to max fill it when max - min + 1 = keyed.
 * The bounds come from the tally (stage) and from setting rows aside: no scan of its own.
 */
function wholeKeyRange(s: Stage, counts: Tally, uniqueKeys: boolean): { min: string; max: string } | undefined {
  const { keyed, key_min: stageMin, key_max: stageMax } = counts;
  if (!uniqueKeys) return undefined;
  const count = BigInt(keyed) + BigInt(s.keptRows);
  if (count === 0n) return undefined;
  const staged = stageMin !== null && stageMax !== null && WHOLE.test(stageMin) && WHOLE.test(stageMax) ? [BigInt(stageMin), BigInt(stageMax)] : [];
  if (keyed > 0 && staged.length === 0) return undefined;
  const bounds = s.keptBounds ? [...staged, s.keptBounds.min, s.keptBounds.max] : staged;
  if (bounds.length === 0) return undefined;
  const min = bounds.reduce((a, b) => (b < a ? b : a));
  const max = bounds.reduce((a, b) => (b > a ? b : a));
  if (min < INT8_MIN || max > INT8_MAX || max - min + 1n !== count) return undefined;
  return { min: String(min), max: String(max) };
}
