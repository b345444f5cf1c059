import { quoteIdent, type Column, type ForeignKey, type Note, type Table } from '@hesap/core';
import { formatSqliteDefault } from './sqlite-defaults';
import { placeComment } from './sqlite-place';

/**
 * CREATE statements for SQLite from the neutral model. A column that came from SQLite
 * gets its original declaration back (and so its affinity); others get the SQLite type
 * whose affinity keeps their values as they are, named as the ORMs that read SQLite by
 * its declarations map it (Sequelize and Rails: `DATETIME`, `BOOLEAN`, `JSON`).
 */

/** The declared type a column gets in SQLite. */
export function sqliteDeclaredType(column: Column): string {
  if (column.origin?.dialect === 'sqlite') return column.origin.type;
  switch (column.type) {
    case 'integer':
      return 'INTEGER';
    case 'float':
      return 'REAL';
    case 'decimal':
      return column.precision !== undefined ? `NUMERIC(${column.precision},${column.scale ?? 0})` : 'NUMERIC';
    case 'boolean':
      return 'BOOLEAN';
    case 'bytes':
      return 'BLOB';
    case 'date':
      return 'DATE';
    case 'time':
      return 'TIME';
    // Sequelize parses only `DATETIME` columns into dates; a timestamptz is written with its zone.
    case 'timestamp':
    case 'timestamptz':
      return 'DATETIME';
    // `JSON` has NUMERIC affinity, which would store the document `1.50` as the number 1.5:
    // declared so only where the source's values were looked at and none is a bare number.
    case 'json':
      return column.jsonNumbers === false ? 'JSON' : 'TEXT';
    // UUIDs keep TEXT affinity.
    case 'uuid':
    case 'text':
      return 'TEXT';
  }
}

function defaultClause(table: Table, column: Column, notes: Note[]): string {
  if (column.origin?.dialect === 'sqlite') {
    return column.origin.default !== undefined && column.origin.default !== null ? ` DEFAULT ${wrapDefault(column.origin.default)}` : '';
  }
  if (!column.default) return '';
  const sql = formatSqliteDefault(column.default);
  if (sql === undefined) {
    notes.push({
      level: 'warning',
      code: 'DEFAULT_DROPPED',
      table: table.name,
      column: column.name,
      message: `The default of "${column.name}" has no SQLite equivalent; it is left out.`,
    });
    return '';
  }
  return ` DEFAULT ${sql}`;
}

/** SQLite accepts a bare literal after DEFAULT, anything else in parentheses. */
function wrapDefault(sql: string): string {
  let t = sql.trim();
  // Double-quoted string literals are legacy; builds with SQLITE_DQS=0 refuse them.
  if (/^"(?:[^"]|"")*"$/s.test(t)) t = `'${t.slice(1, -1).split('""').join('"').replace(/'/g, "''")}'`;
  if (/^[+-]?[\d.]+([eE][+-]?\d+)?$|^'.*'$|^".*"$|^(NULL|TRUE|FALSE|CURRENT_TIMESTAMP|CURRENT_DATE|CURRENT_TIME)$/is.test(t)) return t;
  return t.startsWith('(') ? t : `(${t})`;
}

function foreignKeyClause(fk: ForeignKey): string {
  let sql = `FOREIGN KEY (${fk.columns.map(quoteIdent).join(', ')}) REFERENCES ${quoteIdent(fk.references.table)} (${fk.references.columns
    .map(quoteIdent)
    .join(', ')})`;
  if (fk.onDelete !== 'NO ACTION') sql += ` ON DELETE ${fk.onDelete}`;
  if (fk.onUpdate !== 'NO ACTION') sql += ` ON UPDATE ${fk.onUpdate}`;
  return sql;
}

/** The CREATE TABLE statement, with keys and foreign keys inline (SQLite cannot add them later). */
export function createTableSql(table: Table, notes: Note[]): string {
  const pk = table.declaredPrimaryKey ?? table.primaryKey?.columns ?? [];
  const seq = table.sequence;
  // A single generated integer key becomes a rowid alias, AUTOINCREMENT kept when it was strict.
  const rowidAlias =
    pk.length === 1 && seq && seq.column === pk[0] && table.columns.find((c) => c.name === pk[0])?.type === 'integer' ? pk[0] : undefined;
  const lines = table.columns.map((column) => {
    let type = sqliteDeclaredType(column);
    if (column.name === rowidAlias && type.trim().toUpperCase() !== 'INTEGER') type = 'INTEGER';
    let sql = `${quoteIdent(column.name)}${type ? ` ${type}` : ''}`;
    if (column.name === rowidAlias) sql += ` PRIMARY KEY${seq?.strict ? ' AUTOINCREMENT' : ''}`;
    if (!column.nullable && column.name !== rowidAlias) sql += ' NOT NULL';
    return sql + defaultClause(table, column, notes);
  });
  if (pk.length > 0 && !rowidAlias) lines.push(`PRIMARY KEY (${pk.map(quoteIdent).join(', ')})`);
  for (const unique of table.uniques) {
    if (table.declaredPrimaryKey && sameColumns(unique.columns, table.declaredPrimaryKey)) continue;
    lines.push(`UNIQUE (${unique.columns.map(quoteIdent).join(', ')})`);
  }
  for (const fk of table.foreignKeys) lines.push(foreignKeyClause(fk));
  // A table of another schema records its place, so that a push puts it back there.
  return `CREATE TABLE ${quoteIdent(table.name)} (${placeComment(table.place)}\n  ${lines.join(',\n  ')}\n)`;
}

export function createIndexSql(table: Table): string[] {
  return table.indexes.map(
    (index) =>
      `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX ${quoteIdent(index.name)} ON ${quoteIdent(table.name)} (${index.columns.map(quoteIdent).join(', ')})`,
  );
}

function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((c, i) => c === b[i]);
}
