import { HesapError, quoteIdent } from '@hesap/core';
import type { MergeExecutor } from './executor';
import { keyText, quoteLiteral } from './sql';
import { open, targetKey, type Stage } from './stage';

/**
 * Keys for new rows. Every row still open is new and keeps its key (no status is written
 * for it: on a big push that would rewrite half the staging table). In append, a matched
 * row is skipped instead (append never changes an existing row). In a merge, a surrogate
 * key that another target row already holds is replaced by one from the sequence.
 */
export async function assignNewKeys(exec: MergeExecutor, s: Stage): Promise<void> {
  if (s.plan.action === 'append') {
    exec.send(
      `UPDATE ${s.stage} s SET ${s.q.skip} = 'its primary key exists in the target (append never changes an existing row)',` +
        ` ${s.q.skipTarget} = ${s.pk.length > 0 ? keyText('s', s.pk) : "''"} WHERE s.${s.q.how} IS NOT NULL AND s.${s.q.skip} IS NULL`,
    );
  }
  if (!s.merge.newKeys) return;
  const pk = quoteIdent(s.pk[0]!);
  const taken = await exec.ask(
    `UPDATE ${s.stage} s SET ${s.q.how} = 'insert-remapped' WHERE ${open(s)} AND s.${pk} <= (SELECT max(${pk}) FROM ${s.target})` +
      ` AND EXISTS (SELECT 1 FROM ${s.target} t WHERE t.${pk} = s.${pk})`,
  );
  const remapped = taken.rowCount ?? 0;
  if (remapped === 0) return;
  const seq = await exec.ask(`SELECT pg_get_serial_sequence(${quoteLiteral(s.target)}, ${quoteLiteral(s.pk[0]!)}) AS seq`);
  const sequence = seq.rows[0]?.seq as string | null;
  if (!sequence) {
    throw new HesapError('UNSUPPORTED', `Table "${s.table}": ${remapped} new rows need new ids but "${s.pk[0]}" has no sequence.`, { table: s.table });
  }
  const regclass = `${quoteLiteral(sequence)}::regclass`;
  // New ids start past every key in the table, every kept key, and what the sequence handed out.
  exec.send(
    `SELECT setval(${regclass}, GREATEST((SELECT coalesce(max(${pk}), 0) FROM ${s.target}), (SELECT coalesce(max(${targetKey(s, 's')[0]}), 0) FROM ${s.stage} s WHERE s.${s.q.skip} IS NULL),` +
      ` coalesce(pg_sequence_last_value(${regclass}), 0), 1), true)`,
    `UPDATE ${s.stage} s SET ${s.q.tgt} = nextval(${regclass}) WHERE s.${s.q.how} = 'insert-remapped' AND s.${s.q.skip} IS NULL`,
  );
}
