import {
  CHECK_COMPARE_OPS,
  CHECK_NUMBER,
  checkColumns,
  checkNotCreated,
  describeCheck,
  HesapError,
  ORPHANS_NAMED,
  quoteIdent,
  quoteQualified,
  rowKey,
  type CheckConstraint,
  type CheckExpression,
  type CheckValue,
  type Note,
  type Table,
} from '@hesap/core';
import type { ConstraintDefinition, Query } from './postgres-keys';
import type { Places } from './postgres-places';
import { keyText, quoteLiteral } from './merge/sql';

/**
 * CHECK constraints of the tables a push creates, added after the load inside the push's
 * transaction. A condition in neutral form is written as PostgreSQL SQL; rows SQLite let in
 * that break it keep their place, and the constraint is made NOT VALID (PostgreSQL checks new
 * and changed rows against it, not these), said in a warning. The others are listed.
 */

/** Not in the neutral form hesap writes (a snapshot's manifest is read as it is): the check is listed, not created. */
class Unwritable extends Error {}

function valueSql(table: Table, v: CheckValue): string {
  switch (v.kind) {
    case 'column':
      if (!table.columns.some((c) => c.name === v.name)) throw new Unwritable(`column "${v.name}" is not in the table`);
      return quoteIdent(v.name);
    case 'number':
      if (typeof v.text !== 'string' || !CHECK_NUMBER.test(v.text)) throw new Unwritable('a number is not one');
      return v.text;
    case 'string':
      return quoteLiteral(String(v.value));
    case 'boolean':
      return v.value ? 'TRUE' : 'FALSE';
    case 'null':
      return 'NULL';
    case 'length':
      return `char_length(${valueSql(table, v.of)})`;
    default:
      throw new Unwritable(`"${(v as { kind: unknown }).kind}" is not a value hesap writes`);
  }
}

/** Text is compared by code point, as the neutral form says: in the "C" collation, whatever the database's. */
function isText(table: Table, v: CheckValue): boolean {
  return v.kind === 'string' || (v.kind === 'column' && table.columns.find((c) => c.name === v.name)?.type === 'text');
}

/** The condition as PostgreSQL SQL, every node in parentheses. */
export function checkSql(table: Table, e: CheckExpression): string {
  const value = (v: CheckValue) => valueSql(table, v);
  switch (e.kind) {
    case 'compare': {
      if (!CHECK_COMPARE_OPS.includes(e.op)) throw new Unwritable(`"${e.op}" is not a comparison`);
      // Equality is the same in every deterministic collation (byte for byte); order is not.
      const collate = e.op !== '=' && e.op !== '<>' && (isText(table, e.left) || isText(table, e.right)) ? ' COLLATE "C"' : '';
      return `(${value(e.left)}${collate} ${e.op} ${value(e.right)})`;
    }
    case 'in':
      if (e.list.length === 0) throw new Unwritable('an empty IN list');
      return `(${value(e.value)} ${e.negated ? 'NOT IN' : 'IN'} (${e.list.map(value).join(', ')}))`;
    case 'is-null':
      return `(${value(e.value)} IS ${e.negated ? 'NOT NULL' : 'NULL'})`;
    case 'and':
    case 'or':
      if (e.terms.length === 0) throw new Unwritable(`an empty ${e.kind.toUpperCase()}`);
      return `(${e.terms.map((t) => checkSql(table, t)).join(e.kind === 'and' ? ' AND ' : ' OR ')})`;
    case 'not':
      return `(NOT ${checkSql(table, e.term)})`;
    default:
      throw new Unwritable(`"${(e as { kind: unknown }).kind}" is not a condition hesap writes`);
  }
}

/** The rows that break a CHECK: how many, and the first, by key, with the values it reads. */
export interface CheckBreakers {
  table: string;
  check: CheckConstraint;
  count: number;
  first: string[];
}

/** `CHECK constraint "items_qty_check" (qty > 0) on items: 2 rows (first: id=3 (qty=-1), …)`. */
export function describeBreakers(b: CheckBreakers): string {
  const more = b.count > b.first.length ? ', …' : '';
  return `${describeCheck(b.check)} on ${b.table}: ${b.count} row${b.count === 1 ? '' : 's'} (first: ${b.first.join(', ')}${more})`;
}

async function breakersOf(run: Query, places: Places, table: Table, check: CheckConstraint, condition: string): Promise<CheckBreakers> {
  const key = rowKey(table) ?? [];
  const values = checkColumns(check.expression!);
  const parts = [key.length > 0 && keyText('c', key), values.length > 0 && `${key.length > 0 ? `' (' || ` : ''}${keyText('c', values)}${key.length > 0 ? ` || ')'` : ''}`];
  const label = parts.filter(Boolean).join(' || ') || `'a row'`;
  const r = await run(
    `SELECT count(*) OVER ()::int AS n, ${label} AS k FROM ${places.quoted(table.name)} c WHERE NOT ${condition}` +
      (key.length > 0 ? ` ORDER BY ${key.map((c) => `c.${quoteIdent(c)}`).join(', ')}` : '') +
      ` LIMIT ${ORPHANS_NAMED}`,
  );
  const rows = r.rows as Array<{ n: number; k: string }>;
  return { table: table.name, check, count: rows[0]?.n ?? 0, first: rows.map((row) => row.k) };
}

/**
 * Adds the table's CHECK constraints. Returns the notes (those not created, those made NOT
 * VALID) and the constraints rows break, for a caller that refuses them (--strict).
 */
export async function addChecks(run: Query, places: Places, table: Table): Promise<{ notes: Note[]; broken: CheckBreakers[] }> {
  const notes: Note[] = [];
  const broken: CheckBreakers[] = [];
  for (const check of table.checks ?? []) {
    let condition: string;
    try {
      if (!check.expression) throw new Unwritable(check.untranslated ?? 'it was not read');
      condition = checkSql(table, check.expression);
    } catch (error) {
      if (!(error instanceof Unwritable)) throw error;
      notes.push(checkNotCreated(table.name, check, error.message));
      continue;
    }
    const statement = `ALTER TABLE ${places.quoted(table.name)} ADD CONSTRAINT ${quoteIdent(check.name!)} CHECK ${condition}`;
    const refused = await createdOrRefused(run, statement);
    if (refused === 'broken') {
      await run(`${statement} NOT VALID`);
      const breakers = await breakersOf(run, places, table, check, condition);
      broken.push(breakers);
      notes.push({
        level: 'warning',
        code: 'CHECK_NOT_VALID',
        table: table.name,
        constraint: check.name,
        message: `${describeBreakers(breakers)} break it. Every row is kept, and the constraint is created NOT VALID: PostgreSQL checks new and changed rows against it, not these.`,
      });
    } else if (refused) {
      notes.push(checkNotCreated(table.name, check, `PostgreSQL refused it (${refused})`));
    }
  }
  return { notes, broken };
}

/** Adds the constraint: undefined when it is there, `broken` when rows break it, or why PostgreSQL would not take it. */
async function createdOrRefused(run: Query, statement: string): Promise<'broken' | string | undefined> {
  try {
    // One message: a constraint that holds costs no extra round trip.
    await run(`SAVEPOINT hesap_check; ${statement}; RELEASE SAVEPOINT hesap_check`);
    return undefined;
  } catch (error) {
    const sqlstate = (error as HesapError).sqlstate ?? '';
    // 23514: rows break it; class 42 (no such function or operator, types that do not compare) and 22 (a literal it cannot read): not taken.
    const refused = sqlstate === '23514' || (sqlstate.startsWith('42') && sqlstate !== '42501') || sqlstate.startsWith('22');
    if (!(error instanceof HesapError) || !refused) throw error;
    await run('ROLLBACK TO SAVEPOINT hesap_check; RELEASE SAVEPOINT hesap_check');
    return sqlstate === '23514' ? 'broken' : ((error.cause as Error | undefined)?.message ?? error.message);
  }
}

/** The refusal of a --strict push whose rows break CHECK constraints of the tables it creates. Nothing was written. */
export function checksRefused(broken: readonly CheckBreakers[]): HesapError {
  const rows = broken.reduce((n, b) => n + b.count, 0);
  return new HesapError('CONSTRAINT_VIOLATION', `${rows} row${rows === 1 ? ' breaks a CHECK constraint' : 's break CHECK constraints'}, and \`strict\` takes only clean rows; nothing was written. ${broken.map(describeBreakers).join('; ')}.`, {
    table: broken[0]?.table,
    constraint: broken[0]?.check.name,
    hints: ['SQLite let these rows in (it checks a CHECK only as a row is written). Fix them in the local file, or push without --strict: the rows are kept and the constraint made NOT VALID.'],
  });
}

/**
 * NOT VALID CHECK constraints of these tables (an earlier push made them so, for rows SQLite let
 * in). A load sets them aside, as rows that break them would stop its COPY, and puts them back
 * as they were (see stillBroken).
 */
export async function notValidChecks(query: Query, places: Places, tables: string[]): Promise<ConstraintDefinition[]> {
  const r = await query(
    `SELECT c.conname AS name, t.relname AS rel, n.nspname AS schema, pg_get_constraintdef(c.oid) AS def
       FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE c.contype = 'c' AND NOT c.convalidated AND c.conrelid = ANY($1::regclass[]) ORDER BY t.relname, c.conname`,
    [tables.map((t) => places.quoted(t))],
  );
  return r.rows as ConstraintDefinition[];
}

/** After the load: the NOT VALID CHECKs put back, and how many of the loaded rows break each, said. */
export async function stillBroken(query: Query, places: Places, checks: readonly ConstraintDefinition[]): Promise<Note[]> {
  const notes: Note[] = [];
  for (const c of checks) {
    // PostgreSQL prints `CHECK (<condition>)[ NO INHERIT] NOT VALID`.
    const condition = c.def.replace(/^CHECK /, '').replace(/( NO INHERIT)? NOT VALID$/, '');
    const r = await query(`SELECT count(*)::int AS n FROM ${quoteQualified(c.schema, c.rel)} WHERE NOT ${condition}`);
    const n = (r.rows[0] as { n: number }).n;
    if (n === 0) continue;
    const table = places.nameOf({ schema: c.schema, name: c.rel });
    notes.push({
      level: 'warning',
      code: 'CHECK_NOT_VALID',
      table,
      constraint: c.name,
      message: `CHECK constraint "${c.name}" on ${table} is NOT VALID, and ${n} row${n === 1 ? ' breaks' : 's break'} it. Every row is kept; PostgreSQL checks new and changed rows against it, not these.`,
    });
  }
  return notes;
}
