/**
 * What a SQLite declared type means. SQLite derives a column *affinity* from the
 * declared name by substring rules (https://sqlite.org/datatype3.html#determination_of_column_affinity);
 * hesap also reads the *intent* behind a recognised type name, to pick the nicest
 * PostgreSQL type when the data agrees with it.
 */

export type SqliteAffinity = 'INTEGER' | 'TEXT' | 'BLOB' | 'REAL' | 'NUMERIC';

export type TypeIntent =
  | 'integer'
  | 'float'
  | 'decimal'
  | 'boolean'
  | 'timestamp'
  | 'date'
  | 'time'
  | 'json'
  | 'uuid'
  | 'text'
  | 'blob'
  /** No declared type at all. */
  | 'none'
  /** A name SQLite accepts but nobody would call a type (`intege`, `foo`). */
  | 'unknown';

export interface DeclaredType {
  /** As declared, verbatim. */
  raw: string;
  affinity: SqliteAffinity;
  intent: TypeIntent;
  precision?: number;
  scale?: number;
}

/** SQLite's own affinity rules, in their order of precedence. */
export function affinityOf(declared: string): SqliteAffinity {
  const t = declared.toUpperCase();
  if (t.includes('INT')) return 'INTEGER';
  if (t.includes('CHAR') || t.includes('CLOB') || t.includes('TEXT')) return 'TEXT';
  if (t.includes('BLOB') || t.trim() === '') return 'BLOB';
  if (t.includes('REAL') || t.includes('FLOA') || t.includes('DOUB')) return 'REAL';
  return 'NUMERIC';
}

const INTEGER_WORDS = new Set([
  'int',
  'integer',
  'tinyint',
  'smallint',
  'mediumint',
  'bigint',
  'int2',
  'int4',
  'int8',
  'serial',
  'bigserial',
]);
const INTEGER_MODIFIERS = new Set(['unsigned', 'signed', 'big', 'small', 'short', 'long', 'tiny', 'medium', 'auto_increment', 'autoincrement']);
const TEXT_WORDS = new Set([
  'text',
  'char',
  'varchar',
  'nchar',
  'nvarchar',
  'character',
  'varying',
  'national',
  'native',
  'clob',
  'string',
  'tinytext',
  'mediumtext',
  'longtext',
  'citext',
  'nocase',
  'collate',
  'binary',
  'rtrim',
]);

/** Reads a declared type: affinity, intent, and `(p,s)` when given. */
export function parseDeclaredType(raw: string): DeclaredType {
  const affinity = affinityOf(raw);
  const args = /\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)/.exec(raw.replace(/["`[\]]/g, ' '));
  const words = declaredWords(raw);
  const base = { raw, affinity };
  const has = (...names: string[]) => words.some((w) => names.includes(w));
  if (words.length === 0) return { ...base, intent: 'none' };
  // TINYINT(1) is how Sequelize and Laravel declare a boolean in SQLite (MySQL's BOOLEAN).
  if (words.length === 1 && words[0] === 'tinyint' && args?.[1] === '1' && args[2] === undefined) return { ...base, intent: 'boolean' };
  if (words.some((w) => INTEGER_WORDS.has(w)) && words.every((w) => INTEGER_WORDS.has(w) || INTEGER_MODIFIERS.has(w))) {
    return { ...base, intent: 'integer' };
  }
  if (has('bool', 'boolean')) return { ...base, intent: 'boolean' };
  if (has('real', 'double', 'float', 'float4', 'float8')) return { ...base, intent: 'float' };
  if (has('numeric', 'decimal', 'number', 'money')) {
    const precision = args ? Number(args[1]) : undefined;
    const scale = args ? Number(args[2] ?? 0) : undefined;
    return precision !== undefined && precision > 0 && precision <= 1000 && scale! <= precision
      ? { ...base, intent: 'decimal', precision, scale }
      : { ...base, intent: 'decimal' };
  }
  if (has('datetime', 'timestamp', 'timestamptz')) return { ...base, intent: 'timestamp' };
  if (has('date')) return { ...base, intent: 'date' };
  if (has('time')) return { ...base, intent: 'time' };
  if (has('json', 'jsonb')) return { ...base, intent: 'json' };
  if (has('uuid', 'guid')) return { ...base, intent: 'uuid' };
  if (has('blob', 'bytea', 'varbinary', 'longblob', 'mediumblob', 'tinyblob')) return { ...base, intent: 'blob' };
  if (words.every((w) => TEXT_WORDS.has(w))) return { ...base, intent: 'text' };
  return { ...base, intent: 'unknown' };
}

/** The words of a declared type, lower case, without quotes and arguments (`varchar(255)`: `varchar`). */
export function declaredWords(raw: string): string[] {
  return raw
    .replace(/["`[\]]/g, ' ')
    .toLowerCase()
    .replace(/\([^)]*\)/g, ' ')
    .split(/\s+/)
    .filter((w) => w.length > 0);
}

/** True for an intent that names a numeric type: text in such a column is a type mismatch. */
export function isNumericIntent(intent: TypeIntent): boolean {
  return intent === 'integer' || intent === 'float' || intent === 'decimal';
}
