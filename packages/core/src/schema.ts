import type { CheckExpression } from './check-expression';
import type { DateTimeTextForm } from './datetime-text';
import type { EpochUnit } from './epoch-dates';

/**
 * The dialect-neutral schema model. Every adapter translates its own catalog into
 * these shapes and back; the core reasons only about them.
 */

/**
 * A column's type, as the data in it actually is (not only as it was declared).
 * On the wire every type travels as PostgreSQL CSV text (see `csv/`).
 */
export type NeutralType =
  | 'integer' // 64-bit signed, exact (BigInt beyond 2^53)
  | 'float' // IEEE 754 double
  | 'decimal' // exact decimal; `precision`/`scale` when bounded
  | 'boolean'
  | 'text'
  | 'bytes'
  | 'date' // YYYY-MM-DD
  | 'time' // HH:MM:SS[.ffffff]
  | 'timestamp' // YYYY-MM-DD HH:MM:SS[.ffffff], no zone
  | 'timestamptz' // with zone, always written in UTC
  | 'json' // JSON text, kept byte for byte
  | 'uuid';

export const NEUTRAL_TYPES: readonly NeutralType[] = [
  'integer',
  'float',
  'decimal',
  'boolean',
  'text',
  'bytes',
  'date',
  'time',
  'timestamp',
  'timestamptz',
  'json',
  'uuid',
];

export type ForeignKeyAction = 'NO ACTION' | 'RESTRICT' | 'CASCADE' | 'SET NULL' | 'SET DEFAULT';

/** A column default in neutral form, so each dialect can write its own SQL for it. */
export type ColumnDefault =
  | { kind: 'null' }
  | { kind: 'literal'; value: string | number | bigint | boolean }
  /** The current time. `precision` is the number of fractional digits; `local` means server local time instead of UTC. */
  | { kind: 'now'; precision: 0 | 3 | 6; local?: boolean }
  | { kind: 'today'; local?: boolean }
  /** An expression only its own dialect understands. Other dialects drop it with a note. */
  | { kind: 'expression'; dialect: string; sql: string };

/**
 * How the column was declared where it came from. Adapters of the same dialect use it to
 * recreate the declaration exactly (a SQLite `NUMERIC(10,2)` column keeps that name and
 * its affinity after a push and a pull).
 */
export interface ColumnOrigin {
  dialect: string;
  type: string;
  default?: string | null;
}

export interface Column {
  name: string;
  type: NeutralType;
  /** For `decimal`: total digits and digits after the point, when bounded. */
  precision?: number;
  scale?: number;
  /** The declared type in the source, verbatim (`''` when the source declared none). */
  declaredType: string;
  nullable: boolean;
  default?: ColumnDefault;
  /** True when the database hands out the value itself (SQLite rowid alias, PostgreSQL identity or serial). */
  generated?: boolean;
  /**
   * For `timestamp` columns kept as text somewhere (SQLite): the values are written with
   * exactly this many fraction digits (`2026-03-05 07:08:09.000`, as TypeORM writes them).
   * PostgreSQL prints the shortest form, so the text form is restored from this.
   */
  fractionDigits?: number;
  /**
   * For `timestamp`, `timestamptz` and `time` columns kept as text somewhere (SQLite): how every
   * value was spelled (`T` or space, fraction digits, zone), when not as PostgreSQL prints it.
   * A value read for that place is written in this form again (see datetime-text.ts). For a
   * PostgreSQL column no form was recorded for (an ORM or a person made it), the form a pull
   * writes for apps to read, chosen from the values when the source is profiled: six fraction
   * digits when any value has a fraction, else none; a `timestamptz` in UTC, ending `+00:00`;
   * or, pulled into a file whose app's own rows share one form the values fit, that form (app-forms.ts).
   */
  textForm?: DateTimeTextForm;
  /**
   * With a `textForm` chosen from the values (a PostgreSQL column without a recorded form): the
   * fewest fraction digits that spell every value (0-6), so a pull can tell whether the values
   * fit the form the app's own rows in the local file are written in (app-forms.ts).
   */
  fractionUsed?: number;
  /**
   * For `timestamp` and `timestamptz` columns kept as epoch integers somewhere (SQLite, mapped
   * by `epochDates`): what each integer counts. A value read for that place is written as the
   * integer; one read from there is written as the instant it names (see epoch-dates.ts).
   */
  epoch?: EpochUnit;
  /** Text columns: at most this many characters (`varchar(n)`, `char(n)`). */
  maxLength?: number;
  /** With `maxLength`: shorter values are padded with spaces (`char(n)`), so they would not come back as they were. */
  fixedLength?: boolean;
  /** Integer and float columns narrower than 64 bits: their size in bytes (`integer`: 4, `smallint`: 2, `real`: 4). */
  byteSize?: 2 | 4;
  /**
   * JSON columns the database keeps parsed rather than as text (PostgreSQL `jsonb`): spacing
   * and key order are its own, and of a key written twice only the last value stays.
   */
  jsonParsed?: boolean;
  /**
   * JSON columns whose values were looked at (a profiled source): whether some document is a
   * bare number (`12`, `1.50`). Only without one may SQLite declare the column `JSON`, whose
   * NUMERIC affinity would store such a document as a number; undefined when not known.
   */
  jsonNumbers?: boolean;
  origin?: ColumnOrigin;
}

export interface KeyConstraint {
  /** The constraint's own name where the source has one. */
  name?: string;
  columns: string[];
}

export interface ForeignKey {
  name?: string;
  columns: string[];
  references: { table: string; columns: string[] };
  onDelete: ForeignKeyAction;
  onUpdate: ForeignKeyAction;
}

export interface Index {
  name: string;
  columns: string[];
  unique: boolean;
}

/**
 * A CHECK constraint. `expression` is its condition in neutral form (check-expression.ts): the
 * source adapter gives it only when it could read the condition and it means the same on the
 * column values as their neutral types hold them. Otherwise `untranslated` says why, and a
 * target lists the constraint instead of creating it.
 */
export interface CheckConstraint {
  /** The constraint's own name where the source has one. */
  name?: string;
  /** The column it was declared with, for a column constraint. */
  column?: string;
  /** The condition as the source wrote it, in its own dialect, for the report. */
  sql: string;
  expression?: CheckExpression;
  /** Why there is no `expression` (`uses JSON_VALID()`). */
  untranslated?: string;
}

/** A trigger on a table: code in its own dialect, listed and never run elsewhere. */
export interface Trigger {
  name: string;
  /** Its definition in its own dialect, for information. */
  sql?: string;
}

/**
 * The sequence behind a generated key. `lastValue` is the last value handed out (or
 * null when none was), which may be above the largest key still in the table.
 */
export interface SequenceState {
  column: string;
  lastValue: bigint | null;
  /** SQLite AUTOINCREMENT: never reuse a value, even after deletes. */
  strict?: boolean;
}

/**
 * Where a table lives in a database with schemas, when that is not the location's own schema:
 * PostgreSQL's table `events` of the schema `audit` is the table named `audit.events`, placed at
 * `{ schema: 'audit', table: 'events' }`. A pull writes the place down in the local file with
 * the table (see the SQLite adapter), so that a push puts the table back where it came from. A
 * table without one lives in the location's own schema under its name, dots and all.
 */
export interface TablePlace {
  schema: string;
  table: string;
}

/** The name a placed table has in the neutral model: `schema.table`. */
export function placedName(place: TablePlace): string {
  return `${place.schema}.${place.table}`;
}

/** Whether two tables of the same name live in the same place: both in the location's own schema, or both at one place. */
export function samePlace(a: Pick<Table, 'place'>, b: Pick<Table, 'place'>): boolean {
  return a.place?.schema === b.place?.schema && a.place?.table === b.place?.table;
}

export interface Table {
  name: string;
  /** Where the table lives when not in the location's own schema (see {@link TablePlace}); `name` is then `schema.table`. */
  place?: TablePlace;
  columns: Column[];
  primaryKey?: KeyConstraint;
  uniques: KeyConstraint[];
  foreignKeys: ForeignKey[];
  indexes: Index[];
  sequence?: SequenceState;
  /**
   * The primary key as the source declared it, when it could not be kept as one
   * (a SQLite primary key holding NULLs becomes a UNIQUE constraint elsewhere).
   */
  declaredPrimaryKey?: string[];
  /** CHECK constraints, where the source has any. */
  checks?: CheckConstraint[];
  /** Triggers on the table, where the source has any. */
  triggers?: Trigger[];
}

export interface View {
  name: string;
  /** The view's definition in its own dialect, for information. */
  sql?: string;
}

export type NoteLevel = 'info' | 'warning';

/** Something the user should read: a type fallback, a dropped default, a skipped index. */
export interface Note {
  level: NoteLevel;
  code: string;
  message: string;
  table?: string;
  column?: string;
  /** The constraint the note is about. */
  constraint?: string;
  /** The trigger the note is about. */
  trigger?: string;
}

export interface Schema {
  dialect: string;
  tables: Table[];
  views: View[];
  notes: Note[];
}

/** Finds a table by exact name. */
export function findTable(schema: Schema, name: string): Table | undefined {
  return schema.tables.find((t) => t.name === name);
}

/** Finds a column by exact name. */
export function findColumn(table: Table, name: string): Column | undefined {
  return table.columns.find((c) => c.name === name);
}

/**
 * The columns that identify a row: the primary key, else the first unique constraint,
 * else none (the table is a bag of rows).
 */
export function rowKey(table: Table): string[] | undefined {
  if (table.primaryKey && table.primaryKey.columns.length > 0) return table.primaryKey.columns;
  return table.uniques[0]?.columns;
}
