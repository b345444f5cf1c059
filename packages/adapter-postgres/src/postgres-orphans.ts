import { HesapError, ORPHANS_NAMED, quoteIdent, quoteQualified, type OrphanGroup } from '@hesap/core';
import { allNotNull, cols, equal, keyText } from './merge/sql';
import type { Query } from './postgres-keys';
import type { Places, Relation } from './postgres-places';

/**
 * Adds a foreign key. When rows break it (SQLite let them in), it is added NOT VALID instead
 * (PostgreSQL then checks new and changed rows against it, not the rows there), and the rows
 * that break it are returned: the caller keeps them (a table the push creates) or refuses the
 * push, naming every key (keys put back after a replace or a load). Other errors are thrown.
 */
export async function addForeignKey(run: Query, places: Places, statement: string): Promise<OrphanGroup | undefined> {
  try {
    // One message: a key that holds costs no extra round trip.
    await run(`SAVEPOINT hesap_foreign_key; ${statement}; RELEASE SAVEPOINT hesap_foreign_key`);
    return undefined;
  } catch (error) {
    const failed = error as HesapError;
    if (failed.sqlstate !== '23503' || !failed.table || !failed.constraint) throw error;
    await run('ROLLBACK TO SAVEPOINT hesap_foreign_key; RELEASE SAVEPOINT hesap_foreign_key');
    await run(`${statement} NOT VALID`);
    // The server names the table and its schema: a table of another schema is reported by its name in the load.
    const schema = (failed.cause as { schema?: string } | undefined)?.schema ?? places.schema;
    return orphansOf(run, places, { schema, name: failed.table }, failed.constraint);
  }
}

interface ForeignKeyShape {
  parent_schema: string;
  parent: string;
  columns: string[];
  refs: string[];
  pk: string[] | null;
}

/** The rows of the table at `where` that break its foreign key `constraint`: how many, and the first, by key. */
async function orphansOf(run: Query, places: Places, where: Relation, constraint: string): Promise<OrphanGroup> {
  const table = places.nameOf(where);
  const attnames = (rel: string, keys: string) =>
    `(SELECT array_agg(a.attname::text ORDER BY u.i) FROM unnest(${keys}) WITH ORDINALITY u(n, i) JOIN pg_attribute a ON a.attrelid = ${rel} AND a.attnum = u.n)`;
  const shape = await run(
    `SELECT pn.nspname AS parent_schema, pc.relname AS parent, ${attnames('c.conrelid', 'c.conkey')} AS columns, ${attnames('c.confrelid', 'c.confkey')} AS refs,
            (SELECT ${attnames('k.conrelid', 'k.conkey')} FROM pg_constraint k WHERE k.conrelid = c.conrelid AND k.contype = 'p') AS pk
       FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
       JOIN pg_class pc ON pc.oid = c.confrelid JOIN pg_namespace pn ON pn.oid = pc.relnamespace
      WHERE c.contype = 'f' AND n.nspname = $1 AND t.relname = $2 AND c.conname = $3`,
    [where.schema, where.name, constraint],
  );
  const fk = shape.rows[0] as ForeignKeyShape | undefined;
  if (!fk) throw new HesapError('INTERNAL', `Foreign key "${constraint}" of "${table}" is not in the catalog.`, { table, constraint });
  const child = cols('c', fk.columns);
  const order = fk.pk && fk.pk.length > 0 ? fk.pk : fk.columns;
  const r = await run(
    `SELECT count(*) OVER ()::int AS n, ${fk.pk && fk.pk.length > 0 ? keyText('c', fk.pk) : 'NULL'} AS k, ${keyText('c', fk.columns)} AS v` +
      ` FROM ${quoteQualified(where.schema, where.name)} c WHERE ${allNotNull(child)}` +
      ` AND NOT EXISTS (SELECT 1 FROM ${quoteQualified(fk.parent_schema, fk.parent)} p WHERE ${equal(cols('p', fk.refs), child)})` +
      ` ORDER BY ${order.map((c) => `c.${quoteIdent(c)}`).join(', ')} LIMIT ${ORPHANS_NAMED}`,
  );
  const rows = r.rows as Array<{ n: number; k: string | null; v: string }>;
  return { table, constraint, parent: places.nameOf({ schema: fk.parent_schema, name: fk.parent }), count: rows[0]?.n ?? 0, first: rows.map((row) => (row.k ? { row: row.k, values: row.v } : { values: row.v })) };
}
