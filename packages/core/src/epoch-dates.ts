import { parseTimestampText, zoneOffsetMinutes } from './datetime-text';
import type { Column } from './schema';

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

/** A column of a date and time of day (with or without zone): what epoch integers stand for. */
export const isDateTimeColumn = (column: Pick<Column, 'type'>): boolean => column.type === 'timestamp' || column.type === 'timestamptz';

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

export const EPOCH_WORDS: Readonly<Record<EpochUnit, string>> = Object.freeze({ ms: 'milliseconds', s: 'seconds' });

/**
 * The epoch integer a timestamp text names (`2024-07-01 08:00:00.123+00`, as PostgreSQL prints
 * a `timestamptz` in UTC and the SQLite source writes a mapped column; without a zone, UTC),
 * or undefined when the unit cannot hold it exactly: a fraction finer than the unit, a year
 * outside 1-9999, infinity, a date before Christ. Exact for every value in range (below 2^53).
 */
export function epochOfText(text: string, unit: EpochUnit): bigint | undefined {
  const parts = parseTimestampText(text);
  if (!parts?.date) return undefined;
  const offset = parts.zone === '' ? 0 : zoneOffsetMinutes(parts.zone);
  const fraction = parts.fraction.padEnd(6, '0');
  const kept = unit === 'ms' ? 3 : 0;
  if (offset === undefined || /[^0]/.test(fraction.slice(kept))) return undefined;
  const [y, mo, d] = parts.date.split('-').map(Number) as [number, number, number];
  const [h, mi, s] = parts.clock.split(':').map(Number) as [number, number, number];
  const at = new Date(0);
  // setUTCFullYear takes years below 100 as they are (Date.UTC would add 1900).
  at.setUTCFullYear(y, mo - 1, d);
  at.setUTCHours(h, mi - offset, s, Number(fraction.slice(0, 3)));
  const ms = BigInt(at.getTime());
  const value = unit === 'ms' ? ms : ms / 1000n;
  return value >= EPOCH_RANGE[unit][0] && value <= EPOCH_RANGE[unit][1] ? value : undefined;
}
