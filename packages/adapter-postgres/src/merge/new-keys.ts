import { HesapError, quoteIdent, quoteQualified } from '@hesap/core';
import type { MergeExecutor } from './executor';
import { keyText, quoteLiteral } from './sql';
import { open, PRESENT_IN_TARGET, sendSkips, type Stage } from './stage';

/**
 * Keys for new rows. Every row still open is new and keeps its key (no status is written
 * for it: on a big push that would rewrite half the staging table). In append, a matched
 * row is skipped instead (append never changes an existing row). In a merge, a surrogate
 * key that another target row already holds is replaced by one drawn from the sequence.
 * In a table that exists, the app's own inserts draw from that sequence while the push runs
 * (see `sequenceShared`): a key the push keeps that the sequence has not handed out yet is
 * reserved first, by moving the sequence past it, so the app's next ids lie beyond every
 * kept key and never meet a pushed row. setval and nextval never wait for another session.
 */
export async function assignNewKeys(exec: MergeExecutor, s: Stage, sequenceRead?: SequenceRead): Promise<void> {
  if (s.plan.action === 'append') {
    sendSkips(
      exec,
      s,
      `UPDATE ${s.stage} s SET ${s.q.skip} = ${quoteLiteral(PRESENT_IN_TARGET)},` +
        ` ${s.q.skipTarget} = ${s.pk.length > 0 ? keyText('s', s.pk) : "''"} WHERE s.${s.q.how} IS NOT NULL AND s.${s.q.skip} IS NULL`,
    );
  }
  // A table this push creates is empty until its rows go in: no key is taken there.
  if (!drawsKeys(s) || !sequenceRead) return;
  const pk = quoteIdent(s.pk[0]!);
  const taken = `EXISTS (SELECT 1 FROM ${s.target} t WHERE t.${pk} = s.${pk})`;
  const sequence = await sequenceRead();
  // Kept keys ahead of the sequence are reserved before anything is drawn: the keys drawn
  // below, and the app's, come after them. (The ids reserved are used up if the push fails,
  // as a rolled-back INSERT's are.)
  exec.send(
    `SELECT setval(${sequence.regclass}, GREATEST(m.k, coalesce(pg_sequence_last_value(${sequence.regclass}), m.k)), true)` +
      ` FROM (SELECT max(s.${pk})::bigint AS k FROM ${s.stage} s WHERE ${open(s)} AND s.${pk} > ${quoteLiteral(sequence.passed)}::bigint AND NOT ${taken}) m WHERE m.k IS NOT NULL`,
  );
  // A key another target row holds is drawn with nextval, in the source's key order.
  const ids = quoteQualified('pg_temp', `hesap_ids_${s.index}`);
  exec.send(
    `CREATE TEMP TABLE ${ids} ON COMMIT DROP AS SELECT o.r, o.k, nextval(${sequence.regclass}) AS id FROM` +
      ` (SELECT s.${s.q.row} AS r, s.${pk} AS k FROM ${s.stage} s WHERE ${open(s)} AND ${taken} ORDER BY s.${pk}) o`,
  );
  // Nothing waits for how many were drawn: with none (the usual case) the EXISTS, tested once
  // before the join, stops the statement there.
  exec.send(`UPDATE ${s.stage} s SET ${s.q.how} = 'insert-remapped', ${s.q.tgt} = i.id FROM ${ids} i WHERE s.${s.q.row} = i.r AND EXISTS (SELECT 1 FROM ${ids})`);
}

/** New rows may need keys from the table's sequence (see assignNewKeys): its state is read first (see readSequence). */
export function drawsKeys(s: Stage): boolean {
  return s.merge.newKeys && s.merge.sequenceShared;
}

/** What readSequence read, once the answer is in. */
export type SequenceRead = () => Promise<{ regclass: string; passed: string }>;

/**
 * The key's sequence, and the highest key it has handed out (`passed`). A sequence behind the
 * rows already in the table (rows written with explicit keys) would hand out taken keys: it
 * is moved up to them first, the one setval made before the end of the push (the app's own
 * next INSERT would have met those rows anyway). Asked with the merge's first message (no step
 * before assignNewKeys writes the target or draws from the sequence, and the statements after
 * it look at the sequence as it is then); the answer is read when the function returned is called.
 */
export function readSequence(exec: MergeExecutor, s: Stage): SequenceRead {
  const pk = quoteIdent(s.pk[0]!);
  const r = exec.ask(
    `SELECT q.seq, coalesce(pg_sequence_last_value(q.seq::regclass), p.seqstart - 1)::text AS passed, (SELECT max(${pk}) FROM ${s.target})::text AS max` +
      ` FROM (SELECT pg_get_serial_sequence(${quoteLiteral(s.target)}, ${quoteLiteral(s.pk[0]!)}) AS seq) q LEFT JOIN pg_sequence p ON p.seqrelid = q.seq::regclass`,
  );
  return async () => {
    const { seq, passed, max } = (await r).rows[0] as { seq: string | null; passed: string | null; max: string | null };
    if (!seq || passed === null) {
      throw new HesapError('UNSUPPORTED', `Table "${s.table}": new rows need new ids but "${s.pk[0]}" has no sequence.`, { table: s.table });
    }
    const regclass = `${quoteLiteral(seq)}::regclass`;
    if (max === null || BigInt(max) <= BigInt(passed)) return { regclass, passed };
    exec.send(`SELECT setval(${regclass}, GREATEST(${quoteLiteral(max)}::bigint, coalesce(pg_sequence_last_value(${regclass}), ${quoteLiteral(max)}::bigint)), true)`);
    return { regclass, passed: max };
  };
}
