import { epochUnitOfColumn, isDateTimeColumn, type EpochDates, type Schema } from '@hesap/core';

/**
 * Date-times a SQLite target keeps as the epoch integers its app wrote (Column.epoch; see
 * epoch-dates.ts in core): recorded in the column comment when push made the column from such
 * integers, or asked for by the user's `epochDates` for columns hesap did not make. They are
 * read as any date-time is (the instant, in UTC): the SQLite target turns each into its integer.
 */

/**
 * Marks the columns the user's mapping keeps as epoch integers: each one it names
 * (`table.column`), and with a unit for every declared date-time, each `timestamp` or
 * `timestamptz` column that hesap did not make from SQLite (those say how their values were
 * kept: text in a recorded form, or integers in a recorded unit).
 */
export function markEpochColumns(schema: Schema, dates: EpochDates | undefined): Schema {
  if (!dates) return schema;
  for (const table of schema.tables) {
    for (const column of table.columns) {
      if (!isDateTimeColumn(column)) continue;
      const named = epochUnitOfColumn(dates, table.name, column.name);
      const made = column.origin?.dialect !== 'postgres' || column.textForm || column.fractionDigits !== undefined || column.epoch;
      const unit = named ?? (made ? undefined : dates.declared);
      if (unit) column.epoch = unit;
    }
  }
  return schema;
}
