import type { TableWriteResult } from '@hesap/core';
import type { MergeExecutor } from './executor';
import { matchedRows, type Tally } from './outcome';
import { inserting, PRESENT_IN_TARGET, sourceKey, type Stage } from './stage';
import { quoteLiteral } from './sql';

/**
 * Which target rows a source owns (issue 23, `--deletes`): a row this source pushed that the
 * target inserted is its own; a row it pushed that matched a row the target already held
 * (by natural key, key, identity or content) is not, and is never deleted because it was
 * deleted here. The merge tells the source's record which is which, listing the smaller
 * side: the rows it matched (`theirs`: the rest are this source's), or the rows it inserted
 * (`ours`: the rest are the target's). A whole-number key comes as runs `[first, last]`;
 * other keys are listed. Past LISTED rows on both sides nothing is listed (`ours`, empty):
 * every row of the push counts as the target's, and is never deleted. Rows set aside as
 * identical whose keys were not kept (see setAsideIdentical) count by their whole span.
 * Queued: sent when awaited.
 */

/** The most rows listed (about 0.1 s of PostgreSQL's time for runs of whole-number keys). */
export const LISTED = 100_000;

export function matchedKeys(exec: MergeExecutor, s: Stage, counts: Tally, inserted: number): () => Promise<TableWriteResult['matchedKeys']> {
  // Rows an append left out because their key is there are the target's too (counted among the skipped).
  const present = counts.skipped > 0 ? ` OR s.${s.q.skip} = ${quoteLiteral(PRESENT_IN_TARGET)}` : '';
  const matched = counts.matched + s.keptRows + (present ? counts.skipped : 0);
  if (matched === 0) return async () => undefined;
  const side: 'theirs' | 'ours' = matched <= LISTED ? 'theirs' : 'ours';
  if (side === 'ours' && inserted > LISTED) return async () => ({ side, ranges: [], keys: [] });
  const key = sourceKey(s, 's');
  const where = side === 'theirs' ? `(${matchedRows(s)}${present})` : inserting(s, 's');
  const whole = s.pk.length === 1 && s.shape.columns.find((c) => c.name === s.pk[0])?.type === 'integer';
  if (!whole) {
    const listed = exec.ask(`SELECT jsonb_build_array(${key.map((k) => `${k}::text`).join(', ')}) AS k FROM ${s.stage} s WHERE ${where}`);
    return async () => ({ side, ranges: [], keys: (await listed).rows.map((r: { k: Array<string | null> }) => r.k) });
  }
  const keys = `SELECT ${key[0]} AS k FROM ${s.stage} s WHERE ${where}` + (side === 'theirs' && s.keptStored > 0 ? ` UNION ALL SELECT k.k FROM ${s.kept} k` : '');
  const runs = exec.ask(`SELECT min(k)::text AS lo, max(k)::text AS hi FROM (SELECT k, k - row_number() OVER (ORDER BY k) AS g FROM (${keys}) x) y GROUP BY g`);
  return async () => {
    const ranges = (await runs).rows.map((r: { lo: string; hi: string }) => [r.lo, r.hi] as [string, string]);
    // Rows set aside without their keys kept: their whole span counts as matched.
    if (side === 'theirs' && s.keptRows > s.keptStored && s.keptBounds) ranges.push([String(s.keptBounds.min), String(s.keptBounds.max)]);
    return { side, ranges, keys: [] };
  };
}
