import { HesapError, quoteIdent, type LoadPlan, type PushMode, type TablePlan } from '@hesap/core';
import { HESAP_SCHEMA, IDENTITY_MAP_TABLES } from './merge/identity-map';
import type { Places } from './postgres-places';
import { quoteLiteral, quoteTextArray } from './postgres-types';

/**
 * What a load needs the role to be allowed, read from the catalog (`has_*_privilege`) before
 * anything is written: a missing privilege fails at once with PERMISSION_DENIED, naming it and
 * the statement an administrator runs to grant it, instead of halfway with "permission
 * denied". Application roles on hosted PostgreSQL usually may read and write existing tables
 * but not CREATE in the database; hesap works with that (see `IdentityMapUse`).
 */

type Query = (sql: string, values?: unknown[]) => Promise<{ rows: Array<Record<string, unknown>> }>;

/**
 * How a load uses the identity map in `_hesap`: `none` (no table needs it), `ready` (there
 * and usable: nothing is created), `create` (made by this load: the schema, or only its
 * tables), `off` (absent, and the role may not create it: rows are merged without remembering
 * ids, and a note says so).
 */
export type IdentityMapUse = 'none' | 'ready' | 'create-tables' | 'create-schema' | 'off';

interface Missing {
  what: string;
  grant: string;
}

const TABLE_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE'] as const;
type TablePrivilege = (typeof TABLE_PRIVILEGES)[number] | 'OWNER';

/** The privileges on an existing table that a table's load needs. */
function tableNeeds(t: TablePlan, update: boolean): TablePrivilege[] {
  if (t.create) return [];
  if (t.action === 'replace') return ['OWNER'];
  if (t.action === 'load' || t.action === 'append') return ['SELECT', 'INSERT'];
  const edits = (t.edited?.length ?? 0) > 0;
  const updates = t.action === 'upsert' || (update && t.merge?.differing === 'update') || edits || (t.merge?.foreignKeys.cycles.length ?? 0) > 0;
  return updates ? ['SELECT', 'INSERT', 'UPDATE'] : ['SELECT', 'INSERT'];
}

/** Whether any table of the load reads or writes the identity map. */
function usesIdentityMap(plan: LoadPlan): boolean {
  return plan.merge !== undefined && plan.tables.some((t) => t.merge && (t.merge.identity !== 'none' || t.merge.match.remembered));
}

const role = (name: string) => quoteIdent(name);
const names = (tables: readonly TablePlan[]) => tables.map((t) => `"${t.target.name}"`).join(', ');

/** What checkPrivileges read besides the privileges, so that nobody asks again. */
export interface PrivilegeFacts {
  /** The schemas of the load's tables that do not exist. */
  absentSchemas?: string[];
}

/**
 * Checks the role's privileges for `plan` in the schemas its tables live in (`places`);
 * PERMISSION_DENIED listing every privilege missing and the statements that grant them.
 * Returns how the identity map is to be used. One query (privilegesSql), one round trip.
 */
export async function checkPrivileges(query: Query, places: Places, plan: LoadPlan, facts: PrivilegeFacts = {}): Promise<IdentityMapUse> {
  return judgePrivileges((await query(privilegesSql(places, plan))).rows[0]!, places, plan, facts);
}

/**
 * The one query that reads what a load needs to know of the role (issue 24: one round trip):
 * the database's and schemas' privileges, the existing tables' and the identity map's tables'.
 * No parameters (values are written by quoteLiteral), so that it can go in the message that
 * begins the transaction.
 */
export function privilegesSql(places: Places, plan: LoadPlan): string {
  const existing = plan.tables.filter((t) => !t.create);
  const map = quoteLiteral(HESAP_SCHEMA);
  return `SELECT current_user AS role, current_database() AS db,
              has_database_privilege(current_database(), 'CREATE') AS db_create,
              has_database_privilege(current_database(), 'TEMPORARY') AS db_temp,
              (SELECT json_agg(json_build_object('name', s.name, 'usage', has_schema_privilege(n.oid, 'USAGE'), 'create', has_schema_privilege(n.oid, 'CREATE')))
                 FROM unnest(${quoteTextArray(places.schemas(plan.tables.map((t) => t.target.name)))}) s(name) LEFT JOIN pg_namespace n ON n.nspname = s.name) AS schemas,
              (SELECT has_schema_privilege(oid, 'USAGE') FROM pg_namespace WHERE nspname = ${map}) AS map_usage,
              (SELECT has_schema_privilege(oid, 'CREATE') FROM pg_namespace WHERE nspname = ${map}) AS map_create,
              -- One row per existing table of the load, in plan order (i): its owner, its privileges, and the sequence of its generated key.
              (SELECT json_agg(q) FROM (
                 SELECT x.i::int AS i, pg_get_userbyid(c.relowner) AS owner, pg_has_role(c.relowner, 'USAGE') AS owns,
                        has_table_privilege(c.oid, 'SELECT') AS "SELECT", has_table_privilege(c.oid, 'INSERT') AS "INSERT", has_table_privilege(c.oid, 'UPDATE') AS "UPDATE",
                        s.seq, CASE WHEN s.seq IS NULL THEN true ELSE has_sequence_privilege(s.seq, 'UPDATE') END AS seq_update
                   FROM unnest(${quoteTextArray(existing.map((t) => places.of(t.target.name).schema))}, ${quoteTextArray(existing.map((t) => places.of(t.target.name).name))},
                               ${quoteTextArray(existing.map((t) => t.existing?.sequence?.column ?? null))}) WITH ORDINALITY x(nsp, rel, col, i)
                   JOIN pg_namespace n ON n.nspname = x.nsp JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = x.rel
                   LEFT JOIN LATERAL (SELECT pg_get_serial_sequence(format('%I.%I', n.nspname, c.relname), x.col) AS seq WHERE x.col IS NOT NULL) s ON true) q) AS tables,
              -- The identity map's tables and the role's privileges on them.
              (SELECT json_agg(q) FROM (
                 SELECT c.relname AS name, has_table_privilege(c.oid, 'SELECT') AS s, has_table_privilege(c.oid, 'INSERT') AS i,
                        has_table_privilege(c.oid, 'UPDATE') AS u, has_table_privilege(c.oid, 'DELETE') AS d
                   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ${map} AND c.relname = ANY(${quoteTextArray(IDENTITY_MAP_TABLES)})) q) AS map_tables`;
}

/** What privilegesSql's row says: PERMISSION_DENIED with every privilege missing, or how the identity map is to be used. */
export function judgePrivileges(head: Record<string, unknown>, places: Places, plan: LoadPlan, facts: PrivilegeFacts = {}): IdentityMapUse {
  const existing = plan.tables.filter((t) => !t.create);
  const me = String(head.role);
  const db = quoteIdent(String(head.db));
  const missing: Missing[] = [];
  facts.absentSchemas = (head.schemas as SchemaPrivileges[]).filter((s) => s.usage === null).map((s) => s.name);
  for (const schema of head.schemas as SchemaPrivileges[]) {
    const tables = plan.tables.filter((t) => places.of(t.target.name).schema === schema.name);
    missing.push(...missingOnSchema(schema, tables, head.db_create === true, me));
  }
  if (plan.tables.some((t) => t.merge?.staged) && !head.db_temp) {
    missing.push({ what: 'TEMPORARY on the database (merges stage rows in temporary tables)', grant: `GRANT TEMPORARY ON DATABASE ${db} TO ${role(me)};` });
  }
  missing.push(...missingOnTables((head.tables ?? []) as Array<Record<string, unknown>>, places, existing, plan.merge?.update ?? false, me));
  const map = usesIdentityMap(plan) ? identityMapUse((head.map_tables ?? []) as Array<Record<string, unknown>>, head, me) : { use: 'none' as const, missing: [] };
  missing.push(...map.missing);
  if (missing.length > 0) throw permissionDenied(me, String(head.db), missing);
  return map.use;
}

/** A schema's privileges for the role: null when the schema does not exist. */
interface SchemaPrivileges {
  name: string;
  usage: boolean | null;
  create: boolean | null;
}

/** What the load's `tables` in `schema` need on it: USAGE, CREATE for tables made or keys rebuilt, or the database's CREATE to make it. */
function missingOnSchema(schema: SchemaPrivileges, tables: readonly TablePlan[], dbCreate: boolean, me: string): Missing[] {
  const name = quoteIdent(schema.name);
  if (schema.usage === null) {
    return dbCreate ? [] : [{ what: `CREATE on the database (the schema "${schema.name}" does not exist)`, grant: `CREATE SCHEMA ${name} AUTHORIZATION ${role(me)};` }];
  }
  const missing: Missing[] = [];
  if (!schema.usage) missing.push({ what: `USAGE on the schema "${schema.name}"`, grant: `GRANT USAGE ON SCHEMA ${name} TO ${role(me)};` });
  // A replaced table's keys are rebuilt after the load: their indexes are made in the schema too.
  const created = tables.filter((t) => t.create);
  const rebuilt = tables.filter((t) => !t.create && t.action === 'replace');
  if ((created.length > 0 || rebuilt.length > 0) && !schema.create) {
    const why = [created.length > 0 ? `to create ${names(created)}` : '', rebuilt.length > 0 ? `to rebuild the keys of ${names(rebuilt)}` : ''].filter(Boolean).join(', and ');
    missing.push({ what: `CREATE on the schema "${schema.name}" (${why})`, grant: `GRANT CREATE ON SCHEMA ${name} TO ${role(me)};` });
  }
  return missing;
}

function missingOnTables(rows: Array<Record<string, unknown>>, places: Places, existing: readonly TablePlan[], update: boolean, me: string): Missing[] {
  const missing: Missing[] = [];
  existing.forEach((t, i) => {
    const row = rows.find((r) => r.i === i + 1);
    if (!row) return;
    const qualified = places.quoted(t.target.name);
    const needs = tableNeeds(t, update);
    if (needs.includes('OWNER') && !row.owns) {
      missing.push({
        what: `ownership of "${t.target.name}" (owned by "${row.owner}"; --mode ${t.action} sets its keys aside and rebuilds them)`,
        grant: `ALTER TABLE ${qualified} OWNER TO ${role(me)};`,
      });
    }
    const lacking = needs.filter((p): p is (typeof TABLE_PRIVILEGES)[number] => p !== 'OWNER' && !row[p]);
    if (lacking.length > 0) missing.push({ what: `${lacking.join(', ')} on "${t.target.name}"`, grant: `GRANT ${lacking.join(', ')} ON ${qualified} TO ${role(me)};` });
    // The sequence is set past the keys written (setval): UPDATE on it, unless the role owns the table.
    if (row.seq && !row.seq_update && !row.owns) missing.push({ what: `UPDATE on the sequence ${row.seq}`, grant: `GRANT USAGE, UPDATE ON SEQUENCE ${row.seq} TO ${role(me)};` });
  });
  return missing;
}

/** The identity map's state for this role: usable as it is, to be made, or out of reach. */
function identityMapUse(rows: Array<Record<string, unknown>>, head: Record<string, unknown>, me: string): { use: IdentityMapUse; missing: Missing[] } {
  const schema = quoteIdent(HESAP_SCHEMA);
  if (head.map_usage === null) return { use: head.db_create ? 'create-schema' : 'off', missing: [] };
  const missing: Missing[] = [];
  if (!head.map_usage) missing.push({ what: `USAGE on the schema "${HESAP_SCHEMA}"`, grant: `GRANT USAGE ON SCHEMA ${schema} TO ${role(me)};` });
  const absent = IDENTITY_MAP_TABLES.filter((t) => !rows.some((r) => r.name === t));
  if (absent.length > 0 && !head.map_create) missing.push({ what: `CREATE on the schema "${HESAP_SCHEMA}" (to create ${absent.join(', ')})`, grant: `GRANT CREATE ON SCHEMA ${schema} TO ${role(me)};` });
  if (rows.some((r) => !(r.s && r.i && r.u && r.d))) {
    missing.push({ what: `SELECT, INSERT, UPDATE, DELETE on the tables of "${HESAP_SCHEMA}"`, grant: `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${schema} TO ${role(me)};` });
  }
  return { use: absent.length > 0 ? 'create-tables' : 'ready', missing };
}

function permissionDenied(me: string, database: string, missing: Missing[]): HesapError {
  return new HesapError('PERMISSION_DENIED', `The role "${me}" lacks what this push needs in the database "${database}": ${missing.map((m) => m.what).join('; ')}. Nothing was written.`, {
    sqlstate: '42501',
    hints: [`An administrator can grant it:\n${[...new Set(missing.map((m) => `    ${m.grant}`))].join('\n')}`, `\`hesap db grants --role ${me}\` prints every grant each mode needs.`],
  });
}

/**
 * The statements an administrator runs so that `role` may push in `mode` into `schema` of
 * `database`: the least each mode needs (README: "Privileges").
 *
 * @example
 * grantStatements({ role: 'app', database: 'shop', schema: 'public', mode: 'merge' }).join('\n');
 */
export function grantStatements(options: { role: string; database: string; schema: string; mode: PushMode }): string[] {
  const r = role(options.role);
  const s = quoteIdent(options.schema);
  const statements = [`GRANT CONNECT, TEMPORARY ON DATABASE ${quoteIdent(options.database)} TO ${r};`, `GRANT USAGE ON SCHEMA ${s} TO ${r};`];
  if (options.mode === 'create') statements.push(`GRANT CREATE ON SCHEMA ${s} TO ${r};`, `GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA ${s} TO ${r};`);
  else if (options.mode === 'replace') {
    statements.push(
      `GRANT CREATE ON SCHEMA ${s} TO ${r};`,
      `-- replace empties the tables and rebuilds their keys: the role must own each (or be a member of its owner): ALTER TABLE ${s}.<table> OWNER TO ${r};`,
    );
  }
  else if (options.mode === 'append') statements.push(`GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA ${s} TO ${r};`);
  else statements.push(`GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA ${s} TO ${r};`);
  statements.push(`GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA ${s} TO ${r};`);
  statements.push(
    `-- The identity map, so merges remember which row each local row became (without it a merge still works, by natural keys):`,
    `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(HESAP_SCHEMA)};`,
    `GRANT USAGE, CREATE ON SCHEMA ${quoteIdent(HESAP_SCHEMA)} TO ${r};`,
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${quoteIdent(HESAP_SCHEMA)} TO ${r};`,
  );
  return statements;
}
