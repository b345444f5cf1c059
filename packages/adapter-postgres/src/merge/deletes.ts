import { HesapError, quoteIdent, quoteQualified, type Conflict, type ConflictPolicy, type DeletePlan, type DeleteResult } from '@hesap/core';
import type { Places } from '../postgres-places';
import { HESAP_SCHEMA } from './identity-map';
import { changedSinceOf } from './local-edits';
import { quoteLiteral } from './sql';

/**
 * `--deletes` (issue 23): rows this source pushed, that the target inserted for it, and that
 * were deleted here since, are deleted there, children before parents, each only when:
 * - the target still holds it (a row deleted there too is nothing to do);
 * - it did not change there since the push that last sent it (its version, as in
 *   changedSinceOf): otherwise a conflict, kept as the target has it unless keep-local;
 * - no row of the target points at it: otherwise a conflict whatever the policy, kept (a
 *   cascade would delete rows this source never pushed, a restriction would fail the push).
 * The rows are locked first, so an app adding a child at that moment waits for the push and
 * then finds its parent gone, rather than the push deleting a parent the app just used.
 * One message per table.
 */

/** A foreign key of the target pointing at a table rows are deleted from. */
export interface Referencing {
  /** The referenced table's index in the delete plans. */
  parent: number;
  schema: string;
  table: string;
  columns: string[];
  references: string[];
}

const MAP = quoteQualified(HESAP_SCHEMA, 'identity_map');
const BASELINE = quoteQualified(HESAP_SCHEMA, 'identity_baseline');
const GONE = quoteQualified('pg_temp', 'hesap_gone');

/** SQL: the foreign keys of the target that point at the `tables` (quoted), with the index of the table each points at. */
export function referencingSql(tables: readonly string[]): string {
  const names = (rel: string, keys: string) =>
    `(SELECT array_agg(a.attname::text ORDER BY k.i) FROM unnest(${keys}) WITH ORDINALITY k(n, i) JOIN pg_attribute a ON a.attrelid = ${rel} AND a.attnum = k.n)`;
  return (
    `SELECT array_position(ARRAY[${tables.map((t) => `${quoteLiteral(t)}::regclass`).join(', ')}], con.confrelid::regclass) - 1 AS parent,` +
    ` n.nspname AS schema, cl.relname AS table, ${names('con.conrelid', 'con.conkey')} AS columns, ${names('con.confrelid', 'con.confkey')} AS references` +
    ` FROM pg_constraint con JOIN pg_class cl ON cl.oid = con.conrelid JOIN pg_namespace n ON n.oid = cl.relnamespace` +
    ` WHERE con.contype = 'f' AND con.confrelid IN (${tables.map((t) => `${quoteLiteral(t)}::regclass`).join(', ')})`
  );
}

/** The message that deletes one table's rows: its answers are read by `deleteOutcome`. */
export function deleteSql(d: DeletePlan, places: Places, sourceId: string, remoteSince: string | undefined, policy: ConflictPolicy, referencing: readonly Referencing[], last: boolean): string {
  const target = places.quoted(d.target.name);
  const pk = d.target.primaryKey!.columns;
  const source = quoteLiteral(sourceId);
  // Each key column's target value: through the identity map of the table it identifies (an
  // explicit entry, or the baseline under which a key stayed the same), else as it is.
  const mapped = pk.map((c, i) => {
    const v = `(e.k->>${i})`;
    const by = d.mappedBy[i];
    if (by === undefined) return `${quoteLiteral(c)}, ${v}`;
    const table = quoteLiteral(by);
    return (
      `${quoteLiteral(c)}, coalesce((SELECT m.target_key FROM ${MAP} m WHERE m.source_id = ${source} AND m.table_name = ${table} AND m.source_key = ${v}),` +
      ` CASE WHEN ${v} ~ '^-?[0-9]+$' AND ${v}::numeric <= (SELECT b.max_key FROM ${BASELINE} b WHERE b.source_id = ${source} AND b.table_name = ${table}) THEN ${v} END)`
    );
  });
  const rows = d.keys.flatMap((g) => g.keys.map((k) => ({ since: g.since ?? null, k })));
  const literal = quoteLiteral(JSON.stringify(rows.map((r, n) => ({ n, since: r.since, k: r.k }))));
  const keyCols = pk.map((_c, i) => quoteIdent(`k${i}`));
  const on = pk.map((c, i) => `t.${quoteIdent(c)} = g.${keyCols[i]}`).join(' AND ');
  // A row no snapshot judges (none was recorded) counts as changed there.
  const since = remoteSince === undefined ? 'g.since' : `coalesce(g.since, ${quoteLiteral(remoteSince)})`;
  const changed = `(${since} IS NULL OR ${changedSinceOf(`${since}::pg_snapshot`)})`;
  const pointers = referencing.map((r) => {
    const child = quoteQualified(r.schema, r.table);
    const holds = r.columns.map((c, i) => `c.${quoteIdent(c)} = t.${quoteIdent(r.references[i]!)}`).join(' AND ');
    return { name: r.table, exists: `EXISTS (SELECT 1 FROM ${child} c WHERE ${holds})` };
  });
  const referenced = pointers.length > 0 ? `(${pointers.map((p) => p.exists).join(' OR ')})` : 'false';
  const pointing = pointers.length > 0 ? `concat_ws(', ', ${pointers.map((p) => `CASE WHEN ${p.exists} THEN ${quoteLiteral(p.name)} END`).join(', ')})` : 'NULL';
  // After the push's tables are written, a row another row of this source became (matched by
  // natural key to a new row here) is that row's now: not deleted.
  const taken =
    last && pk.length === 1 && d.mappedBy[0] === d.target.name
      ? ` AND NOT EXISTS (SELECT 1 FROM ${MAP} m WHERE m.source_id = ${source} AND m.table_name = ${quoteLiteral(d.target.name)} AND m.target_key = t.${quoteIdent(pk[0]!)}::text AND m.source_key <> g.k->>0)`
      : '';
  const deletable = `NOT ${referenced}${policy === 'keep-local' ? '' : ` AND NOT ${changed}`}${taken}`;
  // The map's entries of deleted rows go with them (the source may give the key to a new row).
  const forget =
    pk.length === 1 && d.mappedBy[0] === d.target.name
      ? `, forgotten AS (DELETE FROM ${MAP} m USING d WHERE m.source_id = ${source} AND m.table_name = ${quoteLiteral(d.target.name)} AND m.source_key = d.k->>0)`
      : '';
  return [
    `CREATE TEMP TABLE ${quoteIdent('hesap_gone')} ON COMMIT DROP AS SELECT e.n, e.since, e.k, ${pk.map((c, i) => `r.${quoteIdent(c)} AS ${keyCols[i]}`).join(', ')}` +
      ` FROM jsonb_to_recordset(${literal}::jsonb) AS e(n int, since text, k jsonb)` +
      ` CROSS JOIN LATERAL jsonb_populate_record(NULL::${target}, jsonb_build_object(${mapped.join(', ')})) r`,
    `SELECT count(*)::int AS n FROM (SELECT 1 FROM ${target} t JOIN ${GONE} g ON ${on} FOR UPDATE OF t) x`, // the lock
    `SELECT g.n, g.k, g.since, to_jsonb(t) AS remote, ${changed} AS changed, ${pointing} AS pointing FROM ${GONE} g JOIN ${target} t ON ${on} WHERE (${changed} OR ${referenced})${taken} ORDER BY g.n`,
    `WITH d AS (DELETE FROM ${target} t USING ${GONE} g WHERE ${on} AND ${deletable} RETURNING g.k)${forget} SELECT count(*)::int AS n FROM d`,
    `DROP TABLE ${GONE}`,
  ].join(';\n');
}

/**
 * What the answers of deleteSql's message say. Before the last pass a row pointed at waits
 * (unless it changed there too and keep-local does not ask for it); `fail` refuses the push
 * at the first conflict.
 */
export function deleteOutcome(d: DeletePlan, answers: ReadonlyArray<{ rows: unknown[] }>, policy: ConflictPolicy, last: boolean): DeleteResult {
  const found = answers[2]!.rows as Array<{ k: Array<string | null>; since: string | null; remote: Record<string, unknown>; changed: boolean; pointing: string | null }>;
  const deleted = (answers[3]!.rows[0] as { n: number }).n;
  const pk = d.source.primaryKey!.columns;
  const table = d.source.name;
  const waits = (c: (typeof found)[number]) => !last && c.pointing !== null && (!c.changed || policy === 'keep-local');
  const conflicts = found
    .filter((c) => !waits(c))
    .map((c): Conflict => {
      const kept = c.pointing ? 'remote' : policy === 'keep-local' ? 'local' : 'remote';
      return {
        table,
        sourceKey: pk.map((col, i) => `${col}=${c.k[i] ?? 'NULL'}`).join(', '),
        sourceKeyValues: c.k,
        local: null,
        remote: c.remote,
        kept,
        ...(c.pointing ? { reason: `rows of ${c.pointing} in the target point at it` } : {}),
      };
    });
  if (policy === 'fail' && conflicts.length > 0) {
    const first = conflicts[0]!;
    throw new HesapError(
      'CONFLICT',
      `Table "${table}": ${conflicts.length} row(s) deleted here since the last push changed in the target since, or are pointed at there; first: ${first.sourceKey}. Nothing was committed.`,
      { table, row: first.sourceKey, hints: ['Push with --on-conflict keep-remote (the default) to leave those rows in the target and list them.'] },
    );
  }
  const bySnapshot = new Map<string | null, Array<Array<string | null>>>();
  for (const c of found.filter(waits)) {
    if (bySnapshot.has(c.since)) bySnapshot.get(c.since)!.push(c.k);
    else bySnapshot.set(c.since, [c.k]);
  }
  const waiting = [...bySnapshot].map(([since, keys]) => ({ ...(since ? { since } : {}), keys }));
  return { table, deleted, conflicts, ...(waiting.length > 0 ? { waiting } : {}) };
}
