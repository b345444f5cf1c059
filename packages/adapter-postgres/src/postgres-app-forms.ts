import type pg from 'pg';
import { quoteIdent, type Column, type Table } from '@hesap/core';
import { mapQueryError } from './postgres-errors';

/**
 * The text a pull writes for the app that reads the file, where no form was recorded: tables
 * an ORM made (SQLAlchemy `create_all`, Django `migrate`, Sequelize `sync`, Rails migrations)
 * or a person did, whose columns carry no comment of hesap's. PostgreSQL prints the shortest
 * fraction (`12:30:00.25`), which SQLAlchemy's SQLite dialect reads as 25 microseconds; six
 * digits (`12:30:00.250000`) SQLAlchemy, Django, Rails, Sequelize and Python's `fromisoformat`
 * all read right, and a column none of whose values has a fraction is written without one. A
 * `timestamptz` is written in UTC ending `+00:00`: Sequelize reads text with a `+` as the
 * instant it names (to other text it appends its own zone setting), Django and Rails read the
 * offset, and SQLAlchemy's naive `DateTime` reads the UTC time. A JSON column is declared
 * `JSON` in SQLite only when no document is a bare number (Column.jsonNumbers). Each date-time
 * column also records the fewest fraction digits that spell all its values (Column.fractionUsed),
 * so a pull into a file whose app writes another form can take that one (app-forms.ts).
 *
 * One aggregate pass over each table with such columns decides, in the read's snapshot.
 */

/** `sql`: an aggregate over the table; `apply` takes its value. */
type Test = { sql: string; apply: (value: unknown) => void };

/** A column PostgreSQL holds without hesap's comment (its origin is PostgreSQL itself), not read as epoch integers. */
const unrecorded = (column: Column) => column.origin?.dialect === 'postgres' && !column.textForm && column.fractionDigits === undefined && !column.epoch;

function testOf(column: Column): Test | undefined {
  if (!unrecorded(column)) return undefined;
  const v = quoteIdent(column.name);
  if (column.type === 'json') {
    const sql = `coalesce(bool_or(${column.jsonParsed ? 'jsonb_typeof' : 'json_typeof'}(${v}) = 'number'), false)`;
    return { sql, apply: (found) => (column.jsonNumbers = found === true) };
  }
  if (column.type !== 'timestamp' && column.type !== 'timestamptz' && column.type !== 'time') return undefined;
  const kind = column.type === 'time' ? 'time' : 'timestamp';
  const zone = column.type === 'timestamptz' ? '+00:00' : '';
  const apply = (digits: unknown) => {
    column.fractionUsed = Number(digits);
    column.textForm = { kind, separator: ' ', fraction: column.fractionUsed > 0 ? 6 : 0, zone };
  };
  // A column of precision 0 holds whole seconds only: nothing to look at.
  if (column.precision === 0) {
    apply(0);
    return undefined;
  }
  // The seconds' microseconds (of the UTC time: the session's zone; NULL or 0 for infinity) as six digits, trailing zeros dropped.
  const us = `lpad((date_part('microseconds', ${v})::bigint % 1000000)::text, 6, '0')`;
  return { sql: `coalesce(max(length(rtrim(${us}, '0'))), 0)`, apply };
}

/**
 * Gives each unrecorded date-time and JSON column of `tables` the form its values call for (in
 * place): one aggregate pass over each table that has such columns, all in one query (one round
 * trip however many tables, issue 24), each table's answers as a JSON object.
 */
export async function chooseAppForms(client: pg.ClientBase, tables: readonly Table[], relation: (table: Table) => string): Promise<void> {
  const looked = tables.flatMap((table) => {
    const tests = table.columns.map(testOf).filter((t): t is Test => t !== undefined);
    return tests.length > 0 ? [{ table, tests }] : [];
  });
  if (looked.length === 0) return;
  const parts = looked.map(({ table, tests }, i) => {
    const list = tests.map((t, j) => `${t.sql} AS c${j}`).join(', ');
    return `(SELECT row_to_json(q)::text FROM (SELECT ${list} FROM ${relation(table)}) q) AS t${i}`;
  });
  let row: Record<string, string>;
  try {
    row = (await client.query<Record<string, string>>(`SELECT ${parts.join(', ')}`)).rows[0]!;
  } catch (error) {
    // The server's message names the table it could not read.
    throw mapQueryError(error, { table: looked.length === 1 ? looked[0]!.table.name : undefined, doing: 'Looking at the date-time and JSON values' });
  }
  looked.forEach(({ tests }, i) => {
    const values = JSON.parse(row[`t${i}`]!) as Record<string, unknown>;
    tests.forEach((t, j) => t.apply(values[`c${j}`]));
  });
}
