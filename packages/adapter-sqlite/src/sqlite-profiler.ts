import { isUtf8 } from 'node:buffer';
import type Database from 'better-sqlite3';
import { HesapError, quoteIdent, type Column, type DataPolicies, type EpochUnit, type Note, type Table } from '@hesap/core';
import { formQuery, needsTextCheck, profileParts, quickPlan, readFormStats, readProfile, readQuick, type ColumnStats } from './sqlite-column-profile';
import { applySize, decideColumnSize, rowidStats } from './sqlite-column-size';
import { decideColumnType, decideDjangoDateTime, type ColumnDecision } from './sqlite-column-type';
import { isQuotedText } from './sqlite-csv-sql';
import { parseDeclaredType, type DeclaredType } from './sqlite-declared-type';
import { checkEpochValues, epochDecision, epochUnitFor } from './sqlite-epoch';
import type { SqliteTableLayout } from './sqlite-introspector';
import { invalidTextError } from './sqlite-invalid-text';
import type { ProfileHelpers } from './sqlite-profile-helpers';

/** What the profile found that changes how a table is read. */
export interface SqliteTableProfile {
  /** Columns whose text goes through the repair function. */
  readonly repair: ReadonlySet<string>;
  /** The row count, taken by the profile's scan (the same snapshot as the reads). */
  readonly rows?: number;
}

/** Said once per schema whose `datetime` columns are Django's. */
const DJANGO_NOTE: Note = {
  level: 'info',
  code: 'DJANGO_DATETIMES',
  message:
    "The file is a Django project's (it holds django_migrations): its datetime columns become timestamptz, as Django makes them in PostgreSQL, and their text is read as UTC, as Django writes it with USE_TZ = True.",
};

/** Tables with fewer rowids than this are profiled by one thread. */
const PARALLEL_MIN_ROWS = 100_000;

/** `parts` ranges covering [lo, hi], about equal in width. */
export function splitRange(lo: bigint, hi: bigint, parts: number): Array<[bigint, bigint]> {
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

/**
 * Decides each column's type from the data of a table the catalog read (SqliteIntrospector),
 * or fails naming the first row that cannot be kept. The scans run in SQLite's C code, shared
 * with helper threads on big tables.
 */
export class SqliteProfiler {
  /** The file is a Django project's (see {@link djangoFile}), once looked up. */
  private django?: boolean;

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

  /** Sets each column's type (and the primary key's fate) from the data; adds the notes on the way. */
  async profile(table: Table, layout: SqliteTableLayout, notes: Note[]): Promise<SqliteTableProfile> {
    const repair = new Set<string>();
    if (table.columns.length === 0) return { repair };
    const empty = table.columns.findIndex((c) => c.name.length === 0);
    if (empty >= 0) {
      throw new HesapError('IDENTIFIER_INVALID', `Table "${table.name}": column ${empty + 1} has an empty name, which other databases cannot hold.`, {
        table: table.name,
        hints: ['Give the column a name, or leave the table out with --exclude.'],
      });
    }
    const declared = table.columns.map((c) => ({ name: c.name, declared: parseDeclaredType(c.declaredType) }));
    // Tables read in batches have their text checked as it streams: no text test here.
    const checkText = layout.rowid === undefined;
    const { stats, rows } = await this.measure(table.name, layout, declared, checkText);
    const django = declared.map(({ declared: d }) => d.raw === 'datetime' && this.djangoFile());
    if (django.includes(true) && !notes.some((n) => n.code === DJANGO_NOTE.code)) notes.push(DJANGO_NOTE);
    declared.forEach(({ name, declared: d }, i) => this.measureForm(table.name, name, d, stats[i]!, django[i]!));
    table.columns.forEach((column, i) => {
      const epoch = this.epochUnit(table, layout, column, declared[i]!.declared, stats[i]!, notes);
      const decide = django[i] ? decideDjangoDateTime : decideColumnType;
      const decision = epoch ? epochDecision(epoch) : decide(declared[i]!.declared, stats[i]!, this.policies);
      if (decision.problem) this.fail(table, layout, column, decision);
      if (stats[i]!.nonAscii > 0 && !decision.repairText && this.needsRepair(table, layout, column)) repair.add(column.name);
      applyDecision(column, decision);
      if (decision.repairText) repair.add(column.name);
      else if (!checkText && this.policies.invalidText === 'replace' && isQuotedText(column)) repair.add(column.name);
      if (decision.note) notes.push({ level: 'warning', code: 'TYPE_FALLBACK', table: table.name, column: column.name, message: decision.note });
      const sized = decideColumnSize(declared[i]!.declared, stats[i]!, column, table, repair.has(column.name));
      applySize(column, sized.size);
      if (sized.note) notes.push({ level: 'info', code: 'TYPE_FALLBACK', table: table.name, column: column.name, message: sized.note });
    });
    this.keyWithNulls(table, notes);
    return { repair, rows };
  }

  /** The epoch unit the user mapped the column to, once every value is checked against it (sqlite-epoch.ts). */
  private epochUnit(table: Table, layout: SqliteTableLayout, column: Column, declared: DeclaredType, s: ColumnStats, notes: Note[]): EpochUnit | undefined {
    const unit = epochUnitFor(this.policies, table.name, column.name, declared, s);
    return unit && checkEpochValues(this.db, table, layout, column, unit, this.policies, notes);
  }

  /** A SQLite primary key may hold NULLs (only rowid aliases cannot); elsewhere it stays unique. */
  private keyWithNulls(table: Table, notes: Note[]): void {
    if (!table.primaryKey) return;
    const pk = table.primaryKey.columns;
    const nullable = pk.filter((c) => table.columns.find((col) => col.name === c)?.nullable);
    if (nullable.length === 0) return;
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

  /**
   * Column stats in as few cheap scans as possible: a quick pass that only counts what
   * each declaration does not lead one to expect, then the full breakdown for the columns
   * that surprised (and those without a declaration). Wide tables go in slices (a result
   * row holds at most 2000 columns). The row count comes with the first scan.
   */
  private async measure(
    tableName: string,
    layout: SqliteTableLayout,
    declared: Array<{ name: string; declared: DeclaredType }>,
    checkText: boolean,
  ): Promise<{ stats: ColumnStats[]; rows?: number }> {
    const plans = declared.map((d) => quickPlan(d.name, d.declared, checkText));
    const stats: Array<ColumnStats | undefined> = new Array(declared.length);
    let rows: number | undefined;
    // The rowid alias holds integers and nothing else, NULL included: only its bounds are read,
    // off the b-tree's edges (two subqueries: min() and max() in one SELECT scan the table).
    const alias = declared.findIndex((d) => d.name === layout.rowidAlias);
    if (alias >= 0) {
      const [q, t] = [quoteIdent(layout.rowidAlias!), quoteIdent(tableName)];
      const bounds = this.db.prepare(`SELECT (SELECT min(${q}) FROM ${t}), (SELECT max(${q}) FROM ${t})`).raw(true).safeIntegers(true).get() as [bigint | null, bigint | null];
      stats[alias] = rowidStats(...bounds);
    }
    const quick = plans.map((p, i) => ({ p, i })).filter(({ p, i }) => p.parts.length > 0 && i !== alias);
    let counted = false;
    for (let at = 0; at < Math.max(1, quick.length); at += PROFILE_COLUMNS) {
      const slice = quick.slice(at, at + PROFILE_COLUMNS);
      const row = await this.aggregate(tableName, layout, [...slice.flatMap(({ p }) => p.parts), 'count(*)']);
      rows = Number(row[row.length - 1]);
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
      const row = await this.aggregate(tableName, layout, profileParts(slice.map(({ d }) => d), checkText));
      if (!counted) rows = Number(row[row.length - 1]);
      readProfile(row, slice.length).forEach((s, k) => (stats[slice[k]!.i] = s));
    }
    return { stats: stats as ColumnStats[], rows };
  }

  /**
   * Date-time text not all in PostgreSQL's form (nor TypeORM's, nor plain dates): one more scan
   * of the column finds the form its values share, if they share one (an ORM's). A column of
   * a known writer (`always`) is scanned in any case: the form is recorded whatever it is.
   */
  private measureForm(tableName: string, column: string, declared: DeclaredType, s: ColumnStats, always: boolean): void {
    const kind = declared.intent === 'timestamp' ? 'timestamp' : declared.intent === 'time' ? 'time' : undefined;
    if (!kind || s.texts === 0 || s.texts !== s.integers + s.reals + s.texts + s.blobs) return;
    if (!always && (s.fitting === s.texts || (kind === 'timestamp' && (s.millis === s.texts || s.dates === s.texts)))) return;
    s.form = readFormStats(this.db.prepare(formQuery(tableName, column, kind)).raw(true).get() as unknown[]);
  }

  /**
   * True when the file is a Django project's (it holds `django_migrations`): its `datetime`
   * columns are then Django's DateTimeFields, `timestamptz` in PostgreSQL (decideDjangoDateTime).
   */
  private djangoFile(): boolean {
    this.django ??= this.db.prepare("SELECT 1 FROM main.sqlite_schema WHERE type = 'table' AND name = 'django_migrations'").get() !== undefined;
    return this.django;
  }

  /**
   * One row of aggregates (counts and sums, integers as BigInt) over the whole table. With
   * helper threads, a table read by rowid is cut into ranges of rowids, one per thread (this
   * one included), and the sums added up.
   */
  private async aggregate(tableName: string, layout: SqliteTableLayout, parts: readonly string[]): Promise<bigint[]> {
    const from = `SELECT ${parts.join(', ')} FROM ${quoteIdent(tableName)}`;
    const r = layout.rowid;
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

  private fail(table: Table, layout: SqliteTableLayout, column: Column, decision: ColumnDecision): never {
    const problem = decision.problem!;
    const q = quoteIdent(column.name);
    const where = problem.where.replace(/\bq\b/g, q);
    const found = this.db.prepare(`SELECT ${layout.rowLabel} AS label, quote(${q}) AS value FROM ${quoteIdent(table.name)} WHERE ${where} LIMIT 1`).get() as
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
   * Text with non-ASCII bytes or NUL: looks for the first value that is not valid UTF-8 or
   * holds NUL. True when there is one and the policy repairs it; fails when it does not.
   */
  private needsRepair(table: Table, layout: SqliteTableLayout, column: Column): boolean {
    const q = quoteIdent(column.name);
    const rows = this.db
      .prepare(
        `SELECT ${layout.rowLabel} AS label, CAST(${q} AS BLOB) AS bytes FROM ${quoteIdent(table.name)} WHERE typeof(${q}) = 'text' AND ${needsTextCheck(q)}`,
      )
      .raw(true);
    for (const [label, bytes] of rows.iterate() as IterableIterator<[string, Buffer]>) {
      const nul = bytes.includes(0);
      if (!nul && isUtf8(bytes)) continue;
      if (this.policies.invalidText === 'replace') return true;
      throw invalidTextError(table, column, label, nul);
    }
    return false;
  }
}

function truncate(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function applyDecision(column: Column, decision: ColumnDecision): void {
  column.type = decision.type;
  delete column.precision;
  delete column.scale;
  delete column.fractionDigits;
  delete column.textForm;
  delete column.epoch;
  if (decision.type === 'decimal' && decision.precision !== undefined) {
    column.precision = decision.precision;
    column.scale = decision.scale ?? 0;
  }
  if (decision.type === 'timestamp' || decision.type === 'timestamptz' || decision.type === 'time') {
    if (decision.precision !== undefined) column.precision = decision.precision;
    if (decision.fractionDigits !== undefined) column.fractionDigits = decision.fractionDigits;
    if (decision.textForm) column.textForm = decision.textForm;
    if (decision.epoch) column.epoch = decision.epoch;
  }
}
