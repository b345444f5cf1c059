import { EPOCH_SCALE, epochUnitOfColumn, quoteIdent, type Column, type EpochDates, type Schema } from '@hesap/core';

/**
 * Date-times read back as the epoch integers a SQLite app keeps (Column.epoch; see
 * epoch-dates.ts in core): recorded in the column comment when push made the column from
 * such integers, or asked for by the user's `epochDates` for columns hesap did not make.
 */

const isDateTime = (c: Column) => c.type === 'timestamp' || c.type === 'timestamptz';

/**
 * Marks the columns the user's mapping reads as epoch integers: each one it names
 * (`table.column`), and with a unit for every declared date-time, each `timestamp` or
 * `timestamptz` column that hesap did not make from SQLite (those say how their values were
 * kept: text in a recorded form, or integers in a recorded unit).
 */
export function markEpochColumns(schema: Schema, dates: EpochDates | undefined): Schema {
  if (!dates) return schema;
  for (const table of schema.tables) {
    for (const column of table.columns) {
      if (!isDateTime(column)) continue;
      const named = epochUnitOfColumn(dates, table.name, column.name);
      const made = column.origin?.dialect !== 'postgres' || column.textForm || column.fractionDigits !== undefined || column.epoch;
      const unit = named ?? (made ? undefined : dates.declared);
      if (unit) column.epoch = unit;
    }
  }
  return schema;
}

/**
 * The SQL that reads a column as epoch integers. A value the unit cannot hold exactly (a
 * fraction finer than it, infinity, a year outside 1-9999) is read as PostgreSQL prints it:
 * nothing is lost, and the app sees text there. The arithmetic is exact on every supported
 * server (`extract` gives a double before PostgreSQL 14): whole seconds, then milliseconds.
 */
export function epochExpression(column: Column): string {
  const v = quoteIdent(column.name);
  const ms = EPOCH_SCALE[column.epoch!] === 1000;
  const seconds = `extract(epoch from date_trunc('second', ${v}))::bigint`;
  const value = ms ? `${seconds} * 1000 + extract(milliseconds from ${v})::bigint % 1000` : seconds;
  const exact = `date_trunc('${ms ? 'milliseconds' : 'second'}', ${v}) = ${v}`;
  const inRange = `isfinite(${v}) AND ${v} >= '0001-01-01' AND ${v} < '10000-01-01' AND ${exact}`;
  return `CASE WHEN ${inRange} THEN (${value})::text ELSE ${v}::text END`;
}
