import { isUtf8 } from 'node:buffer';
import type Database from 'better-sqlite3';
import {
  HesapError,
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
import { decideColumnType, needsTextCheck, profileParts, quickPlan, readProfile, readQuick, type ColumnDecision, type ColumnStats } from './sqlite-column-profile';
import { parseDeclaredType, type DeclaredType } from './sqlite-declared-type';
import type { ProfileHelpers } from './sqlite-profile-helpers';
import { parseSqliteDefault } from './sqlite-defaults';

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

/** What the introspector learned beyond the neutral model, for reading the table. */
export interface SqliteTableInfo {
  /** The table has a rowid to page through (not WITHOUT ROWID, and a name to reach it by). */
  rowidName?: string;
  /** SQL that names a row in error messages (`'id=' || "id"`). */
  rowLabel: string;
  /** Columns whose text goes through the repair function. */
  repair: Set<string>;
  /** The row count, when the profile counted it (the same snapshot). */
  rows?: number;
  /** The INTEGER PRIMARY KEY column that is the rowid: it only ever holds integers. */
  rowidAlias?: string;
}

/** Tables with fewer rowids than this are profiled by one thread. */
const PARALLEL_MIN_ROWS = 100_000;

/** `parts` ranges covering [lo, hi], about equal in width. */
function splitRange(lo: bigint, hi: bigint, parts: number): Array<[bigint, bigint]> {
  const width = (hi - lo + 1n) / BigInt(parts);
  const out: Array<[bigint, bigint]> = [];
  for (let k = 0; k < parts; k++) {
    const a = lo + width * BigInt(k);
    out.push([a, k === parts - 1 ? hi : a + width - 1n]);
  }
  return out;
}

/** Columns per profile query: 9 aggregates each, under SQLite's 2000 result columns. */
const PROFILE_COLUMNS = 200;

const NO_VALUES = { integers: 0, reals: 0, texts: 0, blobs: 0, integralReals: 0, nonAscii: 0, fitting: 0, dates: 0, millis: 0 };

const ACTIONS: Record<string, ForeignKeyAction> = {
  'NO ACTION': 'NO ACTION',
  RESTRICT: 'RESTRICT',
  CASCADE: 'CASCADE',
  'SET NULL': 'SET NULL',
  'SET DEFAULT': 'SET DEFAULT',
};

/**
 * Reads a SQLite database into the neutral model: tables, columns, keys, indexes,
 * AUTOINCREMENT state and views from `sqlite_schema` and the PRAGMAs, and (with
 * `profile`) each column's type decided from its data.
 */
export class SqliteIntrospector {
  readonly info = new Map<string, SqliteTableInfo>();

  constructor(
    private readonly db: Database.Database,
    private readonly policies: DataPolicies,
    /** Threads that share the profile scans of big tables (same snapshot as `db`). */
    private helpers?: ProfileHelpers,
  ) {}

  /** Hands the helpers back (the caller closes them); later profiles run on this thread. */
  releaseHelpers(): ProfileHelpers | undefined {
    const helpers = this.helpers;
    this.helpers = undefined;
    return helpers;
  }

  async introspect(options: IntrospectOptions = {}): Promise<Schema> {
    const notes: Note[] = [];
    const list = this.db.prepare('PRAGMA main.table_list').all() as TableListRow[];
    const wanted = options.tables ? new Set(options.tables) : undefined;
    const tables: Table[] = [];
    const views: View[] = [];
    const sqlOf = this.db.prepare('SELECT sql FROM main.sqlite_schema WHERE name = ? AND type IN (\'table\', \'view\')').pluck();
    const sequences = this.readSequences();
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
      const table = this.readTable(entry, (sqlOf.get(entry.name) as string) ?? '', sequences, notes);
      if (options.profile && (!wanted || wanted.has(entry.name))) await this.profile(table, notes);
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

  private readTable(entry: TableListRow, sql: string, sequences: Map<string, bigint>, notes: Note[]): Table {
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
    const table: Table = {
      name,
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
    const rowidName = withoutRowid ? undefined : ['rowid', '_rowid_', 'oid'].find((n) => !xinfo.some((c) => c.name.toLowerCase() === n));
    const labelColumns = table.primaryKey?.columns ?? [];
    const rowLabel =
      labelColumns.length > 0
        ? labelColumns.map((c) => `'${c.replace(/'/g, "''")}=' || quote(${quoteIdent(c)})`).join(" || ', ' || ")
        : rowidName
          ? `'rowid=' || ${rowidName}`
          : "'?'";
    this.info.set(name, { rowidName, rowLabel, repair: new Set(), rowidAlias });
    return table;
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

  /** Decides each column's type from the data, or fails naming the first row that cannot be kept. */
  private async profile(table: Table, notes: Note[]): Promise<void> {
    if (table.columns.length === 0) return;
    const empty = table.columns.findIndex((c) => c.name.length === 0);
    if (empty >= 0) {
      throw new HesapError('IDENTIFIER_INVALID', `Table "${table.name}": column ${empty + 1} has an empty name, which other databases cannot hold.`, {
        table: table.name,
        hints: ['Give the column a name, or leave the table out with --exclude.'],
      });
    }
    const declared = table.columns.map((c) => ({ name: c.name, declared: parseDeclaredType(c.declaredType) }));
    // A result row holds at most 2000 columns: wide tables are profiled in slices.
    const info = this.info.get(table.name)!;
    // Tables read in batches have their text checked as it streams: no text test here.
    const checkText = info.rowidName === undefined;
    const stats = await this.measure(table.name, declared, checkText);
    table.columns.forEach((column, i) => {
      const decision = decideColumnType(declared[i]!.declared, stats[i]!, this.policies);
      if (decision.problem) this.fail(table, column, decision);
      if (stats[i]!.nonAscii > 0 && !decision.repairText) this.checkText(table, column);
      applyDecision(column, decision);
      if (decision.repairText) info.repair.add(column.name);
      else if (!checkText && this.policies.invalidText === 'replace' && isQuotedText(column)) info.repair.add(column.name);
      if (decision.note) notes.push({ level: 'warning', code: 'TYPE_FALLBACK', table: table.name, column: column.name, message: decision.note });
    });
    // A SQLite primary key may hold NULLs (only rowid aliases cannot); elsewhere it stays unique.
    if (table.primaryKey) {
      const pk = table.primaryKey.columns;
      const nullable = pk.filter((c) => table.columns.find((col) => col.name === c)?.nullable);
      if (nullable.length > 0) {
        const where = nullable.map((c) => `${quoteIdent(c)} IS NULL`).join(' OR ');
        const hasNull = this.db.prepare(`SELECT 1 FROM ${quoteIdent(table.name)} WHERE ${where} LIMIT 1`).get();
        if (hasNull) {
          table.declaredPrimaryKey = pk;
          table.uniques.unshift({ columns: pk });
          table.primaryKey = undefined;
          notes.push({
            level: 'warning',
            code: 'PRIMARY_KEY_HAS_NULLS',
            table: table.name,
            message: `The primary key (${pk.join(', ')}) holds NULLs, which SQLite allows; it becomes a UNIQUE constraint elsewhere and is restored as a primary key in SQLite.`,
          });
        } else {
          for (const c of pk) table.columns.find((col) => col.name === c)!.nullable = false;
        }
      }
    }
  }

  /**
   * Column stats in as few cheap scans as possible: a quick pass that only counts what
   * each declaration does not lead one to expect, then the full breakdown for the columns
   * that surprised (and those without a declaration). Wide tables go in slices (a result
   * row holds at most 2000 columns).
   */
  private async measure(tableName: string, declared: Array<{ name: string; declared: DeclaredType }>, checkText: boolean): Promise<ColumnStats[]> {
    const info = this.info.get(tableName)!;
    const plans = declared.map((d) => quickPlan(d.name, d.declared, checkText));
    const stats: Array<ColumnStats | undefined> = new Array(declared.length);
    // The rowid alias holds integers and nothing else, NULL included: no need to look.
    const alias = declared.findIndex((d) => d.name === info.rowidAlias);
    if (alias >= 0) stats[alias] = { integers: 1, reals: 0, texts: 0, blobs: 0, integralReals: 0, nonAscii: 0, fitting: 0, dates: 0, millis: 0 };
    const quick = plans.map((p, i) => ({ p, i })).filter(({ p, i }) => p.parts.length > 0 && i !== alias);
    let counted = false;
    for (let at = 0; at < Math.max(1, quick.length); at += PROFILE_COLUMNS) {
      const slice = quick.slice(at, at + PROFILE_COLUMNS);
      const row = await this.aggregate(tableName, [...slice.flatMap(({ p }) => p.parts), 'count(*)']);
      info.rows = Number(row[row.length - 1]);
      counted = true;
      let offset = 0;
      for (const { p, i } of slice) {
        stats[i] = readQuick(p, declared[i]!.declared, row.slice(offset, offset + p.parts.length), checkText);
        offset += p.parts.length;
      }
    }
    const rest = declared.map((d, i) => ({ d, i })).filter(({ i }) => stats[i] === undefined);
    for (let at = 0; at < rest.length; at += PROFILE_COLUMNS) {
      const slice = rest.slice(at, at + PROFILE_COLUMNS);
      const row = await this.aggregate(tableName, profileParts(slice.map(({ d }) => d), checkText));
      if (!counted) info.rows = Number(row[row.length - 1]);
      readProfile(row, slice.length).forEach((s, k) => (stats[slice[k]!.i] = s));
    }
    return stats as ColumnStats[];
  }

  /**
   * One row of aggregates (counts and sums, integers as BigInt) over the whole table. With
   * helper threads, a table read by rowid is cut into ranges of rowids, one per thread (this
   * one included), and the sums added up.
   */
  private async aggregate(tableName: string, parts: readonly string[]): Promise<bigint[]> {
    const from = `SELECT ${parts.join(', ')} FROM ${quoteIdent(tableName)}`;
    const r = this.info.get(tableName)!.rowidName;
    const whole = () => this.db.prepare(from).raw(true).safeIntegers(true).get() as Array<bigint | null>;
    if (!this.helpers || !r) return whole().map((v) => v ?? 0n);
    // Two subqueries: SQLite reads a lone min() or max() of the rowid off the b-tree's edge,
    // but min() and max() in one SELECT scan the whole table.
    const t = quoteIdent(tableName);
    const [lo, hi] = this.db.prepare(`SELECT (SELECT min(${r}) FROM ${t}), (SELECT max(${r}) FROM ${t})`).raw(true).safeIntegers(true).get() as [bigint | null, bigint | null];
    if (lo === null || hi === null || hi - lo < BigInt(PARALLEL_MIN_ROWS)) return whole().map((v) => v ?? 0n);
    const ranges = splitRange(lo, hi, this.helpers.size + 1);
    const sql = `${from} WHERE ${r} BETWEEN ? AND ?`;
    // A helper that fails (a thread that died) leaves the whole scan to this thread.
    const helped = Promise.all(ranges.slice(1).map(([a, b], k) => this.helpers!.query(k, sql, [a, b]))).catch(() => undefined);
    // This thread takes the first range while the helpers run theirs.
    const own = this.db.prepare(sql).raw(true).safeIntegers(true).get(ranges[0]![0], ranges[0]![1]) as unknown[];
    const others = await helped;
    if (!others) return whole().map((v) => v ?? 0n);
    const rows = [own, ...others];
    return parts.map((_, k) => rows.reduce<bigint>((sum, row) => sum + BigInt((row[k] as bigint | number | null) ?? 0), 0n));
  }

  private fail(table: Table, column: Column, decision: ColumnDecision): never {
    const problem = decision.problem!;
    const q = quoteIdent(column.name);
    const info = this.info.get(table.name)!;
    const where = problem.where.replace(/\bq\b/g, q);
    const found = this.db.prepare(`SELECT ${info.rowLabel} AS label, quote(${q}) AS value FROM ${quoteIdent(table.name)} WHERE ${where} LIMIT 1`).get() as
      | { label: string; value: string }
      | undefined;
    const row = found?.label ?? '?';
    const shown = found ? ` (value ${truncate(found.value)})` : '';
    let message = `the column ${problem.message}`;
    if (problem.code === 'INVALID_TEXT') {
      const bytes = this.db.prepare(`SELECT CAST(${q} AS BLOB) FROM ${quoteIdent(table.name)} WHERE ${where} LIMIT 1`).pluck().get() as Buffer;
      message = isUtf8(bytes) ? message : 'the value is not valid UTF-8 (stored as a BLOB in a TEXT column)';
    }
    throw new HesapError(problem.code, `Table "${table.name}", column "${column.name}", row ${row}${shown}: ${message}.`, {
      table: table.name,
      column: column.name,
      row,
      hints:
        problem.code === 'INVALID_TEXT'
          ? ['Fix the value in the source, or pass --on-invalid-text replace to load it with U+FFFD in place of invalid bytes.']
          : ['Fix the value in the source, or pass --on-type-mismatch text to load the column as text.'],
    });
  }

  /**
   * A batch of rows did not come out as valid UTF-8 without NUL: find the value at fault
   * among the rows with rowid in [from, to] and fail naming table, column and row.
   */
  failOnInvalidText(table: Table, from: bigint, to: bigint): never {
    const info = this.info.get(table.name)!;
    for (const column of table.columns.filter(isQuotedText)) {
      const q = quoteIdent(column.name);
      const rows = this.db
        .prepare(
          `SELECT ${info.rowLabel} AS label, CAST(${q} AS BLOB) AS bytes FROM ${quoteIdent(table.name)}` +
            ` WHERE ${info.rowidName} BETWEEN ? AND ? AND typeof(${q}) = 'text'`,
        )
        .raw(true);
      for (const [label, bytes] of rows.iterate(from, to) as IterableIterator<[string, Buffer]>) {
        if (!bytes.includes(0) && isUtf8(bytes)) continue;
        throw invalidText(table, column, label, bytes.includes(0));
      }
    }
    throw new HesapError('INVALID_TEXT', `Table "${table.name}": rows ${from} to ${to} do not read as valid UTF-8.`, { table: table.name });
  }

  /** Text with non-ASCII bytes or NUL: find the first value that is not valid UTF-8 or holds NUL. */
  private checkText(table: Table, column: Column): void {
    const q = quoteIdent(column.name);
    const info = this.info.get(table.name)!;
    const rows = this.db
      .prepare(
        `SELECT ${info.rowLabel} AS label, CAST(${q} AS BLOB) AS bytes FROM ${quoteIdent(table.name)} WHERE typeof(${q}) = 'text' AND ${needsTextCheck(q)}`,
      )
      .raw(true);
    for (const [label, bytes] of rows.iterate() as IterableIterator<[string, Buffer]>) {
      const nul = bytes.includes(0);
      if (!nul && isUtf8(bytes)) continue;
      if (this.policies.invalidText === 'replace') {
        this.info.get(table.name)!.repair.add(column.name);
        return;
      }
      throw invalidText(table, column, label, nul);
    }
  }
}

/** Columns whose values are written as quoted text (the ones that can hold bad text). */
function isQuotedText(column: Column): boolean {
  return !['integer', 'float', 'decimal', 'boolean', 'bytes'].includes(column.type);
}

function invalidText(table: Table, column: Column, label: string, nul: boolean): HesapError {
  return new HesapError(
    'INVALID_TEXT',
    `Table "${table.name}", column "${column.name}", row ${label}: ${nul ? 'the text contains a NUL character, which PostgreSQL text cannot hold' : 'the text is not valid UTF-8'}.`,
    {
      table: table.name,
      column: column.name,
      row: label,
      hints: ['Fix the value in the source, or pass --on-invalid-text replace to load it with U+FFFD in place of the bad bytes.'],
    },
  );
}

function truncate(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function declaredDefaults(declared: DeclaredType): Partial<Column> {
  return declared.intent === 'decimal' && declared.precision !== undefined
    ? { precision: declared.precision, scale: declared.scale }
    : {};
}

function applyDecision(column: Column, decision: ColumnDecision): void {
  column.type = decision.type;
  delete column.precision;
  delete column.scale;
  delete column.fractionDigits;
  if (decision.type === 'decimal' && decision.precision !== undefined) {
    column.precision = decision.precision;
    column.scale = decision.scale ?? 0;
  }
  if (decision.type === 'timestamp' && decision.fractionDigits !== undefined) {
    column.precision = decision.precision;
    column.fractionDigits = decision.fractionDigits;
  }
}
