import { quoteIdent, type SequencePlan } from '@hesap/core';
import type { Places } from './postgres-places';
import { quoteLiteral } from './postgres-types';

/**
 * Sequences after a push: the next id the app's own INSERT takes is past every row, for
 * serial and identity columns alike, and a sequence never moves backwards.
 *
 * `setval`, not `ALTER SEQUENCE … RESTART`: setval needs only UPDATE on the sequence (an
 * app's least-privilege role has it; RESTART needs ownership), and it never blocks the app's
 * nextval (RESTART would, until the push commits). setval is not transactional, so the
 * statements are sent together as the last ones before COMMIT (see PostgresTarget.finish):
 * a push that fails before them leaves every sequence as it was, except for the ids the
 * merge drew with nextval, which are used up as any rolled-back INSERT's are.
 */

/**
 * One statement that moves the table's sequence past the largest key in the table and past
 * the source's own last value (when the plan counts it), and does nothing when the sequence
 * is already there. Values outside the sequence's bounds are not taken (SQLite's
 * `sqlite_sequence` holds 0 for a table that never had a row); a sequence that counts down
 * is left alone.
 */
export function setSequenceSql(places: Places, table: string, plan: SequencePlan): string {
  const name = places.quoted(table);
  const source = plan.sourceLastValue === undefined ? 'NULL::bigint' : `${quoteLiteral(plan.sourceLastValue.toString())}::bigint`;
  return (
    `SELECT setval(q.seq, LEAST(v.v, p.seqmax), true)` +
    ` FROM (SELECT pg_get_serial_sequence(${quoteLiteral(name)}, ${quoteLiteral(plan.column)})::regclass AS seq) q` +
    ` JOIN pg_sequence p ON p.seqrelid = q.seq` +
    ` CROSS JOIN LATERAL (SELECT GREATEST((SELECT max(${quoteIdent(plan.column)}) FROM ${name})::bigint,` +
    ` CASE WHEN ${source} BETWEEN p.seqmin AND p.seqmax THEN ${source} END) AS v) v` +
    // Only forwards: past its last value, or, never called yet (NULL), when its start is taken.
    ` WHERE p.seqincrement > 0 AND v.v >= p.seqmin AND NOT coalesce(pg_sequence_last_value(q.seq) >= v.v, p.seqstart > v.v)`
  );
}
