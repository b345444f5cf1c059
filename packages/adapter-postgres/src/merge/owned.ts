import type { TableWriteResult } from '@hesap/core';
import type { MergeExecutor } from './executor';
import { matchedRows } from './outcome';
import { sourceKey, type Stage } from './stage';

/**
 * Which target rows a source owns (issue 23, `--deletes`): a row this source pushed that the
 * target inserted is its own; a row it pushed that matched a row the target already held
 * (by natural key, key, identity or content) is not, and is never deleted because it was
 * deleted here. The merge tells the source's record the second kind: the source keys of the
 * staged rows it matched, and of the rows it set aside as identical to the target's. A whole
 * number key comes as runs `[first, last]` (a push matching a million rows again is one
 * run); other keys are listed. Where the keys set aside were not kept (see setAsideIdentical),
 * their whole span is given: more rows than were matched, never fewer. Queued: sent when awaited.
 */
export function matchedKeys(exec: MergeExecutor, s: Stage): () => Promise<TableWriteResult['matchedKeys']> {
  const key = sourceKey(s, 's');
  const whole = s.pk.length === 1 && s.shape.columns.find((c) => c.name === s.pk[0])?.type === 'integer';
  const matched = `FROM ${s.stage} s WHERE ${matchedRows(s)}`;
  if (!whole) {
    const listed = exec.ask(`SELECT jsonb_build_array(${key.map((k) => `${k}::text`).join(', ')}) AS k ${matched}`);
    return async () => {
      const keys = (await listed).rows.map((r: { k: Array<string | null> }) => r.k);
      return keys.length > 0 ? { ranges: [], keys } : undefined;
    };
  }
  const keys = `SELECT ${key[0]}::numeric AS k ${matched}` + (s.keptStored > 0 ? ` UNION ALL SELECT k.k::numeric FROM ${s.kept} k` : '');
  const runs = exec.ask(
    `SELECT min(k)::text AS lo, max(k)::text AS hi FROM (SELECT k, k - row_number() OVER (ORDER BY k) AS g FROM (${keys}) x) y GROUP BY g ORDER BY min(k)`,
  );
  return async () => {
    const ranges = (await runs).rows.map((r: { lo: string; hi: string }) => [r.lo, r.hi] as [string, string]);
    // Rows set aside without their keys kept: their whole span counts as matched.
    if (s.keptRows > s.keptStored && s.keptBounds) ranges.push([String(s.keptBounds.min), String(s.keptBounds.max)]);
    return ranges.length > 0 ? { ranges, keys: [] } : undefined;
  };
}
