import type pg from 'pg';
import {
  placedName,
  type Column,
  type ForeignKeyAction,
  type IntrospectOptions,
  type Note,
  type Schema,
  type Table,
  type View,
} from '@hesap/core';
import { neutralType, parsePostgresDefault, quoteLiteral, quoteTextArray, readColumnComment, readTableComment, rememberedForm } from './postgres-types';

const ACTIONS: Record<string, ForeignKeyAction> = {
  a: 'NO ACTION',
  r: 'RESTRICT',
  c: 'CASCADE',
  n: 'SET NULL',
  d: 'SET DEFAULT',
};

interface RelationRow {
  oid: number;
  schema: string;
  /** The table's name in the neutral model: bare in the location's schema, `schema.table` elsewhere. */
  name: string;
  relname: string;
  kind: string;
  comment: string | null;
  definition: string | null;
  /** The row count, for a table `counts` asked about. */
  rows?: string | null;
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
  /** The last value of the column's sequence (serial or identity), as text. */
  last: string | null;
}

interface ConstraintRow {
  relid: number;
  name: string;
  type: string;
  keys: number[];
  /** A foreign key's parent, named as in the load, and its columns in the key's order. */
  parent: string | null;
  fcolumns: string[] | null;
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

/** What one catalog query reads. */
interface Catalog {
  relations: RelationRow[];
  columns: ColumnRow[];
  constraints: ConstraintRow[];
  indexes: IndexRow[];
}

/** `last` of a sequence this role may not read. */
const DENIED = 'denied';

/** Schemas that hold the server's own catalogs and hesap's bookkeeping, never user tables. */
const SYSTEM_SCHEMAS = `n.nspname NOT IN ('information_schema', '_hesap') AND n.nspname NOT LIKE 'pg\\_%'`;

/**
 * Reads a PostgreSQL schema from the catalogs into the neutral model. Columns that
 * hesap created from SQLite carry their original declaration in a comment, which is
 * read back as the column's origin.
 *
 * Tables of the location's schema (`public` unless the URL says otherwise) keep their
 * names; a table of another schema is named `schema.table`, carries its place (see
 * TablePlace), and is read only when asked for by that name (`--tables other.t`), by its
 * place (`places`: a push of a table pulled from there) or with `allSchemas`; otherwise a
 * note lists it as left out, so no table is passed over without a word.
 */
export class PostgresIntrospector {
  constructor(
    private readonly client: pg.ClientBase,
    private readonly schema: string,
  ) {}

  async introspect(options: IntrospectOptions = {}): Promise<Schema> {
    return (await this.read(options)).schema;
  }

  /**
   * The schema, and the row counts `options.counts` asks for, from ONE query (issue 24: one
   * round trip however many tables). `before`, statements sent in the same message ahead of
   * it (the source's BEGIN: the snapshot is then taken by the catalog query itself).
   */
  async read(options: IntrospectOptions = {}, before?: string): Promise<{ schema: Schema; counts: Map<string, number> }> {
    const catalog = await this.catalog(options, before);
    const relations = catalog.relations;
    const counts = new Map<string, number>();
    for (const r of relations) if (r.rows !== null && r.rows !== undefined) counts.set(r.name, Number(r.rows));
    return { schema: await this.build(options, catalog), counts };
  }

  private async build(options: IntrospectOptions, catalog: Catalog): Promise<Schema> {
    const { relations } = catalog;
    const notes: Note[] = [];
    const wanted = options.tables ? new Set(options.tables) : undefined;
    const own = (r: RelationRow) => r.schema === this.schema;
    const isTable = (r: RelationRow) => r.kind === 'r' || r.kind === 'p';
    // The places asked for are read under their names, instead of a table of the own schema
    // literally named so (with `allSchemas`, beside it: both are looked at).
    const placed = new Set((options.places ?? []).map((p) => JSON.stringify([p.schema, p.table])));
    const isPlaced = (r: RelationRow) => !own(r) && placed.has(JSON.stringify([r.schema, r.relname]));
    const placedNames = new Set(options.allSchemas ? [] : (options.places ?? []).map(placedName));
    // Otherwise a table of the own schema literally named `other.t` keeps that name; the other schema's `t` gives way.
    const ownNames = new Set(relations.filter((r) => own(r) && !placedNames.has(r.name)).map((r) => r.name));
    const elsewhere = relations.filter((r) => !own(r) && isTable(r) && (isPlaced(r) || !ownNames.has(r.name)));
    const tableRows = [
      ...relations.filter((r) => own(r) && isTable(r) && !placedNames.has(r.name) && (!wanted || wanted.has(r.name))),
      ...elsewhere.filter((r) => isPlaced(r) || (wanted ? wanted.has(r.name) : options.allSchemas === true)),
    ];
    const views: View[] = relations.filter((r) => own(r) && !isTable(r)).map((r) => ({ name: r.name, sql: r.definition ?? undefined }));
    const leftOut = elsewhere.filter((r) => !tableRows.includes(r)).map((r) => r.name);
    if (leftOut.length > 0 && !wanted) notes.push(leftOutNote(leftOut));
    const oids = tableRows.map((r) => r.oid);
    if (oids.length === 0) return { dialect: 'postgres', tables: [], views, notes };

    const { columns, constraints, indexes } = catalog;
    const chosen = new Set(oids);
    const byOid = new Map(relations.map((r) => [r.oid, r]));
    // A sequence this role may not read, on a table read: asked alone, so the error is the server's own.
    for (const c of columns) if (c.last === DENIED && chosen.has(c.relid)) c.last = await this.lastValue(byOid.get(c.relid)!, c.name);
    const columnNames = new Map<number, Map<number, string>>();
    for (const c of columns) {
      if (!columnNames.has(c.relid)) columnNames.set(c.relid, new Map());
      columnNames.get(c.relid)!.set(c.num, c.name);
    }

    const tables: Table[] = [];
    for (const rel of tableRows) {
      const own = columnNames.get(rel.oid) ?? new Map<number, string>();
      const place = rel.schema === this.schema ? undefined : { schema: rel.schema, table: rel.relname };
      const table: Table = { name: rel.name, ...(place ? { place } : {}), columns: [], uniques: [], foreignKeys: [], indexes: [] };
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
          table.sequence = { column: c.name, lastValue: c.last === null ? null : BigInt(c.last), strict: remembered?.strict };
        }
      }
      for (const con of constraints.filter((x) => x.relid === rel.oid)) {
        const cols = con.keys.map((k) => own.get(k)!);
        if (con.type === 'p') table.primaryKey = { name: con.name, columns: cols };
        else if (con.type === 'u') table.uniques.push({ name: con.name, columns: cols });
        else {
          table.foreignKeys.push({
            name: con.name,
            columns: cols,
            references: { table: con.parent!, columns: con.fcolumns ?? [] },
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

  /**
   * The relations, and the columns (with the last value of a serial or identity column's
   * sequence), constraints (a foreign key with its parent's name and columns) and indexes of
   * the tables that may be read, in ONE query: one round trip, however many tables (issue 24).
   * Each kind comes as a JSON array, in the order it is used. No parameters, so that `before`
   * can go in the same message (a simple query); every value is written by quoteLiteral.
   */
  private async catalog(options: IntrospectOptions, before?: string): Promise<Catalog> {
    const own = quoteLiteral(this.schema);
    // The tables whose details are read: a superset of those build() keeps.
    const places = (options.places ?? []).map((p) => `(${quoteLiteral(p.schema)}, ${quoteLiteral(p.table)})`);
    const detailed = [
      options.allSchemas ? 'true' : options.tables ? `r.name = ANY(${quoteTextArray(options.tables)})` : `r.schema = ${own}`,
      ...(places.length > 0 ? [`(r.schema::text, r.relname::text) IN (${places.join(', ')})`] : []),
    ].join(' OR ');
    const counts = options.counts;
    const counted = counts
      ? [
          `r.kind IN ('r', 'p') AND (${detailed})`,
          ...(counts.tables ? [`r.name = ANY(${quoteTextArray(counts.tables)})`] : []),
          ...(counts.exclude && counts.exclude.length > 0 ? [`NOT r.name = ANY(${quoteTextArray(counts.exclude)})`] : []),
        ].join(' AND ')
      : 'false';
    const sql = `WITH rel AS (
        SELECT c.oid, n.nspname AS schema, c.relname,
               CASE WHEN n.nspname = ${own} THEN c.relname ELSE n.nspname || '.' || c.relname END AS name, c.relkind AS kind
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE ${SYSTEM_SCHEMAS} AND c.relkind IN ('r', 'p', 'v', 'm') AND NOT c.relispartition
           AND (n.nspname = ${own} OR c.relkind IN ('r', 'p'))
      ), tab AS (SELECT r.oid FROM rel r WHERE r.kind IN ('r', 'p') AND (${detailed}))
      SELECT
       (SELECT coalesce(json_agg(q ORDER BY q.schema <> ${own}, q.schema, q.relname), '[]')::text FROM (
          SELECT r.oid::int AS oid, r.schema, r.relname, r.name, r.kind, obj_description(r.oid, 'pg_class') AS comment,
                 CASE WHEN r.kind IN ('v', 'm') THEN pg_get_viewdef(r.oid) END AS definition,
                 -- The exact row count, in this statement's snapshot, of each table status asks about.
                 CASE WHEN ${counted} THEN substring(query_to_xml(format('SELECT count(*) AS n FROM %I.%I', r.schema, r.relname), false, true, '')::text FROM '<n>([0-9]+)</n>') END AS rows
            FROM rel r) q) AS relations,
       (SELECT coalesce(json_agg(q ORDER BY q.relid, q.num), '[]')::text FROM (
          SELECT a.attrelid::int AS relid, a.attname AS name, a.attnum::int AS num,
                 format_type(a.atttypid, a.atttypmod) AS type,
                 CASE WHEN t.typtype = 'd' THEN bt.typname WHEN t.typtype = 'e' THEN 'text' ELSE t.typname END AS typname,
                 CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END AS typmod,
                 a.attnotnull AS notnull, pg_get_expr(d.adbin, d.adrelid) AS default,
                 a.attidentity AS identity, a.attgenerated AS generated, col_description(a.attrelid, a.attnum) AS comment,
                 CASE WHEN a.attgenerated <> 's' AND (a.attidentity <> '' OR pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%')
                      THEN (SELECT CASE WHEN s.seq IS NULL THEN NULL
                                        WHEN has_sequence_privilege(s.seq, 'SELECT, USAGE') THEN pg_sequence_last_value(s.seq)::text
                                        ELSE '${DENIED}' END
                              FROM (SELECT pg_get_serial_sequence(format('%I.%I', n.nspname, c.relname), a.attname)::regclass AS seq) s) END AS last
            FROM pg_attribute a
            JOIN pg_class c ON c.oid = a.attrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_type t ON t.oid = a.atttypid
            LEFT JOIN pg_type bt ON bt.oid = t.typbasetype
            LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
           WHERE a.attrelid IN (SELECT oid FROM tab) AND a.attnum > 0 AND NOT a.attisdropped) q) AS columns,
       (SELECT coalesce(json_agg(q ORDER BY q.relid, q.type, q.name), '[]')::text FROM (
          SELECT k.conrelid::int AS relid, k.conname AS name, k.contype AS type, k.conkey::int[] AS keys,
                 (SELECT CASE WHEN pn.nspname = ${own} THEN pc.relname ELSE pn.nspname || '.' || pc.relname END
                    FROM pg_class pc JOIN pg_namespace pn ON pn.oid = pc.relnamespace WHERE pc.oid = k.confrelid) AS parent,
                 (SELECT array_agg(pa.attname ORDER BY f.i)
                    FROM unnest(k.confkey) WITH ORDINALITY f(num, i) JOIN pg_attribute pa ON pa.attrelid = k.confrelid AND pa.attnum = f.num) AS fcolumns,
                 k.confupdtype AS upd, k.confdeltype AS del
            FROM pg_constraint k WHERE k.conrelid IN (SELECT oid FROM tab) AND k.contype IN ('p', 'u', 'f')) q) AS constraints,
       (SELECT coalesce(json_agg(q ORDER BY q.name), '[]')::text FROM (
          SELECT i.indrelid::int AS relid, ic.relname AS name, i.indisunique AS unique, i.indkey::text AS keys,
                 i.indexprs IS NOT NULL AS expression, i.indpred IS NOT NULL AS partial
            FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
           WHERE i.indrelid IN (SELECT oid FROM tab)
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x'))) q) AS indexes`;
    const result = await this.client.query<Record<keyof Catalog, string>>(before ? `${before};\n${sql}` : sql);
    // A message of several statements answers with one result each: the catalog's is the last.
    const last = (Array.isArray(result) ? result[result.length - 1] : result) as pg.QueryResult<Record<keyof Catalog, string>>;
    const row = last.rows[0]!;
    return {
      relations: JSON.parse(row.relations) as RelationRow[],
      columns: JSON.parse(row.columns) as ColumnRow[],
      constraints: JSON.parse(row.constraints) as ConstraintRow[],
      indexes: JSON.parse(row.indexes) as IndexRow[],
    };
  }

  /** The last value of a column's sequence, asked alone: the catalog query found it not readable by this role. */
  private async lastValue(relation: RelationRow, column: string): Promise<string | null> {
    const r = await this.client.query<{ last: string | null }>(
      "SELECT pg_sequence_last_value(pg_get_serial_sequence(format('%I.%I', $1::text, $2::text), $3)::regclass)::text AS last",
      [relation.schema, relation.relname, column],
    );
    return r.rows[0]?.last ?? null;
  }
}

const LISTED = 20;

/** The tables of other schemas that this run leaves out, named, with the flag that brings them. */
function leftOutNote(names: readonly string[]): Note {
  const shown = names.slice(0, LISTED).join(', ') + (names.length > LISTED ? ` and ${names.length - LISTED} more` : '');
  return {
    level: 'warning',
    code: 'OTHER_SCHEMAS_LEFT_OUT',
    message:
      `${names.length} table(s) in other schemas are left out: ${shown}. ` +
      `Name them with --tables (for example --tables ${names[0]}) to include them: each is named schema.table, and a push puts it back into its schema.`,
  };
}
