import { quoteIdent, quoteQualified } from '@hesap/core';
import type { Places } from './postgres-places';

/** A key, unique or foreign key constraint as PostgreSQL prints it, to put back later. */
export interface ConstraintDefinition {
  name: string;
  /** The table it belongs to, and that table's schema. */
  rel: string;
  schema: string;
  def: string;
}

/** One statement on the transaction's connection (the caller maps its errors). */
export type Query = (sql: string, values?: unknown[]) => Promise<{ rows: unknown[] }>;

const DEFINITION = `SELECT c.conname AS name, t.relname AS rel, n.nspname AS schema, pg_get_constraintdef(c.oid) AS def
   FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace`;

/** Foreign keys declared on these tables (not those pointing at them). */
export async function foreignKeysOf(query: Query, places: Places, tables: string[]): Promise<ConstraintDefinition[]> {
  const r = await query(`${DEFINITION} WHERE c.contype = 'f' AND c.conrelid = ANY($1::regclass[]) ORDER BY c.conname`, [tables.map((t) => places.quoted(t))]);
  return r.rows as ConstraintDefinition[];
}

/**
 * Every key touching these tables: their primary keys, unique constraints and foreign keys,
 * and the foreign keys of other tables pointing at them. Foreign keys first (they depend on
 * the keys), so dropping in this order and adding back in the reverse order works.
 */
export async function keysTouching(query: Query, places: Places, tables: string[]): Promise<ConstraintDefinition[]> {
  const r = await query(
    `${DEFINITION} LEFT JOIN pg_class f ON f.oid = c.confrelid
      WHERE c.contype IN ('p', 'u', 'f')
        AND (c.conrelid = ANY($1::regclass[]) OR (c.contype = 'f' AND c.confrelid = ANY($1::regclass[]) AND f.relnamespace = n.oid))
      ORDER BY CASE c.contype WHEN 'f' THEN 0 ELSE 1 END`,
    [tables.map((t) => places.quoted(t))],
  );
  return r.rows as ConstraintDefinition[];
}

/**
 * Statements that drop the constraints, and those that add them back (definitions kept,
 * exactly as PostgreSQL prints them, NOT VALID and all), in the order they are dropped.
 */
export function dropStatements(constraints: readonly ConstraintDefinition[]): { drop: string[]; restore: string[] } {
  const drop: string[] = [];
  const restore: string[] = [];
  for (const c of constraints) {
    const rel = quoteQualified(c.schema, c.rel);
    drop.push(`ALTER TABLE ${rel} DROP CONSTRAINT ${quoteIdent(c.name)}`);
    restore.push(`ALTER TABLE ${rel} ADD CONSTRAINT ${quoteIdent(c.name)} ${c.def}`);
  }
  return { drop, restore };
}

/** Drops the constraints one statement at a time and returns the statements that add them back (see dropStatements). */
export async function dropConstraints(run: (sql: string) => Promise<unknown>, constraints: readonly ConstraintDefinition[]): Promise<string[]> {
  const { drop, restore } = dropStatements(constraints);
  for (const sql of drop) await run(sql);
  return restore;
}
