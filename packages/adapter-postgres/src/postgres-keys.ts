import type pg from 'pg';
import { quoteIdent, quoteQualified } from '@hesap/core';

/** A key, unique or foreign key constraint as PostgreSQL prints it, to put back later. */
export interface ConstraintDefinition {
  name: string;
  /** The table it belongs to. */
  rel: string;
  def: string;
}

/** Foreign keys declared on these tables (not those pointing at them). */
export async function foreignKeysOf(client: pg.ClientBase, schema: string, tables: string[]): Promise<ConstraintDefinition[]> {
  const r = await client.query(
    `SELECT c.conname AS name, t.relname AS rel, pg_get_constraintdef(c.oid) AS def
       FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE c.contype = 'f' AND n.nspname = $1 AND t.relname = ANY($2::text[])
      ORDER BY c.conname`,
    [schema, tables],
  );
  return r.rows as ConstraintDefinition[];
}

/**
 * Drops the constraints (definitions kept, exactly as PostgreSQL prints them, NOT VALID and
 * all) and returns the statements that add them back, in the order they were dropped.
 */
export async function dropConstraints(
  run: (sql: string) => Promise<unknown>,
  schema: string,
  constraints: readonly ConstraintDefinition[],
): Promise<string[]> {
  const restore: string[] = [];
  for (const c of constraints) {
    const rel = quoteQualified(schema, c.rel);
    await run(`ALTER TABLE ${rel} DROP CONSTRAINT ${quoteIdent(c.name)}`);
    restore.push(`ALTER TABLE ${rel} ADD CONSTRAINT ${quoteIdent(c.name)} ${c.def}`);
  }
  return restore;
}
