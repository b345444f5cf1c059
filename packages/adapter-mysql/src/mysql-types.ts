import type { Column, ColumnDefault, ColumnOrigin, NeutralType } from '@hesap/core';
import { mysqlLiteral } from './mysql-identifiers';

/**
 * Types, defaults and column comments between MySQL/MariaDB and the neutral model.
 * Text is created with a binary, NO PAD collation: values compare byte for byte, as in
 * PostgreSQL and SQLite, so `a`, `A` and `a ` stay three different keys.
 */

/** What information_schema.COLUMNS says about a column. */
export interface MysqlColumnInfo {
  dataType: string;
  columnType: string;
  precision: number | null;
  scale: number | null;
  datetimePrecision: number | null;
}

const INTEGERS = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint', 'year']);
const TEXTS = new Set(['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext', 'enum', 'set', 'inet4', 'inet6']);
const BINARIES = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob', 'bit', 'geometry', 'point', 'linestring', 'polygon', 'multipoint', 'multilinestring', 'multipolygon', 'geometrycollection']);

/** `tinyint(1)`, MySQL's BOOLEAN: a boolean when it holds only 0 and 1 (the source checks the data). */
export function isBooleanCandidate(info: MysqlColumnInfo): boolean {
  return info.dataType === 'tinyint' && /^tinyint\(1\)(?! unsigned)/i.test(info.columnType);
}

/**
 * Bytes of PostgreSQL's narrowest integer that holds every value of a MySQL integer type (the
 * server checks the range, so no value is past it): `smallint` for TINYINT and SMALLINT,
 * `integer` up to INT, none (bigint) for INT UNSIGNED and BIGINT.
 */
function integerBytes(t: string, unsigned: boolean): 2 | 4 | undefined {
  if (t === 'tinyint' || (t === 'smallint' && !unsigned)) return 2;
  if (t === 'smallint' || t === 'mediumint' || ((t === 'int' || t === 'integer') && !unsigned)) return 4;
  return undefined;
}

/** The neutral type of a column, from its declared type, with the width PostgreSQL keeps of it. */
export function neutralType(info: MysqlColumnInfo): Pick<Column, 'type' | 'precision' | 'scale' | 'byteSize' | 'maxLength'> {
  const t = info.dataType.toLowerCase();
  if (isBooleanCandidate(info)) return { type: 'boolean' };
  const unsigned = /unsigned/i.test(info.columnType);
  // BIGINT UNSIGNED goes past 2^63: an exact decimal holds every value.
  if (t === 'bigint' && unsigned) return { type: 'decimal', precision: 20, scale: 0 };
  if (INTEGERS.has(t)) {
    const bytes = integerBytes(t, unsigned);
    return bytes ? { type: 'integer', byteSize: bytes } : { type: 'integer' };
  }
  // VARCHAR(n) counts characters, as PostgreSQL does. CHAR(n) is read without its trailing
  // spaces, which PostgreSQL's character(n) would add back: text.
  const length = t === 'varchar' ? /^varchar\((\d+)\)/i.exec(info.columnType) : null;
  if (length) return { type: 'text', maxLength: Number(length[1]) };
  if (t === 'decimal' || t === 'numeric') return { type: 'decimal', precision: info.precision ?? undefined, scale: info.scale ?? undefined };
  if (t === 'float' || t === 'double' || t === 'real') return { type: 'float' };
  if (BINARIES.has(t)) return { type: 'bytes' };
  if (t === 'date') return { type: 'date' };
  if (t === 'time') return { type: 'time' };
  if (t === 'datetime') return { type: 'timestamp', precision: info.datetimePrecision ?? 0 };
  // TIMESTAMP is stored in UTC and read in the session's time zone, which is UTC.
  if (t === 'timestamp') return { type: 'timestamptz' };
  if (t === 'json') return { type: 'json' };
  if (t === 'uuid') return { type: 'uuid' };
  return { type: 'text' };
}

/** Whether values of the column are read as bytes (the rest are read as the server's text). */
export function readsAsBytes(type: NeutralType): boolean {
  return type === 'bytes';
}

export interface TypeChoice {
  /** The collation for text: binary and NO PAD where the server has one. */
  textCollation: string;
  /** The column is part of a key or index: text and bytes need a length there. */
  keyLength?: number;
}

/** The MySQL type for a neutral column (its own declaration when it came from MySQL). */
export function mysqlType(column: Column, choice: TypeChoice): string {
  if (column.origin?.dialect === 'mysql') return column.origin.type;
  const text = (type: string) => `${type} CHARACTER SET utf8mb4 COLLATE ${choice.textCollation}`;
  switch (column.type) {
    case 'integer':
      return 'BIGINT';
    case 'float':
      return 'DOUBLE';
    case 'decimal': {
      const { precision, scale } = decimalBounds(column);
      return `DECIMAL(${precision},${scale})`;
    }
    case 'boolean':
      return 'TINYINT(1)';
    case 'bytes':
      return choice.keyLength !== undefined ? `VARBINARY(${choice.keyLength})` : 'LONGBLOB';
    case 'date':
      return 'DATE';
    case 'time':
      return `TIME(${Math.min(column.precision ?? 6, 6)})`;
    case 'timestamp':
      return `DATETIME(${Math.min(column.precision ?? 6, 6)})`;
    case 'timestamptz':
      return 'TIMESTAMP(6)';
    case 'uuid':
      return text('CHAR(36)');
    case 'json':
    case 'text':
      return text(choice.keyLength !== undefined ? `VARCHAR(${choice.keyLength})` : 'LONGTEXT');
  }
}

/**
 * Digits in all and after the point of the DECIMAL a column is (or becomes) in MySQL.
 * MySQL holds at most 65 digits, 30 after the point; unbounded decimals get (65,30), and
 * the writer refuses values that do not fit rather than let MySQL round them.
 */
export function decimalBounds(column: Column): { precision: number; scale: number } {
  if (column.origin?.dialect === 'mysql') {
    const m = /^decimal\((\d+)(?:,(\d+))?\)/i.exec(column.origin.type);
    if (m) return { precision: Number(m[1]), scale: Number(m[2] ?? 0) };
  }
  if (column.precision !== undefined && column.precision <= 65 && (column.scale ?? 0) <= 30) return { precision: column.precision, scale: column.scale ?? 0 };
  return { precision: 65, scale: 30 };
}

/** Parses information_schema.COLUMNS.COLUMN_DEFAULT (MariaDB writes SQL; MySQL writes the bare value). */
export function parseMysqlDefault(raw: string | null, info: MysqlColumnInfo, mariadb: boolean, extra: string): ColumnDefault | undefined {
  if (raw === null) return undefined;
  const t = raw.trim();
  const textual = TEXTS.has(info.dataType) || BINARIES.has(info.dataType) || info.dataType === 'json';
  if (!mariadb && textual && !/DEFAULT_GENERATED/i.test(extra)) return { kind: 'literal', value: raw };
  if (/^NULL$/i.test(t)) return { kind: 'null' };
  const quoted = /^'((?:[^'\\]|''|\\.)*)'$/s.exec(t);
  if (quoted) return { kind: 'literal', value: quoted[1]!.replace(/''/g, "'").replace(/\\(.)/gs, (_, c: string) => ({ n: '\n', r: '\r', t: '\t', '0': '\u0000' })[c] ?? c) };
  if (/^[+-]?\d+$/.test(t)) return { kind: 'literal', value: BigInt(t) };
  if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return { kind: 'literal', value: info.dataType === 'decimal' ? t : Number(t) };
  const now = /^(?:current_timestamp|now|localtimestamp|localtime)(?:\((\d)?\))?$/i.exec(t);
  if (now) {
    const digits = Number(now[1] ?? 0);
    return { kind: 'now', precision: digits === 0 ? 0 : digits <= 3 ? 3 : 6, local: info.dataType !== 'timestamp' || undefined };
  }
  if (/^(?:curdate\(\)|current_date(?:\(\))?)$/i.test(t)) return { kind: 'today', local: true };
  if (!mariadb && /^[^()]*$/.test(t) && !/DEFAULT_GENERATED/i.test(extra)) return { kind: 'literal', value: raw };
  return { kind: 'expression', dialect: 'mysql', sql: t };
}

/** The DEFAULT clause's SQL for a column, or undefined when MySQL cannot have it. */
export function formatMysqlDefault(column: Column, value: ColumnDefault, mysqlColumnType: string): string | undefined {
  const long = /^(LONG|MEDIUM|TINY)?(TEXT|BLOB)|^JSON/i.test(mysqlColumnType);
  // TEXT and BLOB columns take only expression defaults (in parentheses) on MySQL 8.
  const wrap = (sql: string) => (long ? `(${sql})` : sql);
  switch (value.kind) {
    case 'null':
      return 'NULL';
    case 'expression':
      return value.dialect === 'mysql' ? value.sql : undefined;
    case 'today':
      return column.type === 'date' ? (value.local ? '(CURRENT_DATE)' : '(UTC_DATE())') : undefined;
    case 'now': {
      const digits = /\((\d)\)/.exec(mysqlColumnType)?.[1] ?? '0';
      if (column.type === 'timestamptz') return `CURRENT_TIMESTAMP(${digits})`;
      if (column.type === 'timestamp') return value.local ? `CURRENT_TIMESTAMP(${digits})` : `(UTC_TIMESTAMP(${digits}))`;
      return undefined;
    }
    case 'literal': {
      const v = value.value;
      if (typeof v === 'boolean') return v ? '1' : '0';
      if (typeof v === 'bigint') return v.toString();
      if (typeof v === 'number') return Number.isFinite(v) ? String(v) : undefined;
      if (column.type === 'integer') return /^[+-]?\d+$/.test(v.trim()) ? v.trim() : undefined;
      if (column.type === 'float' || column.type === 'decimal') return /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(v.trim()) ? v.trim() : undefined;
      if (column.type === 'boolean') return /^(1|t|true)$/i.test(v.trim()) ? '1' : /^(0|f|false)$/i.test(v.trim()) ? '0' : undefined;
      if (column.type === 'bytes') return undefined;
      return wrap(mysqlLiteral(v));
    }
  }
}

/** What hesap remembers about a column in its comment: the source's own declaration, to restore it on the way back. */
export interface ColumnComment {
  origin?: ColumnOrigin;
  strict?: boolean;
  fraction?: number;
}

const PREFIX = 'hesap:';

export function columnComment(body: ColumnComment): string | undefined {
  return body.origin || body.fraction !== undefined ? PREFIX + JSON.stringify(body) : undefined;
}

export function readColumnComment(comment: string | null | undefined): ColumnComment | undefined {
  if (!comment?.startsWith(PREFIX)) return undefined;
  try {
    return JSON.parse(comment.slice(PREFIX.length)) as ColumnComment;
  } catch {
    return undefined;
  }
}
