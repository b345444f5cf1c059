import type Database from 'better-sqlite3';
import { EPOCH_RANGE, EPOCH_WORDS, epochOfText, epochUnitOfColumn, HesapError, quoteIdent, type Column, type DataPolicies, type EpochUnit, type Note, type Table } from '@hesap/core';
import type { ColumnStats } from './sqlite-column-profile';
import type { ColumnDecision } from './sqlite-column-type';
import type { DeclaredType } from './sqlite-declared-type';
import type { SqliteTableLayout } from './sqlite-introspector';

/**
 * Epoch integers the user mapped to dates (`epochDates`, see epoch-dates.ts in core): the
 * column is decided `timestamptz` with the unit's digits, every value is checked before
 * anything is written, and each integer is read as the instant it names (in SQLite's C code,
 * exactly: whole seconds through `strftime`, the remainder as three digits). A SQLite target
 * writes such a column's date-times back as the integers.
 */

/** The unit the mapping gives a column: named as `table.column`, or by its date-time declaration when every value is an integer. */
export function epochUnitFor(policies: DataPolicies, table: string, column: string, declared: DeclaredType, s: ColumnStats): EpochUnit | undefined {
  const named = epochUnitOfColumn(policies.epochDates, table, column);
  if (named) return named;
  const unit = policies.epochDates?.declared;
  return unit && declared.intent === 'timestamp' && s.integers === s.integers + s.reals + s.texts + s.blobs ? unit : undefined;
}

/** The type of a column of epoch integers: the instant, to the unit's digits. */
export function epochDecision(unit: EpochUnit): ColumnDecision {
  return { type: 'timestamptz', precision: unit === 'ms' ? 3 : 0, epoch: unit };
}

const inRange = (q: string, unit: EpochUnit) => `typeof(${q}) = 'integer' AND ${q} BETWEEN ${EPOCH_RANGE[unit][0]} AND ${EPOCH_RANGE[unit][1]}`;

/**
 * Checks every value of a mapped column: an integer naming a date of years 1 to 9999. The first
 * other value refuses the load, naming its row, or (with `typeMismatch: 'text'`) leaves the
 * column as it would be without the mapping, noted: the unit is returned only when it holds.
 */
export function checkEpochValues(
  db: Database.Database,
  table: Table,
  layout: SqliteTableLayout,
  column: Column,
  unit: EpochUnit,
  policies: DataPolicies,
  notes: Note[],
): EpochUnit | undefined {
  const q = quoteIdent(column.name);
  const found = db
    .prepare(`SELECT ${layout.rowLabel} AS label, quote(${q}) AS value, typeof(${q}) = 'integer' AS whole FROM ${quoteIdent(table.name)} WHERE ${q} IS NOT NULL AND NOT (${inRange(q, unit)}) LIMIT 1`)
    .get() as { label: string; value: string; whole: number } | undefined;
  const words = EPOCH_WORDS[unit];
  if (!found) {
    notes.push({
      level: 'info',
      code: 'EPOCH_DATES',
      table: table.name,
      column: column.name,
      message: `Integers of "${column.name}" (declared ${column.declaredType || 'without a type'}) are read as epoch ${words} (\`epochDates\`): they go in as date-times.`,
    });
    return unit;
  }
  const why = found.whole ? `it names no date of years 1 to 9999 as epoch ${words}` : `it is not a whole number of epoch ${words}`;
  if (policies.typeMismatch === 'text') {
    notes.push({ level: 'warning', code: 'TYPE_FALLBACK', table: table.name, column: column.name, message: `Row ${found.label}: ${found.value}: ${why}; the column is not read as dates.` });
    return undefined;
  }
  const shown = found.value.length > 60 ? `${found.value.slice(0, 57)}...` : found.value;
  throw new HesapError(
    'VALUE_UNREPRESENTABLE',
    `Table "${table.name}", column "${column.name}", row ${found.label}: the value ${shown} cannot go in as a date and time: ${why} (\`epochDates\` maps the column). Nothing was written.`,
    {
      table: table.name,
      column: column.name,
      row: found.label,
      hints: [
        `Fix the value in the local file, map the column to the other unit (\`epochDates: { '${table.name}.${column.name}': '${unit === 'ms' ? 's' : 'ms'}' }\`), or leave the table out with \`exclude\`.`,
      ],
    },
  );
}

/**
 * The CSV field of a mapped column: `"2024-07-01 08:00:00.250+00"` (milliseconds keep three
 * digits; `timestamp` without the zone, UTC). Whole seconds are the floor of the value, so
 * instants before 1970 count back correctly. Anything else (a value no check refused, as verify
 * reads it) is written by `other`, the column's plain field.
 */
export function epochField(column: Column, other: string): string {
  const q = quoteIdent(column.name);
  const unit = column.epoch!;
  const zone = column.type === 'timestamptz' ? ` || '+00'` : '';
  const text =
    unit === 's'
      ? `strftime('%Y-%m-%d %H:%M:%S', ${q}, 'unixepoch')`
      : `strftime('%Y-%m-%d %H:%M:%S', (${q} - (${q} % 1000 + 1000) % 1000) / 1000, 'unixepoch') || '.' || printf('%03d', (${q} % 1000 + 1000) % 1000)`;
  return `CASE WHEN ${inRange(q, unit)} THEN '"' || ${text}${zone} || '"' ELSE ${other} END`;
}

/**
 * How a value read for a mapped column is written: the date-time (`2024-07-01 08:00:00.123+00`)
 * as the integer it is in the column's unit; one the unit cannot hold exactly (a fraction
 * finer than it, a year outside 1-9999, infinity) as the text it came as, never cut.
 */
export function epochDecoder(unit: EpochUnit): (text: string) => bigint | string {
  return (text) => epochOfText(text, unit) ?? text;
}
