import { EPOCH_UNITS, formPattern, parseFormPattern, type Column, type ColumnDefault, type ColumnOrigin, type EpochUnit, type Note, type Table } from '@hesap/core';

/**
 * Types and defaults between PostgreSQL and the neutral model, and the one function
 * that writes a literal into DDL (defaults and comments cannot be parameters).
 */

/** A string literal for DDL, with standard_conforming_strings on (set for every session). */
export function quoteLiteral(value: string): string {
  if (value.includes('\u0000')) throw new Error('A NUL character cannot appear in a PostgreSQL literal.');
  return `'${value.replace(/'/g, "''")}'`;
}

/** A text[] literal of these values (null: NULL), for a statement sent without parameters. */
export function quoteTextArray(values: readonly (string | null)[]): string {
  return values.length === 0 ? "'{}'::text[]" : `ARRAY[${values.map((v) => (v === null ? 'NULL' : quoteLiteral(v))).join(', ')}]::text[]`;
}

/**
 * The PostgreSQL type for a neutral column (its own declaration when it came from PostgreSQL).
 * A width the source declared and every value fits (`byteSize`, `maxLength`) is kept: an ORM
 * that made the schema elsewhere declares the same here.
 */
export function postgresType(column: Column): string {
  if (column.origin?.dialect === 'postgres') return column.origin.type;
  switch (column.type) {
    case 'integer':
      return column.byteSize === 4 ? 'integer' : column.byteSize === 2 ? 'smallint' : 'bigint';
    case 'float':
      return 'double precision';
    case 'decimal':
      return column.precision !== undefined ? `numeric(${column.precision},${column.scale ?? 0})` : 'numeric';
    case 'boolean':
      return 'boolean';
    case 'text':
      if (column.maxLength === undefined) return 'text';
      return `${column.fixedLength ? 'character' : 'character varying'}(${column.maxLength})`;
    case 'bytes':
      return 'bytea';
    case 'date':
      return 'date';
    case 'time':
      return column.precision !== undefined ? `time(${column.precision}) without time zone` : 'time without time zone';
    case 'timestamp':
      return column.precision !== undefined ? `timestamp(${column.precision}) without time zone` : 'timestamp without time zone';
    case 'timestamptz':
      return column.precision !== undefined ? `timestamp(${column.precision}) with time zone` : 'timestamp with time zone';
    case 'json':
      return 'json';
    case 'uuid':
      return 'uuid';
  }
}

/** What the neutral model keeps of a PostgreSQL type: the type, and the limits values must fit. */
export type NeutralFacts = Pick<Column, 'type' | 'precision' | 'scale' | 'maxLength' | 'fixedLength' | 'byteSize' | 'jsonParsed'>;

/** The neutral type of a PostgreSQL column, from its base type name and modifier. */
export function neutralType(typname: string, typmod: number): NeutralFacts {
  switch (typname) {
    case 'int2':
      return { type: 'integer', byteSize: 2 };
    case 'int4':
      return { type: 'integer', byteSize: 4 };
    case 'int8':
    case 'oid':
      return { type: 'integer' };
    case 'float4':
      return { type: 'float', byteSize: 4 };
    case 'float8':
      return { type: 'float' };
    case 'numeric':
      if (typmod >= 4) {
        const m = typmod - 4;
        return { type: 'decimal', precision: (m >> 16) & 0xffff, scale: ((m & 0x7ff) ^ 1024) - 1024 };
      }
      return { type: 'decimal' };
    case 'bool':
      return { type: 'boolean' };
    case 'bytea':
      return { type: 'bytes' };
    case 'date':
      return { type: 'date' };
    case 'time':
      return typmod >= 0 ? { type: 'time', precision: typmod } : { type: 'time' };
    case 'timestamp':
      return typmod >= 0 ? { type: 'timestamp', precision: typmod } : { type: 'timestamp' };
    case 'timestamptz':
      return typmod >= 0 ? { type: 'timestamptz', precision: typmod } : { type: 'timestamptz' };
    case 'json':
      return { type: 'json' };
    case 'jsonb':
      return { type: 'json', jsonParsed: true };
    case 'uuid':
      return { type: 'uuid' };
    case 'varchar':
      return typmod >= 4 ? { type: 'text', maxLength: typmod - 4 } : { type: 'text' };
    case 'bpchar':
      return typmod >= 4 ? { type: 'text', maxLength: typmod - 4, fixedLength: true } : { type: 'text' };
    default:
      // text, citext, enums, arrays, intervals, network types: their text form.
      return { type: 'text' };
  }
}

/** Reads `pg_get_expr(adbin)`. */
export function parsePostgresDefault(sql: string | null): ColumnDefault | undefined {
  if (sql === null) return undefined;
  const t = sql.trim();
  if (/^NULL(::[\w\s."[\]()]+)?$/i.test(t)) return { kind: 'null' };
  const literal = /^'((?:[^']|'')*)'(?:::[\w\s."[\]()]+)?$/s.exec(t);
  if (literal) {
    const text = literal[1]!.replace(/''/g, "'");
    if (/::(bigint|integer|smallint)$/.test(t) && /^-?\d+$/.test(text)) return { kind: 'literal', value: BigInt(text) };
    if (/::(numeric|double precision|real)$/.test(t) && /^-?[\d.]+(e[+-]?\d+)?$/i.test(text)) return { kind: 'literal', value: Number(text) };
    return { kind: 'literal', value: text };
  }
  const number = /^\(?(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\)?(?:::[\w\s]+)?$/.exec(t);
  if (number) return { kind: 'literal', value: /[.eE]/.test(number[1]!) ? Number(number[1]) : BigInt(number[1]!) };
  if (t === 'true' || t === 'false') return { kind: 'literal', value: t === 'true' };
  const lower = t.toLowerCase();
  if (['now()', 'current_timestamp', 'transaction_timestamp()', 'statement_timestamp()', 'clock_timestamp()'].includes(lower)) {
    return { kind: 'now', precision: 6 };
  }
  if (lower === 'localtimestamp') return { kind: 'now', precision: 6, local: true };
  if (lower === 'current_date') return { kind: 'today', local: true };
  return { kind: 'expression', dialect: 'postgres', sql: t };
}

const TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIME = /^\d{2}:\d{2}:\d{2}(\.\d{1,6})?$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** SQL for a default, checked against the column's type; undefined when PostgreSQL could not take it. */
export function formatPostgresDefault(column: Column, value: ColumnDefault): string | undefined {
  if (column.origin?.dialect === 'postgres') return column.origin.default ?? undefined;
  switch (value.kind) {
    case 'null':
      return 'NULL';
    case 'expression':
      return value.dialect === 'postgres' ? value.sql : undefined;
    case 'today':
      if (['date', 'timestamp', 'timestamptz'].includes(column.type)) return value.local ? 'CURRENT_DATE' : "((now() AT TIME ZONE 'UTC')::date)";
      if (column.type === 'text') return value.local ? "(to_char(CURRENT_DATE, 'YYYY-MM-DD'))" : "(to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD'))";
      return undefined;
    case 'now': {
      const moment = value.local ? 'LOCALTIMESTAMP' : "(now() AT TIME ZONE 'UTC')";
      if (column.type === 'timestamptz') return 'now()';
      if (column.type === 'timestamp') return value.precision === 6 ? moment : `(date_trunc('${value.precision === 0 ? 'second' : 'milliseconds'}', ${moment}))`;
      if (column.type === 'text') {
        const format = value.precision === 0 ? 'YYYY-MM-DD HH24:MI:SS' : value.precision === 3 ? 'YYYY-MM-DD HH24:MI:SS.MS' : 'YYYY-MM-DD HH24:MI:SS.US';
        return `(to_char(${moment}, '${format}'))`;
      }
      if (column.type === 'date') return value.local ? 'CURRENT_DATE' : "((now() AT TIME ZONE 'UTC')::date)";
      return undefined;
    }
    case 'literal': {
      const v = value.value;
      const text = typeof v === 'string' ? v : typeof v === 'boolean' ? (v ? '1' : '0') : String(v);
      switch (column.type) {
        case 'integer':
          return /^[+-]?\d+$/.test(text.trim()) ? text.trim() : undefined;
        case 'float':
        case 'decimal':
          if (typeof v === 'number' && !Number.isFinite(v)) return quoteLiteral(v > 0 ? 'Infinity' : '-Infinity');
          return NUMBER.test(text.trim()) ? text.trim() : undefined;
        case 'boolean': {
          const b = text.trim().toLowerCase();
          if (['1', 't', 'true'].includes(b)) return 'true';
          if (['0', 'f', 'false'].includes(b)) return 'false';
          return undefined;
        }
        case 'text':
          return quoteLiteral(text);
        case 'json':
          try {
            JSON.parse(text);
            return quoteLiteral(text);
          } catch {
            return undefined;
          }
        case 'uuid':
          return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text) ? quoteLiteral(text) : undefined;
        case 'date':
          return DATE.test(text) ? quoteLiteral(text) : undefined;
        case 'time':
          return TIME.test(text) ? quoteLiteral(text) : undefined;
        case 'timestamp':
        case 'timestamptz':
          return TIMESTAMP.test(text) || DATE.test(text) ? quoteLiteral(text) : undefined;
        case 'bytes':
          return /^\\x([0-9a-f]{2})*$/i.test(text) ? quoteLiteral(text) : undefined;
      }
    }
  }
}

/** What hesap remembers about a column in its comment, to restore the source declaration on the way back. */
interface ColumnComment {
  origin?: ColumnOrigin;
  strict?: boolean;
  /** Fraction digits of the text form (see Column.fractionDigits). */
  fraction?: number;
  /** The text form as a pattern (see Column.textForm and `formPattern`). */
  form?: string;
  /** What the epoch integers of the column counted where it came from (see Column.epoch). */
  epoch?: EpochUnit;
}

interface TableComment {
  primaryKey?: string[];
}

const PREFIX = 'hesap:';

export function columnComment(column: Column, table: Table): string | undefined {
  if (!column.origin || column.origin.dialect === 'postgres') return undefined;
  const body: ColumnComment = { origin: column.origin };
  if (table.sequence?.column === column.name && table.sequence.strict) body.strict = true;
  if (column.fractionDigits !== undefined) body.fraction = column.fractionDigits;
  if (column.textForm) body.form = formPattern(column.textForm);
  if (column.epoch) body.epoch = column.epoch;
  return PREFIX + JSON.stringify(body);
}

/** The text form a column comment records, as the neutral column holds it. */
export function rememberedForm(comment: ColumnComment | undefined): Pick<Column, 'fractionDigits' | 'textForm' | 'epoch'> {
  const textForm = comment?.form === undefined ? undefined : parseFormPattern(comment.form);
  const epoch = EPOCH_UNITS.find((u) => u === comment?.epoch);
  return { ...(comment?.fraction !== undefined ? { fractionDigits: comment.fraction } : {}), ...(textForm ? { textForm } : {}), ...(epoch ? { epoch } : {}) };
}

export function tableComment(table: Table): string | undefined {
  return table.declaredPrimaryKey ? PREFIX + JSON.stringify({ primaryKey: table.declaredPrimaryKey } satisfies TableComment) : undefined;
}

export function readColumnComment(comment: string | null): ColumnComment | undefined {
  if (!comment?.startsWith(PREFIX)) return undefined;
  try {
    return JSON.parse(comment.slice(PREFIX.length)) as ColumnComment;
  } catch {
    return undefined;
  }
}

export function readTableComment(comment: string | null): TableComment | undefined {
  if (!comment?.startsWith(PREFIX)) return undefined;
  try {
    return JSON.parse(comment.slice(PREFIX.length)) as TableComment;
  } catch {
    return undefined;
  }
}

/** Adds a note when a default is dropped. */
export function noteDroppedDefault(notes: Note[], table: Table, column: Column): void {
  notes.push({
    level: 'warning',
    code: 'DEFAULT_DROPPED',
    table: table.name,
    column: column.name,
    message: `The default of "${column.name}" (${describeDefault(column)}) cannot be written for a ${postgresType(column)} column in PostgreSQL; it is left out.`,
  });
}

function describeDefault(column: Column): string {
  const d = column.default;
  if (!d) return 'none';
  if (d.kind === 'expression') return d.sql;
  if (d.kind === 'literal') return JSON.stringify(typeof d.value === 'bigint' ? d.value.toString() : d.value);
  return d.kind;
}
