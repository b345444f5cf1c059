import { quoteIdent } from '@hesap/core';
import type { MergeExecutor } from './executor';
import { analyzeSql, sameValues } from './sql';
import { open, type Stage } from './stage';

/**
 * Open rows whose target row (the same key) holds identical values, and that meet
 * `condition`, leave the stage; their keys go into the `kept` table when `store` is set.
 * Queued: the function returned tells how many (sending the statement, with whatever was
 * queued after it, when it has not gone yet).
 */
export function setAsideIdentical(exec: MergeExecutor, s: Stage, condition: string, store: boolean): () => Promise<number> {
  const pk = quoteIdent(s.pk[0]!);
  const valueCols = s.columns.filter((c) => !s.pk.includes(c));
  if (store && s.keptStored === 0) {
    exec.send(`CREATE TEMP TABLE IF NOT EXISTS ${s.kept} ON COMMIT DROP AS SELECT s.${pk} AS k FROM ${s.stage} s WITH NO DATA`);
  }
  // Their count and bounds come back with them (for the range test and the identity baseline).
  const moved = exec.ask(
    `WITH same AS (DELETE FROM ${s.stage} s USING ${s.target} t` +
      ` WHERE ${open(s)} AND t.${pk} = s.${pk}${condition} AND ${sameValues(s.shape, 't', 's', valueCols)} RETURNING s.${pk} AS k)` +
      (store ? `, moved AS (INSERT INTO ${s.kept} (k) SELECT k FROM same)` : '') +
      ` SELECT count(*)::int AS n, min(k)::text AS lo, max(k)::text AS hi FROM same`,
  );
  return async () => settle(exec, s, (await moved).rows[0], store);
}

function settle(exec: MergeExecutor, s: Stage, row: { n: number; lo: string | null; hi: string | null }, store: boolean): number {
  const { n, lo, hi } = row;
  s.keptRows += n;
  if (store) s.keptStored += n;
  if (lo !== null && hi !== null) {
    const [min, max] = [BigInt(lo), BigInt(hi)];
    s.keptBounds = s.keptBounds ? { min: min < s.keptBounds.min ? min : s.keptBounds.min, max: max > s.keptBounds.max ? max : s.keptBounds.max } : { min, max };
  }
  if (store && n > 0 && s.merge.referenced) {
    // Children look their parents up here: indexed, with statistics for the planner.
    exec.send(`CREATE INDEX IF NOT EXISTS ${quoteIdent(`hesap_kept_${s.index}_k`)} ON ${s.kept} (k)`, ...analyzeSql(s.kept));
  }
  return n;
}
