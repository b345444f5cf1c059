import { quoteIdent, type MergeSettings } from '@hesap/core';
import { matchByContent } from './content-match';
import type { MergeExecutor } from './executor';
import { baselineKey, hasEntriesSql, matchEntriesSql, noEntrySql } from './identity-map';
import { setAsideIdentical } from './set-aside';
import { cols, equal, quoteLiteral } from './sql';
import { open, type Stage } from './stage';

/**
 * Matches each staged row to a target row, in the plan's order: by natural key (a user's
 * email), through the identity map, by primary key, and, for rows with no natural key and
 * no memory, by identical content. A matched row is marked with how (`__hesap_how`) and, for
 * a surrogate key, the target row's key.
 */
export async function matchRows(exec: MergeExecutor, s: Stage, settings: MergeSettings): Promise<void> {
  const match = s.merge.match;
  const tgt = s.surrogate ? `, ${s.q.tgt} = t.${quoteIdent(s.pk[0]!)}` : '';
  const natural = match.naturalKey
    ? exec.ask(`UPDATE ${s.stage} s SET ${s.q.how} = 'natural'${tgt} FROM ${s.target} t WHERE ${open(s)} AND ${equal(cols('s', match.naturalKey), cols('t', match.naturalKey))}`)
    : undefined;
  const remembered = match.remembered ? await matchRemembered(exec, s, settings) : async () => 0;
  if (match.byKey) exec.send(`UPDATE ${s.stage} s SET ${s.q.how} = 'key'${tgt} FROM ${s.target} t WHERE ${open(s)} AND ${equal(cols('s', s.pk), cols('t', s.pk))}`);
  // Rows matched so far (the target rows they took are claimed), counted once: content pairing
  // reads the count with its first checks, in one message.
  let counted: Promise<number> | undefined;
  const matched = () => (counted ??= (async () => ((await natural)?.rowCount ?? 0) + (await remembered()))());
  if (match.byContent) await matchByContent(exec, s, settings, matched);
  // The rows set aside are counted before any later step reads those counts (see setAsideIdentical).
  if (!counted) await remembered();
}

/** Matches rows through the identity map, once its entries and baseline are read; the function returned counts them (sending what is queued). */
async function matchRemembered(exec: MergeExecutor, s: Stage, settings: MergeSettings): Promise<() => Promise<number>> {
  const pk = quoteIdent(s.pk[0]!);
  // Explicit entries: source key -> a different target key. Most tables have none (a push
  // that kept every id leaves only the baseline): one index probe says so.
  const entries = exec.ask(hasEntriesSql(settings, s));
  const baseline = baselineKey(exec, settings, s);
  const mapped = (await entries).rows[0].any as boolean;
  s.mapEntries = mapped;
  const explicit = mapped ? exec.ask(matchEntriesSql(settings, s, open(s))) : undefined;
  // The baseline: up to max_key, a source key is the same target key (unless an entry says
  // otherwise). Rows identical to their target row (a push after a push) are set aside.
  // The key is one number, read once and written into the statements as a constant of the
  // key's type: the planner then estimates the rows below it from the statistics and reads
  // the stage by its key index. (As a subquery over the baseline table, the comparison ran
  // on every staged row as numeric, and the UPDATE below scanned the whole stage: 0.27 s
  // for the benchmark's 2 million bills, none of them left below the key.)
  const maxKey = await baseline;
  if (maxKey === undefined) return async () => (await explicit)?.rowCount ?? 0;
  const below = ` AND s.${pk} <= ${quoteLiteral(maxKey)}` + (mapped ? ` AND ${noEntrySql(settings, s)}` : '');
  // Below the baseline no row has an entry in the map, and content pairing (the only other
  // reader) looks above it: the keys are needed only when children look parents up.
  const identical = setAsideIdentical(exec, s, below, s.merge.referenced);
  const matched = exec.ask(`UPDATE ${s.stage} s SET ${s.q.how} = 'remembered', ${s.q.tgt} = t.${pk} FROM ${s.target} t WHERE ${open(s)} AND t.${pk} = s.${pk}${below}`);
  return async () => ((await explicit)?.rowCount ?? 0) + (await identical()) + ((await matched).rowCount ?? 0);
}
