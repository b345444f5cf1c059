/**
 * Dates kept in SQLite as epoch integers: Knex (better-sqlite3) and Prisma store a JavaScript
 * Date as milliseconds since 1970, Drizzle's `integer({ mode: 'timestamp' })` as seconds. An
 * integer is only a number until the user says what it counts (`epochDates`): then a push
 * writes it as the instant it names (`timestamptz`), the created column records the unit, and a
 * pull writes the instant back as the same integer.
 */

/** What one epoch integer counts: milliseconds or seconds since 1970-01-01 00:00:00 UTC. */
export type EpochUnit = 'ms' | 's';

export const EPOCH_UNITS: readonly EpochUnit[] = ['ms', 's'];

/** The user's mapping of epoch integers to date-times, settled (see the API's `epochDates`). */
export interface EpochDates {
  /**
   * Every column declared as a date and time (`datetime`, `timestamp`) whose values are all
   * integers counts in this unit; in PostgreSQL, every `timestamp`/`timestamptz` column hesap
   * did not make from text is written back so.
   */
  declared?: EpochUnit;
  /** Columns by `table.column`, whatever their declaration (Drizzle declares `integer`). */
  columns: Readonly<Record<string, EpochUnit>>;
}

/** The unit the mapping names for this very column (`table.column`), if it names one. */
export function epochUnitOfColumn(dates: EpochDates | undefined, table: string, column: string): EpochUnit | undefined {
  return dates?.columns[`${table}.${column}`];
}

/**
 * The integers a unit can turn into a date PostgreSQL, SQLite's date functions and the text
 * forms of datetime-text.ts all spell alike: years 1 to 9999, UTC.
 */
export const EPOCH_RANGE: Readonly<Record<EpochUnit, readonly [bigint, bigint]>> = Object.freeze({
  ms: [-62135596800000n, 253402300799999n],
  s: [-62135596800n, 253402300799n],
});

/** Units per second. */
export const EPOCH_SCALE: Readonly<Record<EpochUnit, number>> = Object.freeze({ ms: 1000, s: 1 });

export const EPOCH_WORDS: Readonly<Record<EpochUnit, string>> = Object.freeze({ ms: 'milliseconds', s: 'seconds' });
