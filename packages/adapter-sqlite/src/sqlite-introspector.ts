import type Database from 'better-sqlite3';
import {
  quoteIdent,
  type Column,
  type DataPolicies,
  type ForeignKey,
  type ForeignKeyAction,
  type Index,
  type IntrospectOptions,
  type KeyConstraint,
  type Note,
  type Schema,
  type Table,
  type View,
} from '@hesap/core';
import { settleChecks } from './sqlite-checks';
import type { ColumnStats } from './sqlite-column-profile';
import { decideColumnType } from './sqlite-column-type';
import { readCreateTable } from './sqlite-create-table';
import { parseDeclaredType, type DeclaredType } from './sqlite-declared-type';
import { parseSqliteDefault } from './sqlite-defaults';
import { readPlace } from './sqlite-place';

interface TableListRow {
  schema: string;
  name: string;
  type: string;
  ncol: number;
  wr: number;
  strict: number;
}

interface XInfoRow {
  cid: number;
  name: string;
  type: string;
  notnull: number;
  dflt_value: string | null;
  pk: number;
  hidden: number;
}

interface ForeignKeyRow {
  id: number;
  seq: number;
  table: string;
  from: string;
  to: string | null;
  on_update: string;
  on_delete: string;
}

interface IndexListRow {
  name: string;
  unique: number;
  origin: string;
  partial: number;
}

interface IndexInfoRow {
  seqno: number;
  cid: number;
  name: string | null;
  key: number;
}

/** What the catalog says about reaching a table's rows, beyond the neutral model. */
export interface SqliteTableLayout {
  /** The name that reaches the rowid (`rowid`, `_rowid_` or `oid`, whichever no column took); none for WITHOUT ROWID tables. */
  readonly rowid?: string;
  /** The INTEGER PRIMARY KEY column that is the rowid: it only ever holds integers. */
  readonly rowidAlias?: string;
  /** SQL that names a row in error messages (`'id=' || quote("id")`). */
  readonly rowLabel: string;
}

/** Called on each table as soon as it is read (the profile), so its notes follow the table's own. */
export type SqliteTableVisitor = (table: Table, layout: SqliteTableLayout, notes: Note[]) => Promise<void>;

/** A column before its data is looked at: the declaration decides. */
const NO_VALUES: ColumnStats = { integers: 0, reals: 0, texts: 0, blobs: 0, integralReals: 0, nonAscii: 0, fitting: 0, dates: 0, millis: 0 };

const ACTIONS: Record<string, ForeignKeyAction> = {
  'NO ACTION': 'NO ACTION',
  RESTRICT: 'RESTRICT',
  CASCADE: 'CASCADE',
  'SET NULL': 'SET NULL',
  'SET DEFAULT': 'SET DEFAULT',
};

/**
 * Reads a SQLite database's catalog into the neutral model: tables, columns, keys, indexes,
 * AUTOINCREMENT state and views from `sqlite_schema` and the PRAGMAs. Column types follow
 * the declarations; deciding them from the data is the profile's work (SqliteProfiler).
 */
export class SqliteIntrospector {
  constructor(
    private readonly db: Database.Database,
    private readonly policies: DataPolicies,
  ) {}

  /**
   * The schema as declared, every table of it (the options choose what to profile, which is
   * `onTable`'s business); `onTable` sees each table and its layout as soon as it is read.
   */
  async introspect(_options: IntrospectOptions = {}, onTable?: SqliteTableVisitor): Promise<Schema> {
    const notes: Note[] = [];
    const list = this.db.prepare('PRAGMA main.table_list').all() as TableListRow[];
    const tables: Table[] = [];
    const views: View[] = [];
    const sqlOf = this.db.prepare('SELECT sql FROM main.sqlite_schema WHERE name = ? AND type IN (\'table\', \'view\')').pluck();
    const sequences = this.readSequences();
    const triggers = this.readTriggers();
    for (const entry of list) {
      if (entry.schema !== 'main' || entry.name.startsWith('sqlite_')) continue;
      if (entry.type === 'view') {
        views.push({ name: entry.name, sql: (sqlOf.get(entry.name) as string | undefined) ?? undefined });
        continue;
      }
      if (entry.type === 'virtual' || entry.type === 'shadow') {
        notes.push({ level: 'warning', code: 'TABLE_SKIPPED', table: entry.name, message: `${entry.type} table "${entry.name}" is not copied.` });
        continue;
      }
      const sql = (sqlOf.get(entry.name) as string | undefined) ?? '';
      const { table, layout } = this.readTable(entry, sql, sequences, notes);
      await onTable?.(table, layout, notes);
      // After the profile: whether a CHECK translates depends on the column types it decided.
      const checks = settleChecks(table, readCreateTable(sql));
      if (checks.length > 0) table.checks = checks;
      const own = triggers.filter((t) => t.table.toLowerCase() === entry.name.toLowerCase());
      if (own.length > 0) table.triggers = own.map(({ name, sql }) => ({ name, sql }));
      tables.push(table);
    }
    if (views.length > 0) {
      notes.push({
        level: 'info',
        code: 'VIEWS_NOT_COPIED',
        message: `Views are listed, not copied: ${views.map((v) => v.name).join(', ')}.`,
      });
    }
    return { dialect: 'sqlite', tables, views, notes };
  }

  private readSequences(): Map<string, bigint> {
    const out = new Map<string, bigint>();
    const exists = this.db.prepare("SELECT 1 FROM main.sqlite_schema WHERE name = 'sqlite_sequence'").get();
    if (!exists) return out;
    const rows = this.db.prepare('SELECT name, seq FROM main.sqlite_sequence').safeIntegers(true).all() as Array<{ name: string; seq: bigint | null }>;
    for (const row of rows) if (row.seq !== null) out.set(row.name, BigInt(row.seq));
    return out;
  }

  /** Every trigger and the table it is on (SQLite matches the name without case). */
  private readTriggers(): Array<{ name: string; table: string; sql: string }> {
    return this.db.prepare("SELECT name, tbl_name AS \"table\", sql FROM main.sqlite_schema WHERE type = 'trigger' ORDER BY name").all() as Array<{
      name: string;
      table: string;
      sql: string;
    }>;
  }

  private readTable(entry: TableListRow, sql: string, sequences: Map<string, bigint>, notes: Note[]): { table: Table; layout: SqliteTableLayout } {
    const name = entry.name;
    const q = quoteIdent(name);
    const xinfo = this.db.prepare(`PRAGMA main.table_xinfo(${q})`).all() as XInfoRow[];
    const columns: Column[] = [];
    const pkColumns = xinfo.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk);
    const withoutRowid = entry.wr === 1;
    const rowidAlias =
      !withoutRowid && pkColumns.length === 1 && pkColumns[0]!.type.trim().toUpperCase() === 'INTEGER' ? pkColumns[0]!.name : undefined;
    const autoincrement = rowidAlias !== undefined && /\bAUTOINCREMENT\b/i.test(sql);
    for (const c of xinfo) {
      if (c.hidden === 1) continue;
      if (c.hidden === 2 || c.hidden === 3) {
        notes.push({
          level: 'warning',
          code: 'GENERATED_COLUMN_SKIPPED',
          table: name,
          column: c.name,
          message: `Generated column "${c.name}" is computed by SQLite and is not copied.`,
        });
        continue;
      }
      const declared = parseDeclaredType(c.type);
      columns.push({
        name: c.name,
        // Until the data is profiled, the declaration is all there is to go on.
        type: decideColumnType(declared, NO_VALUES, this.policies).type,
        declaredType: c.type,
        // A rowid alias can never hold NULL, whatever the declaration says.
        nullable: c.notnull === 0 && c.name !== rowidAlias,
        default: parseSqliteDefault(c.dflt_value),
        generated: c.name === rowidAlias ? true : undefined,
        origin: { dialect: 'sqlite', type: c.type, default: c.dflt_value },
        ...declaredDefaults(declared),
      });
    }
    const place = readPlace(name, sql);
    const table: Table = {
      name,
      ...(place ? { place } : {}),
      columns,
      primaryKey: pkColumns.length > 0 ? { columns: pkColumns.map((c) => c.name) } : undefined,
      uniques: [],
      foreignKeys: this.readForeignKeys(name, pkColumns.length),
      indexes: [],
    };
    this.readIndexes(table, notes);
    if (rowidAlias) {
      table.sequence = { column: rowidAlias, lastValue: autoincrement ? (sequences.get(name) ?? null) : null, strict: autoincrement || undefined };
    }
    const rowid = withoutRowid ? undefined : ['rowid', '_rowid_', 'oid'].find((n) => !xinfo.some((c) => c.name.toLowerCase() === n));
    const labelColumns = table.primaryKey?.columns ?? [];
    const rowLabel =
      labelColumns.length > 0
        ? labelColumns.map((c) => `'${c.replace(/'/g, "''")}=' || quote(${quoteIdent(c)})`).join(" || ', ' || ")
        : rowid
          ? `'rowid=' || ${rowid}`
          : "'?'";
    return { table, layout: { rowid, rowidAlias, rowLabel } };
  }

  private readForeignKeys(table: string, _pkCount: number): ForeignKey[] {
    const rows = this.db.prepare(`PRAGMA main.foreign_key_list(${quoteIdent(table)})`).all() as ForeignKeyRow[];
    const byId = new Map<number, ForeignKeyRow[]>();
    for (const row of rows) byId.set(row.id, [...(byId.get(row.id) ?? []), row]);
    const out: ForeignKey[] = [];
    for (const group of [...byId.values()]) {
      group.sort((a, b) => a.seq - b.seq);
      const first = group[0]!;
      let to = group.map((r) => r.to);
      if (to.some((c) => c === null)) {
        // REFERENCES parent without columns: the parent's primary key.
        const parentPk = (this.db.prepare(`PRAGMA main.table_info(${quoteIdent(first.table)})`).all() as XInfoRow[])
          .filter((c) => c.pk > 0)
          .sort((a, b) => a.pk - b.pk)
          .map((c) => c.name);
        to = parentPk.length === group.length ? parentPk : group.map((r) => r.from);
      }
      out.push({
        columns: group.map((r) => r.from),
        references: { table: first.table, columns: to as string[] },
        onDelete: ACTIONS[first.on_delete.toUpperCase()] ?? 'NO ACTION',
        onUpdate: ACTIONS[first.on_update.toUpperCase()] ?? 'NO ACTION',
      });
    }
    // PRAGMA lists foreign keys last-declared first.
    return out.reverse();
  }

  private readIndexes(table: Table, notes: Note[]): void {
    const list = this.db.prepare(`PRAGMA main.index_list(${quoteIdent(table.name)})`).all() as IndexListRow[];
    const uniques: KeyConstraint[] = [];
    const indexes: Index[] = [];
    for (const entry of [...list].reverse()) {
      if (entry.origin === 'pk') continue;
      const info = (this.db.prepare(`PRAGMA main.index_xinfo(${quoteIdent(entry.name)})`).all() as IndexInfoRow[]).filter((r) => r.key === 1);
      if (info.some((r) => r.cid === -2 || r.name === null)) {
        notes.push({
          level: 'warning',
          code: 'INDEX_SKIPPED',
          table: table.name,
          message: `Index "${entry.name}" is on an expression; it is not copied.`,
        });
        continue;
      }
      if (entry.partial === 1) {
        notes.push({
          level: 'warning',
          code: 'INDEX_SKIPPED',
          table: table.name,
          message: `Index "${entry.name}" is partial (has a WHERE clause); it is not copied.`,
        });
        continue;
      }
      const columns = info.map((r) => r.name as string);
      if (entry.origin === 'u') uniques.push({ columns });
      else indexes.push({ name: entry.name, columns, unique: entry.unique === 1 });
    }
    table.uniques = uniques;
    table.indexes = indexes;
  }
}

function declaredDefaults(declared: DeclaredType): Partial<Column> {
  return declared.intent === 'decimal' && declared.precision !== undefined
    ? { precision: declared.precision, scale: declared.scale }
    : {};
}
