import type { RowDataPacket } from 'mysql2/promise';
import type { Column, ForeignKeyAction, IntrospectOptions, Note, Schema, Table, View } from '@hesap/core';
import type { MysqlConnection } from './mysql-connection';
import { quoteMysqlIdent } from './mysql-identifiers';
import { isBooleanCandidate, neutralType, parseMysqlDefault, readColumnComment, type MysqlColumnInfo } from './mysql-types';

interface TableRow extends RowDataPacket {
  name: string;
  kind: string;
  autoIncrement: string | null;
  definition: string | null;
}

interface ColumnRow extends RowDataPacket {
  tableName: string;
  name: string;
  dataType: string;
  columnType: string;
  nullable: string;
  columnDefault: string | null;
  precision: string | null;
  scale: string | null;
  datetimePrecision: string | null;
  charset: string | null;
  collation: string | null;
  extra: string;
  comment: string;
}

interface KeyRow extends RowDataPacket {
  tableName: string;
  name: string;
  type: string;
  columnName: string;
  referencedTable: string | null;
  referencedColumn: string | null;
  updateRule: string | null;
  deleteRule: string | null;
}

interface IndexRow extends RowDataPacket {
  tableName: string;
  name: string;
  nonUnique: string;
  columnName: string | null;
  subPart: string | null;
}

interface CheckRow extends RowDataPacket {
  tableName: string;
  clause: string;
}

/** InnoDB treats RESTRICT and NO ACTION alike (both check at once), and reports the default as RESTRICT. */
const ACTIONS: Record<string, ForeignKeyAction> = {
  'NO ACTION': 'NO ACTION',
  RESTRICT: 'NO ACTION',
  CASCADE: 'CASCADE',
  'SET NULL': 'SET NULL',
  'SET DEFAULT': 'SET DEFAULT',
};

const JSON_CHECK = /^json_valid\(`((?:[^`]|``)+)`\)$/i;

/**
 * Reads a MySQL/MariaDB database from information_schema into the neutral model:
 * tables, columns (types, defaults, AUTO_INCREMENT), primary, unique and foreign keys,
 * indexes and views. With `profile`, TINYINT(1) columns are booleans only when they
 * hold nothing but 0 and 1.
 */
export class MysqlIntrospector {
  constructor(
    private readonly connection: MysqlConnection,
    private readonly database: string,
    private readonly mariadb: boolean,
  ) {}

  private async rows<T extends RowDataPacket>(sql: string, values: unknown[] = []): Promise<T[]> {
    const [rows] = await this.connection.query<T[]>(sql, values);
    return rows;
  }

  async introspect(options: IntrospectOptions = {}): Promise<Schema> {
    const db = this.database;
    const notes: Note[] = [];
    const relations = await this.rows<TableRow>(
      `SELECT t.TABLE_NAME AS name, t.TABLE_TYPE AS kind, t.AUTO_INCREMENT AS autoIncrement, v.VIEW_DEFINITION AS definition
         FROM information_schema.TABLES t
         LEFT JOIN information_schema.VIEWS v ON v.TABLE_SCHEMA = t.TABLE_SCHEMA AND v.TABLE_NAME = t.TABLE_NAME
        WHERE t.TABLE_SCHEMA = ? ORDER BY t.TABLE_NAME`,
      [db],
    );
    const wanted = options.tables ? new Set(options.tables) : undefined;
    const tableRows = relations.filter((r) => r.kind === 'BASE TABLE' && (!wanted || wanted.has(r.name)));
    const views: View[] = relations.filter((r) => r.kind === 'VIEW').map((r) => ({ name: r.name, sql: r.definition ?? undefined }));
    if (tableRows.length === 0) return { dialect: 'mysql', tables: [], views, notes };

    const columns = await this.rows<ColumnRow>(
      `SELECT TABLE_NAME AS tableName, COLUMN_NAME AS name, DATA_TYPE AS dataType, COLUMN_TYPE AS columnType, IS_NULLABLE AS nullable,
              COLUMN_DEFAULT AS columnDefault, NUMERIC_PRECISION AS \`precision\`, NUMERIC_SCALE AS scale, DATETIME_PRECISION AS datetimePrecision,
              CHARACTER_SET_NAME AS charset, COLLATION_NAME AS collation, EXTRA AS extra, COLUMN_COMMENT AS comment
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, ORDINAL_POSITION`,
      [db],
    );
    const keys = await this.rows<KeyRow>(
      `SELECT tc.TABLE_NAME AS tableName, tc.CONSTRAINT_NAME AS name, tc.CONSTRAINT_TYPE AS type, k.COLUMN_NAME AS columnName,
              k.REFERENCED_TABLE_NAME AS referencedTable, k.REFERENCED_COLUMN_NAME AS referencedColumn,
              r.UPDATE_RULE AS updateRule, r.DELETE_RULE AS deleteRule
         FROM information_schema.TABLE_CONSTRAINTS tc
         JOIN information_schema.KEY_COLUMN_USAGE k
           ON k.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA AND k.TABLE_NAME = tc.TABLE_NAME AND k.CONSTRAINT_NAME = tc.CONSTRAINT_NAME
         LEFT JOIN information_schema.REFERENTIAL_CONSTRAINTS r
           ON r.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA AND r.TABLE_NAME = tc.TABLE_NAME AND r.CONSTRAINT_NAME = tc.CONSTRAINT_NAME
        WHERE tc.TABLE_SCHEMA = ? AND tc.CONSTRAINT_TYPE IN ('PRIMARY KEY', 'UNIQUE', 'FOREIGN KEY')
        ORDER BY tc.TABLE_NAME, tc.CONSTRAINT_TYPE, tc.CONSTRAINT_NAME, k.ORDINAL_POSITION`,
      [db],
    );
    const indexes = await this.rows<IndexRow>(
      `SELECT TABLE_NAME AS tableName, INDEX_NAME AS name, NON_UNIQUE AS nonUnique, COLUMN_NAME AS columnName, SUB_PART AS subPart
         FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`,
      [db],
    );
    const jsonColumns = await this.jsonColumns();

    const tables: Table[] = [];
    for (const rel of tableRows) {
      const table: Table = { name: rel.name, columns: [], uniques: [], foreignKeys: [], indexes: [] };
      const booleanCandidates: Column[] = [];
      for (const c of columns.filter((x) => x.tableName === rel.name)) {
        if (/GENERATED/i.test(c.extra) && !/DEFAULT_GENERATED/i.test(c.extra)) {
          notes.push({ level: 'warning', code: 'GENERATED_COLUMN_SKIPPED', table: rel.name, column: c.name, message: `Generated column "${c.name}" is not copied.` });
          continue;
        }
        const info: MysqlColumnInfo = {
          dataType: c.dataType.toLowerCase(),
          columnType: c.columnType,
          precision: c.precision === null ? null : Number(c.precision),
          scale: c.scale === null ? null : Number(c.scale),
          datetimePrecision: c.datetimePrecision === null ? null : Number(c.datetimePrecision),
        };
        const remembered = readColumnComment(c.comment);
        const autoIncrement = /auto_increment/i.test(c.extra);
        const ownType = c.charset ? `${c.columnType} CHARACTER SET ${c.charset} COLLATE ${c.collation}` : c.columnType;
        const column: Column = {
          name: c.name,
          ...neutralType(info),
          ...(jsonColumns.get(rel.name)?.has(c.name) ? { type: 'json' as const } : {}),
          declaredType: c.columnType,
          nullable: c.nullable === 'YES',
          default: autoIncrement ? undefined : parseMysqlDefault(c.columnDefault, info, this.mariadb, c.extra),
          generated: autoIncrement || undefined,
          origin: remembered?.origin ?? { dialect: 'mysql', type: ownType, default: c.columnDefault },
          ...(remembered?.fraction !== undefined ? { fractionDigits: remembered.fraction } : {}),
        };
        if (column.type === 'boolean' && isBooleanCandidate(info)) booleanCandidates.push(column);
        table.columns.push(column);
        if (autoIncrement) {
          const next = rel.autoIncrement === null ? null : BigInt(rel.autoIncrement);
          table.sequence = { column: c.name, lastValue: next === null || next <= 1n ? null : next - 1n, strict: remembered?.strict };
        }
      }
      if (options.profile && booleanCandidates.length > 0) await this.checkBooleans(table, booleanCandidates, notes);

      const constraints = new Map<string, KeyRow[]>();
      for (const k of keys.filter((x) => x.tableName === rel.name)) constraints.set(`${k.type}\u0000${k.name}`, [...(constraints.get(`${k.type}\u0000${k.name}`) ?? []), k]);
      const constraintNames = new Set<string>();
      for (const group of constraints.values()) {
        const first = group[0]!;
        constraintNames.add(first.name);
        const cols = group.map((k) => k.columnName);
        if (first.type === 'PRIMARY KEY') table.primaryKey = { name: `${rel.name}_pkey`, columns: cols };
        else if (first.type === 'UNIQUE') table.uniques.push({ name: first.name, columns: cols });
        else {
          table.foreignKeys.push({
            name: first.name,
            columns: cols,
            references: { table: first.referencedTable!, columns: group.map((k) => k.referencedColumn!) },
            onDelete: ACTIONS[first.deleteRule ?? ''] ?? 'NO ACTION',
            onUpdate: ACTIONS[first.updateRule ?? ''] ?? 'NO ACTION',
          });
        }
      }
      const byIndex = new Map<string, IndexRow[]>();
      for (const i of indexes.filter((x) => x.tableName === rel.name)) byIndex.set(i.name, [...(byIndex.get(i.name) ?? []), i]);
      for (const [name, parts] of byIndex) {
        // PRIMARY and UNIQUE constraints are indexes too; InnoDB also makes one for each foreign key that has none.
        if (name === 'PRIMARY' || constraintNames.has(name)) continue;
        if (parts.some((p) => p.columnName === null || p.subPart !== null)) {
          notes.push({ level: 'warning', code: 'INDEX_SKIPPED', table: rel.name, message: `Index "${name}" is on an expression or a prefix; it is not copied.` });
          continue;
        }
        table.indexes.push({ name, unique: parts[0]!.nonUnique === '0' || Number(parts[0]!.nonUnique) === 0, columns: parts.map((p) => p.columnName!) });
      }
      tables.push(table);
    }
    return { dialect: 'mysql', tables, views, notes };
  }

  /** Columns that MariaDB's JSON alias (or our own DDL) guards with `CHECK (json_valid(col))`, by table. */
  private async jsonColumns(): Promise<Map<string, Set<string>>> {
    let checks: CheckRow[];
    try {
      checks = await this.rows<CheckRow>(
        'SELECT TABLE_NAME AS tableName, CHECK_CLAUSE AS clause FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?',
        [this.database],
      );
    } catch {
      // MySQL 8 names no table in CHECK_CONSTRAINTS.
      checks = await this.rows<CheckRow>(
        `SELECT tc.TABLE_NAME AS tableName, cc.CHECK_CLAUSE AS clause FROM information_schema.TABLE_CONSTRAINTS tc
           JOIN information_schema.CHECK_CONSTRAINTS cc ON cc.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA AND cc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME
          WHERE tc.TABLE_SCHEMA = ? AND tc.CONSTRAINT_TYPE = 'CHECK'`,
        [this.database],
      ).catch(() => []);
    }
    const out = new Map<string, Set<string>>();
    for (const check of checks) {
      const column = JSON_CHECK.exec(check.clause.trim())?.[1]?.replace(/``/g, '`');
      if (column !== undefined) out.set(check.tableName, (out.get(check.tableName) ?? new Set()).add(column));
    }
    return out;
  }

  /** TINYINT(1) holding values other than 0 and 1 is an integer column: a boolean would lose them. */
  private async checkBooleans(table: Table, candidates: Column[], notes: Note[]): Promise<void> {
    const sums = candidates.map((c, i) => `COALESCE(SUM(${quoteMysqlIdent(c.name)} NOT IN (0, 1)), 0) AS c${i}`).join(', ');
    const [row] = await this.rows<RowDataPacket>(`SELECT ${sums} FROM ${quoteMysqlIdent(table.name)}`);
    candidates.forEach((column, i) => {
      if (Number(row?.[`c${i}`] ?? 0) > 0) {
        // A TINYINT fits PostgreSQL's smallint.
        Object.assign(column, { type: 'integer', byteSize: 2 });
        notes.push({ level: 'info', code: 'TYPE_FALLBACK', table: table.name, column: column.name, message: `"${column.name}" is TINYINT(1) but holds values other than 0 and 1; it is copied as an integer.` });
      }
    });
  }
}
