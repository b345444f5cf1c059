import { quoteIdent, quoteQualified, type SyncMark } from '@hesap/core';
import { HESAP_SCHEMA } from './merge/identity-map';
import { quoteLiteral } from './merge/sql';

/**
 * The target's record of the last push through hesap (issue 23): one row in
 * `_hesap.sync_state` holding that push's token, written inside the push's transaction. A
 * source whose shadow carries the same token knows that nothing else wrote here through hesap
 * since (another source, a replace, a restore), so its shadow still says what the target
 * holds of its rows. A load without a token (a replace, a restore, a push that is not
 * incremental) clears the record: every source's next push is then a full one.
 */

const TABLE = 'sync_state';
const SYNC_STATE = quoteQualified(HESAP_SCHEMA, TABLE);

/** What a push needs to know before it begins, read in one query from the catalog (no error when nothing is there). */
export interface SyncState extends SyncMark {
  /** The table exists. */
  present: boolean;
  /** The schema `_hesap` exists. */
  schema: boolean;
}

type Query = (sql: string, values?: unknown[]) => Promise<{ rows: Array<Record<string, unknown>> }>;

/**
 * SQL: each table's identity now, by the name a push gives it (`schema.table` outside the
 * location's own schema `$1`): its oid and its file. A table dropped and made again, emptied
 * (TRUNCATE) or rewritten has another, so a shadow that knew it as it was does not trust it.
 */
export function tableIdentitiesSql(schemaParam: string): string {
  return (
    `(SELECT coalesce(json_object_agg(CASE WHEN tn.nspname = ${schemaParam} THEN tc.relname ELSE tn.nspname || '.' || tc.relname END, tc.oid::text || '/' || tc.relfilenode::text), '{}')` +
    ` FROM pg_class tc JOIN pg_namespace tn ON tn.oid = tc.relnamespace WHERE tc.relkind IN ('r', 'p')` +
    ` AND tn.nspname NOT IN ('pg_catalog', 'information_schema', ${quoteLiteral(HESAP_SCHEMA)}) AND tn.nspname NOT LIKE 'pg\_%')`
  );
}

export async function readSyncState(query: Query, schema: string): Promise<SyncState> {
  const read = `SELECT token FROM ${SYNC_STATE} WHERE id = 1`;
  const { rows } = await query(
    `SELECT ${tableIdentitiesSql('$4')} AS tables, n.oid IS NOT NULL AS schema, c.oid IS NOT NULL AS present,
            CASE WHEN c.oid IS NULL THEN coalesce(has_schema_privilege(n.oid, 'USAGE') AND has_schema_privilege(n.oid, 'CREATE'), has_database_privilege(current_database(), 'CREATE'))
                 ELSE has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT, INSERT, UPDATE, DELETE') END AS writable,
            CASE WHEN c.oid IS NOT NULL AND has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT')
                 THEN substring(query_to_xml($2, false, true, '')::text FROM '<token>([^<]*)</token>') END AS token
       FROM (SELECT 1) one LEFT JOIN pg_namespace n ON n.nspname = $1 LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = $3`,
    [HESAP_SCHEMA, read, TABLE, schema],
  );
  const row = rows[0] ?? {};
  return {
    tables: (row.tables ?? {}) as Record<string, string>,
    schema: row.schema === true,
    present: row.present === true,
    writable: row.writable === true,
    ...(typeof row.token === 'string' ? { token: row.token } : {}),
  };
}

/**
 * The statements that leave this push's token (made where missing), or clear the record when
 * the push leaves none; joined to the last statements before COMMIT (no round trip of its
 * own). Clearing is skipped quietly for a role that may not: its pushes are never incremental.
 */
export function syncStateSql(state: SyncState | undefined, token: string | undefined, sourceId: string): string[] {
  if (token && state?.writable) {
    const made = state.present ? [] : [...(state.schema ? [] : [`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(HESAP_SCHEMA)}`]), createSql()];
    return [
      ...made,
      `INSERT INTO ${SYNC_STATE} (id, token, source_id) VALUES (1, ${quoteLiteral(token)}, ${quoteLiteral(sourceId)})` +
        ` ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token, source_id = EXCLUDED.source_id, pushed_at = now()`,
    ];
  }
  if (state && !state.present) return [];
  // Without a read state (a load that is no push: a restore, a copy) the table may or may not be there.
  const clear = `DELETE FROM ${SYNC_STATE}`;
  return [
    `DO ${quoteLiteral(`BEGIN IF to_regclass(${quoteLiteral(SYNC_STATE)}) IS NOT NULL THEN EXECUTE ${quoteLiteral(clear)}; END IF; EXCEPTION WHEN insufficient_privilege THEN NULL; END`)}`,
  ];
}

function createSql(): string {
  return `CREATE TABLE IF NOT EXISTS ${SYNC_STATE} (id int PRIMARY KEY, token text NOT NULL, source_id text NOT NULL, pushed_at timestamptz NOT NULL DEFAULT now())`;
}
