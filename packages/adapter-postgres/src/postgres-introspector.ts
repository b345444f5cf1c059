import type pg from 'pg';
import {
  quoteQualified,
  type Column,
  type ForeignKeyAction,
  type IntrospectOptions,
  type Note,
  type Schema,
  type Table,
  type View,
} from '@hesap/core';
import { neutralType, parsePostgresDefault, readColumnComment, readTableComment, rememberedForm } from './postgres-types';

const ACTIONS: Record<string, ForeignKeyAction> = {
  a: 'NO ACTION',
  r: 'RESTRICT',
  c: 'CASCADE',
  n: 'SET NULL',
  d: 'SET DEFAULT',
};

interface RelationRow {
  oid: number;
  name: string;
  kind: string;
  comment: string | null;
  definition: string | null;
}

interface ColumnRow {
  relid: number;
  name: string;
  num: number;
  type: string;
  typname: string;
  typmod: number;
  notnull: boolean;
  default: string | null;
  identity: string;
  generated: string;
  comment: string | null;
}

interface ConstraintRow {
  relid: number;
  name: string;
  type: string;
  keys: number[];
  frelid: number | null;
  fkeys: number[] | null;
  upd: string;
  del: string;
}

interface IndexRow {
  relid: number;
  name: string;
  unique: boolean;
  keys: string;
  expression: boolean;
  partial: boolean;
}

/**
 * Reads a PostgreSQL schema from the catalogs into the neutral model. Columns that
 * hesap created from SQLite carry their original declaration in a comment, which is
 * read back as the column's origin.
 */
export class PostgresIntrospector {
  constructor(
    private readonly client: pg.ClientBase,
    private readonly schema: string,
  ) {}

  async introspect(options: IntrospectOptions = {}): Promise<Schema> {
    const notes: Note[] = [];
    const relations = (
      await this.client.query<RelationRow>(
        `SELECT c.oid::int AS oid, c.relname AS name, c.relkind AS kind, obj_description(c.oid, 'pg_class') AS comment,
                CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END AS definition
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm') AND NOT c.relispartition
          ORDER BY c.relname`,
        [this.schema],
      )
    ).rows;
    const wanted = options.tables ? new Set(options.tables) : undefined;
    const tableRows = relations.filter((r) => (r.kind === 'r' || r.kind === 'p') && (!wanted || wanted.has(r.name)));
    const views: View[] = relations.filter((r) => r.kind === 'v' || r.kind === 'm').map((r) => ({ name: r.name, sql: r.definition ?? undefined }));
    const oids = tableRows.map((r) => r.oid);
    if (oids.length === 0) return { dialect: 'postgres', tables: [], views, notes };

    const columns = (
      await this.client.query<ColumnRow>(
        `SELECT a.attrelid::int AS relid, a.attname AS name, a.attnum::int AS num,
                format_type(a.atttypid, a.atttypmod) AS type,
                CASE WHEN t.typtype = 'd' THEN bt.typname WHEN t.typtype = 'e' THEN 'text' ELSE t.typname END AS typname,
                CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END AS typmod,
                a.attnotnull AS notnull, pg_get_expr(d.adbin, d.adrelid) AS default,
                a.attidentity AS identity, a.attgenerated AS generated, col_description(a.attrelid, a.attnum) AS comment
           FROM pg_attribute a
           JOIN pg_type t ON t.oid = a.atttypid
           LEFT JOIN pg_type bt ON bt.oid = t.typbasetype
           LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
          WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
          ORDER BY a.attrelid, a.attnum`,
        [oids],
      )
    ).rows;
    const constraints = (
      await this.client.query<ConstraintRow>(
        `SELECT conrelid::int AS relid, conname AS name, contype AS type, conkey::int[] AS keys,
                confrelid::int AS frelid, confkey::int[] AS fkeys, confupdtype AS upd, confdeltype AS del
           FROM pg_constraint WHERE conrelid = ANY($1::oid[]) AND contype IN ('p', 'u', 'f')
          ORDER BY conrelid, contype, conname`,
        [oids],
      )
    ).rows;
    const indexes = (
      await this.client.query<IndexRow>(
        `SELECT i.indrelid::int AS relid, ic.relname AS name, i.indisunique AS unique, i.indkey::text AS keys,
                i.indexprs IS NOT NULL AS expression, i.indpred IS NOT NULL AS partial
           FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
          WHERE i.indrelid = ANY($1::oid[])
            AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x'))
          ORDER BY ic.relname`,
        [oids],
      )
    ).rows;

    const nameOf = new Map(relations.map((r) => [r.oid, r.name]));
    const columnNames = new Map<number, Map<number, string>>();
    for (const c of columns) {
      if (!columnNames.has(c.relid)) columnNames.set(c.relid, new Map());
      columnNames.get(c.relid)!.set(c.num, c.name);
    }
    const allColumnNames = async (relid: number): Promise<Map<number, string>> => {
      if (columnNames.has(relid)) return columnNames.get(relid)!;
      const rows = (
        await this.client.query<{ num: number; name: string }>(
          'SELECT attnum::int AS num, attname AS name FROM pg_attribute WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped',
          [relid],
        )
      ).rows;
      const map = new Map(rows.map((r) => [r.num, r.name]));
      columnNames.set(relid, map);
      return map;
    };

    const tables: Table[] = [];
    for (const rel of tableRows) {
      const own = columnNames.get(rel.oid) ?? new Map<number, string>();
      const table: Table = { name: rel.name, columns: [], uniques: [], foreignKeys: [], indexes: [] };
      for (const c of columns.filter((x) => x.relid === rel.oid)) {
        if (c.generated === 's') {
          notes.push({ level: 'warning', code: 'GENERATED_COLUMN_SKIPPED', table: rel.name, column: c.name, message: `Generated column "${c.name}" is not copied.` });
          continue;
        }
        const remembered = readColumnComment(c.comment);
        const isSerial = c.default?.startsWith('nextval(') ?? false;
        const column: Column = {
          name: c.name,
          ...neutralType(c.typname, c.typmod),
          declaredType: c.type,
          nullable: !c.notnull,
          default: isSerial || c.identity ? undefined : parsePostgresDefault(c.default),
          generated: c.identity !== '' || isSerial || undefined,
          origin: remembered?.origin ?? { dialect: 'postgres', type: c.type, default: c.default },
          ...rememberedForm(remembered),
        };
        table.columns.push(column);
        if (column.generated) {
          const last = await this.client.query<{ last: string | null }>(
            'SELECT pg_sequence_last_value(pg_get_serial_sequence($1, $2)::regclass)::text AS last',
            [quoteQualified(this.schema, rel.name), c.name],
          );
          const value = last.rows[0]?.last;
          table.sequence = { column: c.name, lastValue: value === null || value === undefined ? null : BigInt(value), strict: remembered?.strict };
        }
      }
      for (const con of constraints.filter((x) => x.relid === rel.oid)) {
        const cols = con.keys.map((k) => own.get(k)!);
        if (con.type === 'p') table.primaryKey = { name: con.name, columns: cols };
        else if (con.type === 'u') table.uniques.push({ name: con.name, columns: cols });
        else {
          const parent = await allColumnNames(con.frelid!);
          const parentName = nameOf.get(con.frelid!) ?? (await this.relationName(con.frelid!));
          table.foreignKeys.push({
            name: con.name,
            columns: cols,
            references: { table: parentName, columns: (con.fkeys ?? []).map((k) => parent.get(k)!) },
            onDelete: ACTIONS[con.del] ?? 'NO ACTION',
            onUpdate: ACTIONS[con.upd] ?? 'NO ACTION',
          });
        }
      }
      for (const idx of indexes.filter((x) => x.relid === rel.oid)) {
        const keys = idx.keys.split(' ').map(Number);
        if (idx.expression || idx.partial || keys.some((k) => k === 0)) {
          notes.push({ level: 'warning', code: 'INDEX_SKIPPED', table: rel.name, message: `Index "${idx.name}" is on an expression or partial; it is not copied.` });
          continue;
        }
        table.indexes.push({ name: idx.name, unique: idx.unique, columns: keys.map((k) => own.get(k)!) });
      }
      const remembered = readTableComment(rel.comment);
      if (remembered?.primaryKey && !table.primaryKey) table.declaredPrimaryKey = remembered.primaryKey;
      tables.push(table);
    }
    return { dialect: 'postgres', tables, views, notes };
  }

  private async relationName(oid: number): Promise<string> {
    const r = await this.client.query<{ name: string }>('SELECT relname AS name FROM pg_class WHERE oid = $1', [oid]);
    return r.rows[0]?.name ?? String(oid);
  }
}
