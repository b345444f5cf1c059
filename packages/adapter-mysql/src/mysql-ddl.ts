import type { Column, ForeignKey, Note, Table } from '@hesap/core';
import { mysqlLiteral, quoteMysqlIdent } from './mysql-identifiers';
import { columnComment, formatMysqlDefault, mysqlType } from './mysql-types';

/** InnoDB's longest index key, in bytes (DYNAMIC row format). */
const MAX_KEY_BYTES = 3072;
/** utf8mb4 counts four bytes a character in a key. */
const BYTES_PER_CHAR = 4;

/** What CREATE TABLE needs beyond the table itself. */
export interface CreateTableContext {
  textCollation: string;
  /** The foreign keys to create inline (those MySQL can hold), with names unique in the database. */
  foreignKeys: ForeignKey[];
  /** Columns of other tables' foreign keys that point at this table: they are keys too. */
  referenced: ReadonlySet<string>;
  notes: Note[];
}

const needsLength = (column: Column) =>
  column.origin?.dialect !== 'mysql' && (column.type === 'text' || column.type === 'json' || column.type === 'bytes');

/**
 * Text and bytes in a key need a bounded type (VARCHAR/VARBINARY): each such column gets
 * the longest length that lets every key it is in fit InnoDB's limit, at most 255.
 */
export function keyLengths(table: Table, context: Pick<CreateTableContext, 'foreignKeys' | 'referenced'>): Map<string, number> {
  const keys = [
    table.primaryKey?.columns ?? [],
    ...table.uniques.map((u) => u.columns),
    ...table.indexes.map((i) => i.columns),
    ...context.foreignKeys.map((fk) => fk.columns),
    ...[...context.referenced].map((c) => [c]),
  ];
  const lengths = new Map<string, number>();
  for (const key of keys) {
    const bounded = key.map((name) => table.columns.find((c) => c.name === name)).filter((c): c is Column => c !== undefined && needsLength(c));
    if (bounded.length === 0) continue;
    const each = Math.min(255, Math.floor(MAX_KEY_BYTES / BYTES_PER_CHAR / bounded.length));
    for (const c of bounded) lengths.set(c.name, Math.min(lengths.get(c.name) ?? 255, each));
  }
  return lengths;
}

/** AUTO_INCREMENT needs an integer column that leads some key. */
function autoIncrementColumn(table: Table): string | undefined {
  const name = table.sequence?.column;
  const column = table.columns.find((c) => c.name === name);
  if (!column || column.type !== 'integer') return undefined;
  const leads = [table.primaryKey?.columns, ...table.uniques.map((u) => u.columns), ...table.indexes.map((i) => i.columns)].some((k) => k?.[0] === name);
  return leads ? name : undefined;
}

function columnSql(table: Table, column: Column, type: string, context: CreateTableContext): string {
  const autoIncrement = autoIncrementColumn(table) === column.name;
  let sql = `${quoteMysqlIdent(column.name)} ${type}`;
  sql += column.nullable && !autoIncrement ? ' NULL' : ' NOT NULL';
  if (column.default && !autoIncrement) {
    const value = formatMysqlDefault(column, column.default, type);
    if (value === undefined) {
      context.notes.push({
        level: 'warning',
        code: 'DEFAULT_DROPPED',
        table: table.name,
        column: column.name,
        message: `The default of "${column.name}" has no MySQL equivalent; it is left out.`,
      });
    } else {
      sql += ` DEFAULT ${value}`;
    }
  }
  if (autoIncrement) sql += ' AUTO_INCREMENT';
  // MariaDB's JSON is LONGTEXT with this check (text kept as written); MySQL's own JSON type needs none.
  if (column.type === 'json' && !/^json\b/i.test(type)) sql += ` CHECK (json_valid(${quoteMysqlIdent(column.name)}))`;
  const comment = columnComment({
    origin: column.origin?.dialect === 'mysql' ? undefined : column.origin,
    strict: table.sequence?.column === column.name && table.sequence.strict ? true : undefined,
    fraction: column.fractionDigits,
  });
  if (comment) sql += ` COMMENT ${mysqlLiteral(comment)}`;
  return sql;
}

function foreignKeySql(fk: ForeignKey, notes: Note[], table: string): string {
  let sql = `CONSTRAINT ${quoteMysqlIdent(fk.name!)} FOREIGN KEY (${fk.columns.map(quoteMysqlIdent).join(', ')}) REFERENCES ${quoteMysqlIdent(fk.references.table)} (${fk.references.columns.map(quoteMysqlIdent).join(', ')})`;
  for (const [event, action] of [
    ['DELETE', fk.onDelete],
    ['UPDATE', fk.onUpdate],
  ] as const) {
    if (action === 'NO ACTION') continue;
    if (action === 'SET DEFAULT') {
      notes.push({ level: 'warning', code: 'FOREIGN_KEY_ACTION_DROPPED', table, message: `ON ${event} SET DEFAULT of foreign key "${fk.name}" is not supported by InnoDB; it is left out.` });
      continue;
    }
    sql += ` ON ${event} ${action}`;
  }
  return sql;
}

/**
 * CREATE TABLE with the primary key, unique keys, indexes and foreign keys inline (the
 * load runs with foreign_key_checks off, so tables can point at tables made later), a
 * binary collation, and AUTO_INCREMENT past the source's counter.
 */
export function createTableSql(table: Table, context: CreateTableContext): string {
  const lengths = keyLengths(table, context);
  const lines = table.columns.map((column) => {
    const keyLength = lengths.get(column.name);
    return columnSql(table, column, mysqlType(column, { textCollation: context.textCollation, keyLength }), context);
  });
  const pk = table.primaryKey?.columns;
  if (pk && pk.length > 0) lines.push(`PRIMARY KEY (${pk.map(quoteMysqlIdent).join(', ')})`);
  const used = new Set<string>(['PRIMARY']);
  const indexName = (name: string) => {
    let candidate = name;
    for (let n = 2; used.has(candidate.toLowerCase()); n++) candidate = `${name.slice(0, 60)}_${n}`;
    used.add(candidate.toLowerCase());
    return quoteMysqlIdent(candidate);
  };
  for (const unique of table.uniques) lines.push(`UNIQUE KEY ${indexName(unique.name ?? `${table.name}_key`)} (${unique.columns.map(quoteMysqlIdent).join(', ')})`);
  for (const index of table.indexes) lines.push(`${index.unique ? 'UNIQUE ' : ''}KEY ${indexName(index.name)} (${index.columns.map(quoteMysqlIdent).join(', ')})`);
  for (const fk of context.foreignKeys) lines.push(foreignKeySql(fk, context.notes, table.name));
  const last = autoIncrementColumn(table) === undefined ? undefined : table.sequence?.lastValue;
  const autoIncrement = last !== null && last !== undefined && last > 0n ? ` AUTO_INCREMENT=${(last + 1n).toString()}` : '';
  return `CREATE TABLE ${quoteMysqlIdent(table.name)} (\n  ${lines.join(',\n  ')}\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=${context.textCollation}${autoIncrement}`;
}
