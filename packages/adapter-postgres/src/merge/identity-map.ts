import { quoteIdent, quoteQualified, type MergeSettings, type PendingIdentity, type Table, type TableMergePlan } from '@hesap/core';
import type { IdentityMapUse } from '../postgres-privileges';
import type { Places } from '../postgres-places';
import type { MergeExecutor } from './executor';
import { targetKey, type Stage } from './stage';
import { quoteLiteral } from './sql';

/**
 * The identity map: which target row a source row became. It lives in the target, in
 * hesap's own schema `_hesap`, written in the same transaction as the data it describes:
 * explicit entries for rows whose target key differs from the source key, and per table a
 * baseline `max_key` below which a source key maps to the same target key (what a push that
 * kept the ids leaves behind). Only surrogate keys (see `isSurrogate`) are remembered.
 */

export const HESAP_SCHEMA = '_hesap';
/** The identity map's tables in `_hesap`. */
export const IDENTITY_MAP_TABLES = ['identity_map', 'identity_baseline'];

const MAP = quoteQualified(HESAP_SCHEMA, 'identity_map');
const BASELINE = quoteQualified(HESAP_SCHEMA, 'identity_baseline');

const CREATE_SCHEMA_SQL = `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(HESAP_SCHEMA)}`;
const IDENTITY_MAP_SQL = [
  `CREATE TABLE IF NOT EXISTS ${MAP} (
     source_id text NOT NULL, table_name text NOT NULL, source_key text NOT NULL, target_key text NOT NULL,
     updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (source_id, table_name, source_key))`,
  `CREATE TABLE IF NOT EXISTS ${BASELINE} (
     source_id text NOT NULL, table_name text NOT NULL, max_key numeric NOT NULL,
     updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (source_id, table_name))`,
];

/**
 * hesap's own schema and tables, made as `use` says (see `checkPrivileges`): nothing when they
 * are there (no CREATE SCHEMA, which PostgreSQL checks against the database's CREATE privilege
 * even when the schema exists), the tables alone when an administrator made the schema. Two
 * first pushes at the same moment both get past IF NOT EXISTS; the second then fails on the
 * catalog's unique index when the first commits. By then they exist: once more, after rolling
 * back to the savepoint, finds them. One message either way (issue 24: one round trip).
 */
export async function prepareIdentityMap(run: (sql: string, doing?: string) => Promise<unknown>, use: IdentityMapUse): Promise<void> {
  const statements = identityMapSql(use);
  if (statements === undefined) return;
  const doing = 'Preparing the identity map';
  try {
    await run(`SAVEPOINT hesap_identity_map;\n${statements};\nRELEASE SAVEPOINT hesap_identity_map`, doing);
  } catch (error) {
    const e = error as { sqlstate?: string; code?: string };
    if ((e.sqlstate ?? e.code) !== '23505') throw error;
    await run(`ROLLBACK TO SAVEPOINT hesap_identity_map;\nRELEASE SAVEPOINT hesap_identity_map;\n${statements}`, doing);
  }
}

/** The statements that make hesap's schema and tables as `use` says, in one text; undefined when nothing is to be made. */
export function identityMapSql(use: IdentityMapUse): string | undefined {
  if (use !== 'create-schema' && use !== 'create-tables') return undefined;
  return (use === 'create-schema' ? [CREATE_SCHEMA_SQL, ...IDENTITY_MAP_SQL] : IDENTITY_MAP_SQL).join(';\n');
}

/**
 * SQL: the entries a merging pull found (see LoadPlan.identities) written into the map, in
 * the push's transaction before anything is matched: the rows it brought into the file
 * under another key, or matched there by natural key, are those remote rows.
 */
export function pendingIdentitiesSql(sourceId: string, entries: readonly PendingIdentity[]): string {
  const rows = JSON.stringify(entries.map((e) => ({ t: e.table, s: e.sourceKey, k: e.targetKey })));
  return (
    `INSERT INTO ${MAP} (source_id, table_name, source_key, target_key) SELECT ${quoteLiteral(sourceId)}, e.t, e.s, e.k` +
    ` FROM jsonb_to_recordset(${quoteLiteral(rows)}::jsonb) AS e(t text, s text, k text)` +
    ` ON CONFLICT (source_id, table_name, source_key) DO UPDATE SET target_key = EXCLUDED.target_key, updated_at = now()`
  );
}

/** A table's merge plan when the identity map is out of reach: rows are matched without it, and nothing is remembered. */
export function withoutIdentityMap(merge: TableMergePlan): TableMergePlan {
  return { ...merge, match: { ...merge.match, remembered: false }, identity: 'none' };
}

/** This source's rows of this table, in the map: `m.` conditions. */
function entriesOf(settings: MergeSettings, s: Stage): string {
  return `m.source_id = ${quoteLiteral(settings.sourceId)} AND m.table_name = ${quoteLiteral(s.table)}`;
}

/** SQL: whether the map holds any explicit entry for this source and table (most tables have none). */
export function hasEntriesSql(settings: MergeSettings, s: Stage): string {
  return `SELECT EXISTS (SELECT 1 FROM ${MAP} m WHERE ${entriesOf(settings, s)}) AS any`;
}

/** SQL: the map's explicit entries matched to open staged rows (marked 'remembered', target key set). */
export function matchEntriesSql(settings: MergeSettings, s: Stage, open: string): string {
  const pk = quoteIdent(s.pk[0]!);
  return (
    `UPDATE ${s.stage} s SET ${s.q.how} = 'remembered', ${s.q.tgt} = t.${pk} FROM ${MAP} m JOIN ${s.target} t ON t.${pk}::text = m.target_key` +
    ` WHERE ${open} AND ${entriesOf(settings, s)} AND m.source_key = s.${pk}::text`
  );
}

/** SQL condition: the staged row `s` has no explicit entry. */
export function noEntrySql(settings: MergeSettings, s: Stage): string {
  return `NOT EXISTS (SELECT 1 FROM ${MAP} m WHERE ${entriesOf(settings, s)} AND m.source_key = s.${quoteIdent(s.pk[0]!)}::text)`;
}

/** SQL: the target keys the map's explicit entries hold (`id`), for content pairing's claimed rows. */
export function mappedTargetsSql(settings: MergeSettings, s: Stage): string {
  const pk = quoteIdent(s.pk[0]!);
  if (s.merge.identity !== 'merge') return `SELECT t.${pk} AS id FROM ${s.target} t WHERE false`;
  return `SELECT t.${pk} AS id FROM ${MAP} m JOIN ${s.target} t ON t.${pk}::text = m.target_key WHERE ${entriesOf(settings, s)}`;
}

/** The identity baseline's key for this source and table (read once), or undefined when there is none. */
export async function baselineKey(exec: MergeExecutor, settings: MergeSettings, s: Stage): Promise<string | undefined> {
  if (s.merge.identity !== 'merge') return undefined;
  if (s.baseline === undefined) {
    const r = await exec.ask(`SELECT max_key::text AS k FROM ${BASELINE} WHERE source_id = ${quoteLiteral(settings.sourceId)} AND table_name = ${quoteLiteral(s.table)}`);
    s.baseline = { key: r.rows[0]?.k as string | undefined };
  }
  return s.baseline.key;
}

/**
 * Writes what the merge taught the map: entries where the key changed (`changedKeys`), none
 * for rows that kept their key, and the baseline up to the highest key that stayed the same
 * (`stageSameMax`, counted with the rows, and the rows set aside). Queued once every row's
 * fate is decided; where the count is not read first (`stageSameMax` undefined: a table this
 * push created, whose rows all keep their keys) the statement takes it from the stage then.
 */
export function remember(exec: MergeExecutor, settings: MergeSettings, s: Stage, changedKeys: boolean, stageSameMax?: string | null): void {
  const pk = quoteIdent(s.pk[0]!);
  const target = targetKey(s, 's')[0]!;
  const [source, table] = [quoteLiteral(settings.sourceId), quoteLiteral(s.table)];
  if (changedKeys) {
    exec.send(
      `INSERT INTO ${MAP} (source_id, table_name, source_key, target_key)` +
        ` SELECT ${source}, ${table}, s.${pk}::text, ${target}::text FROM ${s.stage} s WHERE s.${s.q.skip} IS NULL AND ${target} <> s.${pk}` +
        ` ON CONFLICT (source_id, table_name, source_key) DO UPDATE SET target_key = EXCLUDED.target_key, updated_at = now()`,
    );
  }
  // Entries of rows that kept their key go (in the stage or set aside from it), unless the map
  // held none before this push (the entries just written are for keys that changed). Each entry
  // looks its row up by the stage's key index: joined on the key's text, a map the planner
  // thought empty (10,000 entries just written, no statistics yet) was compared with every
  // staged row, 10,000 x 10,000 times (14.7 s).
  if (s.mapEntries !== false) {
    const key = `m.source_key::bigint`;
    const kept = s.keptStored > 0 ? ` OR EXISTS (SELECT 1 FROM ${s.kept} k WHERE k.k = ${key})` : '';
    exec.send(
      `DELETE FROM ${MAP} m WHERE ${entriesOf(settings, s)} AND (EXISTS (SELECT 1 FROM ${s.stage} s WHERE s.${pk} = ${key} AND ${target} = s.${pk} AND s.${s.q.skip} IS NULL)${kept})`,
    );
  }
  if (stageSameMax === undefined) {
    // Read from the stage's key index, from the top (every key stayed: the first row not left out).
    const kept = s.keptBounds ? `, ${quoteLiteral(String(s.keptBounds.max))}::numeric` : '';
    exec.send(
      `INSERT INTO ${BASELINE} (source_id, table_name, max_key) SELECT ${source}, ${table}, x.k FROM` +
        ` (SELECT GREATEST(max(s.${pk})::numeric${kept}) AS k FROM ${s.stage} s WHERE ${target} = s.${pk} AND s.${s.q.skip} IS NULL) x WHERE x.k IS NOT NULL` +
        ` ON CONFLICT (source_id, table_name) DO UPDATE SET max_key = GREATEST(${BASELINE}.max_key, EXCLUDED.max_key), updated_at = now()`,
    );
    return;
  }
  const highest = [stageSameMax === null ? undefined : BigInt(stageSameMax), s.keptBounds?.max].filter((v): v is bigint => v !== undefined);
  if (highest.length === 0) return;
  exec.send(
    `INSERT INTO ${BASELINE} (source_id, table_name, max_key) VALUES (${source}, ${table}, ${quoteLiteral(String(highest.reduce((a, b) => (b > a ? b : a))))}::numeric)` +
      ` ON CONFLICT (source_id, table_name) DO UPDATE SET max_key = GREATEST(${BASELINE}.max_key, EXCLUDED.max_key), updated_at = now()`,
  );
}

/** After a load that kept every id (create or replace): the baseline covers the whole table. */
export async function rememberKeptIds(run: (sql: string, values: unknown[]) => Promise<unknown>, places: Places, table: Table, sourceId: string, replaced: boolean): Promise<void> {
  const pk = quoteIdent(table.primaryKey!.columns[0]!);
  const values = [sourceId, table.name];
  if (replaced) await run(`DELETE FROM ${MAP} WHERE source_id = $1 AND table_name = $2`, values);
  await run(
    `INSERT INTO ${BASELINE} (source_id, table_name, max_key) SELECT $1, $2, coalesce(max(${pk}), 0) FROM ${places.quoted(table.name)}` +
      ` ON CONFLICT (source_id, table_name) DO UPDATE SET max_key = EXCLUDED.max_key, updated_at = now()`,
    values,
  );
}
