import { isUtf8 } from 'node:buffer';
import type Database from 'better-sqlite3';
import { HesapError, quoteIdent, type Column, type Table } from '@hesap/core';
import { isQuotedText } from './sqlite-csv-sql';
import type { SqliteReadPlan } from './sqlite-read-plan';

/** Text that PostgreSQL cannot hold, named by table, column and row. */
export function invalidTextError(table: Table, column: Column, label: string, nul: boolean): HesapError {
  return new HesapError(
    'INVALID_TEXT',
    `Table "${table.name}", column "${column.name}", row ${label}: ${nul ? 'the text contains a NUL character, which PostgreSQL text cannot hold' : 'the text is not valid UTF-8'}.`,
    {
      table: table.name,
      column: column.name,
      row: label,
      hints: ['Fix the value in the source, or pass --on-invalid-text replace to load it with U+FFFD in place of the bad bytes.'],
    },
  );
}

/**
 * A batch of rows did not come out as valid UTF-8 without NUL: finds the value at fault
 * among the rows with rowid in [from, to] and fails naming table, column and row.
 */
export function failOnInvalidText(db: Database.Database, table: Table, plan: SqliteReadPlan, from: bigint, to: bigint): never {
  for (const column of table.columns.filter(isQuotedText)) {
    const q = quoteIdent(column.name);
    const rows = db
      .prepare(
        `SELECT ${plan.rowLabel} AS label, CAST(${q} AS BLOB) AS bytes FROM ${quoteIdent(table.name)}` +
          ` WHERE ${plan.rowid} BETWEEN ? AND ? AND typeof(${q}) = 'text'`,
      )
      .raw(true);
    for (const [label, bytes] of rows.iterate(from, to) as IterableIterator<[string, Buffer]>) {
      if (!bytes.includes(0) && isUtf8(bytes)) continue;
      throw invalidTextError(table, column, label, bytes.includes(0));
    }
  }
  throw new HesapError('INVALID_TEXT', `Table "${table.name}": rows ${from} to ${to} do not read as valid UTF-8.`, { table: table.name });
}
