import type { Column, ColumnDefault, Note, Table } from '@hesap/core';
import type { ColumnStats } from './sqlite-column-profile';
import { declaredWords, type DeclaredType } from './sqlite-declared-type';

/**
 * Column sizes a SQLite declaration asks for (`integer`, `smallint`, `varchar(n)`, `char(n)`),
 * kept where every value fits. SQLite checks none of them, so the profile counts the values
 * that fit (sqlite-column-profile.ts); a column whose values all fit is created in PostgreSQL
 * with the declared type, as the app's ORM declares it there (TypeORM's `synchronize` drops and
 * re-adds a column whose type differs from its entity's), and the rest get `bigint` or `text`.
 */

/** A declared width: bytes of an integer, or characters of a text (`fixed`: `char(n)`, padded with spaces). */
export type DeclaredSize = { bytes: 2 | 4 } | { length: number; fixed: boolean };

const INTEGER_BYTES: Record<string, 2 | 4> = { int: 4, integer: 4, int4: 4, mediumint: 4, serial: 4, smallint: 2, int2: 2 };
/** Words beside the type name that do not change its width (`BIG INT` is a bigint: not here). */
const NEUTRAL_WORDS = new Set(['signed', 'unsigned', 'auto_increment', 'autoincrement']);
const VARYING = new Set(['varchar', 'nvarchar', 'varying', 'character', 'char', 'nchar', 'national']);
const FIXED = new Set(['character', 'char', 'nchar', 'national']);
/** PostgreSQL's largest `varchar(n)` and `char(n)`. */
const MAX_LENGTH = 10_485_760;
const INTEGER_RANGE: Record<2 | 4, [bigint, bigint]> = { 2: [-32768n, 32767n], 4: [-2147483648n, 2147483647n] };

/** The width a declaration asks for, when PostgreSQL has a type of that width. */
export function declaredSize(declared: DeclaredType): DeclaredSize | undefined {
  const words = declaredWords(declared.raw);
  if (declared.intent === 'integer') {
    const names = words.filter((w) => !NEUTRAL_WORDS.has(w));
    return names.length === 1 && INTEGER_BYTES[names[0]!] ? { bytes: INTEGER_BYTES[names[0]!]! } : undefined;
  }
  if (declared.intent !== 'text') return undefined;
  const length = /^[^(]*\(\s*(\d+)\s*\)\s*$/.exec(declared.raw);
  const n = length ? Number(length[1]) : 0;
  if (n < 1 || n > MAX_LENGTH || !words.every((w) => VARYING.has(w))) return undefined;
  return { length: n, fixed: words.every((w) => FIXED.has(w)) };
}

/** SQL true for a value of the declared class past the declared width (NULL for NULL). */
export function sizeMisfitSql(q: string, declared: DeclaredType): string | undefined {
  const size = declaredSize(declared);
  if (!size) return undefined;
  if ('bytes' in size) return `${q} NOT BETWEEN ${INTEGER_RANGE[size.bytes][0]} AND ${INTEGER_RANGE[size.bytes][1]}`;
  // length() counts characters, as PostgreSQL does; text with NUL or invalid UTF-8 is repaired or refused.
  return `length(${q}) ${size.fixed ? '<>' : '>'} ${size.length}`;
}

/** SQL true for a value that fits the declared width: an integer, or text. */
export function sizeFitSql(q: string, declared: DeclaredType): string | undefined {
  const misfit = sizeMisfitSql(q, declared);
  if (!misfit) return undefined;
  return `typeof(${q}) = '${declared.intent === 'integer' ? 'integer' : 'text'}' AND NOT (${misfit})`;
}

/** What a rowid alias's bounds (read off the b-tree's edges) say about its width: as stats of one value. */
export function rowidStats(lo: bigint | null, hi: bigint | null): ColumnStats {
  const [min, max] = INTEGER_RANGE[4];
  const fits = lo === null || hi === null || (lo >= min && hi <= max);
  return { integers: 1, reals: 0, texts: 0, blobs: 0, integralReals: 0, nonAscii: 0, fitting: fits ? 1 : 0, dates: 0, millis: 0 };
}

export type ColumnSize = Pick<Column, 'byteSize' | 'maxLength' | 'fixedLength'>;

/**
 * The width the column keeps, and why not when it keeps none. `column` is decided already
 * (type, default); `repaired`: its text goes through the repair function, which can lengthen it.
 */
export function decideColumnSize(declared: DeclaredType, s: ColumnStats, column: Column, table: Table, repaired: boolean): { size: ColumnSize; note?: string } {
  const size = declaredSize(declared);
  if (!size) return { size: {} };
  const typed = `declared ${declared.raw}`;
  if ('bytes' in size) {
    if (column.type !== 'integer') return { size: {} };
    const bits = size.bytes * 8;
    if (s.fitting !== s.integers) return { size: {}, note: `${typed} holds integers past PostgreSQL's ${bits}-bit range; created as bigint.` };
    const last = table.sequence?.column === column.name && table.sequence.strict ? table.sequence.lastValue : null;
    if (last !== null && !inRange(last, size.bytes)) return { size: {}, note: `${typed}: SQLite's AUTOINCREMENT has handed out ${last}, past the ${bits}-bit range; created as bigint.` };
    if (!defaultFitsInteger(column.default, size.bytes)) return { size: {}, note: `${typed}: its default is past the ${bits}-bit range; created as bigint.` };
    return { size: { byteSize: size.bytes } };
  }
  const values = s.integers + s.reals + s.texts + s.blobs;
  if (column.type !== 'text' || s.texts !== values) return { size: {} };
  if (repaired) return { size: {}, note: `${typed}: its text may be repaired (--on-invalid-text replace), which can lengthen it; created as text.` };
  if (s.fitting !== s.texts) {
    return {
      size: {},
      note: size.fixed
        ? `${typed} holds values of other lengths than ${size.length}, which PostgreSQL's character(${size.length}) would pad with spaces or refuse; created as text.`
        : `${typed} holds values longer than ${size.length} characters (SQLite does not check the length); created as text.`,
    };
  }
  const length = defaultLength(column.default);
  if (length !== undefined && (length > size.length || (size.fixed && length !== size.length))) {
    return { size: {}, note: `${typed}: its default is ${length} characters long, which ${sizedType(size)} would not give back as it is; created as text.` };
  }
  return { size: size.fixed ? { maxLength: size.length, fixedLength: true } : { maxLength: size.length } };
}

const sizedType = (size: { length: number; fixed: boolean }) => `${size.fixed ? 'character' : 'character varying'}(${size.length})`;

function inRange(value: bigint, bytes: 2 | 4): boolean {
  const [min, max] = INTEGER_RANGE[bytes];
  return value >= min && value <= max;
}

function defaultFitsInteger(value: ColumnDefault | undefined, bytes: 2 | 4): boolean {
  if (value?.kind !== 'literal') return true;
  const text = String(value.value).trim();
  // Anything else is not an integer default: PostgreSQL leaves it out (formatPostgresDefault).
  return !/^[+-]?\d+$/.test(text) || inRange(BigInt(text), bytes);
}

/** How many characters a text default writes in PostgreSQL, or undefined when it writes none. */
function defaultLength(value: ColumnDefault | undefined): number | undefined {
  switch (value?.kind) {
    case undefined:
    case 'null':
    case 'expression':
      // A SQLite expression is left out in PostgreSQL.
      return undefined;
    case 'literal':
      return [...(typeof value.value === 'boolean' ? (value.value ? '1' : '0') : String(value.value))].length;
    case 'today':
      return 10;
    case 'now':
      return value.precision === 0 ? 19 : 20 + value.precision;
  }
}

/** Sets the column's width, as decided. */
export function applySize(column: Column, size: ColumnSize): void {
  delete column.byteSize;
  delete column.maxLength;
  delete column.fixedLength;
  Object.assign(column, size);
}

/**
 * A referencing integer column and the key it references end with the same width (PostgreSQL
 * takes an int4 column referencing an int8 key, but an ORM expects them alike): where one of
 * them needs more bytes, every column joined to it by a foreign key gets them too. `tables`
 * are the profiled tables; a key in a table that was not profiled is left alone.
 */
export function keepKeysAlike(tables: readonly Table[], notes: Note[]): void {
  const byName = new Map(tables.map((t) => [t.name, t]));
  const find = (table: Table | undefined, name: string) => table?.columns.find((c) => c.name.toLowerCase() === name.toLowerCase());
  // Columns joined by foreign keys, each group under one root (union-find).
  const parent = new Map<Column, Column>();
  const root = (c: Column): Column => {
    const p = parent.get(c);
    if (!p || p === c) return c;
    const r = root(p);
    parent.set(c, r);
    return r;
  };
  const tableOf = new Map<Column, string>();
  for (const table of tables) {
    for (const fk of table.foreignKeys) {
      fk.columns.forEach((name, i) => {
        const from = find(table, name);
        const to = find(byName.get(fk.references.table), fk.references.columns[i] ?? '');
        if (from?.type !== 'integer' || to?.type !== 'integer') return;
        tableOf.set(from, table.name).set(to, fk.references.table);
        parent.set(root(from), root(to));
      });
    }
  }
  const widest = new Map<Column, Column>();
  for (const c of tableOf.keys()) {
    const w = widest.get(root(c));
    if (!w || width(c) > width(w)) widest.set(root(c), c);
  }
  for (const table of tables) {
    for (const c of table.columns) {
      const wide = tableOf.has(c) ? widest.get(root(c))! : c;
      if (width(wide) <= width(c)) continue;
      const type = wide.byteSize === 4 ? 'integer' : 'bigint';
      notes.push({
        level: 'info',
        code: 'TYPE_FALLBACK',
        table: table.name,
        column: c.name,
        message: `"${c.name}" is created as ${type}, as "${tableOf.get(wide)}"."${wide.name}" is, to which a foreign key joins it.`,
      });
      applySize(c, wide.byteSize === undefined ? {} : { byteSize: wide.byteSize });
    }
  }
}

/** An integer column's width in bytes. */
const width = (c: Column) => c.byteSize ?? 8;
