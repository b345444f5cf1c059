import * as fs from 'node:fs';
import * as path from 'node:path';
import DatabaseConstructor from 'better-sqlite3';
import type Database from 'better-sqlite3';
import {
  DEFAULT_POLICIES,
  HesapError,
  quoteIdent,
  quoteQualified,
  type Conflict,
  type ConflictPolicy,
  type Note,
  type PendingIdentity,
  type SkippedRow,
  type SyncView,
  type Table,
  type TableWriteResult,
} from '@hesap/core';
import { distrustRecord, prepareShadow, PulledRecord, SHADOW, trustRecordAgain } from './sqlite-changes';
import { quoteLiteral as quoteText } from './sqlite-defaults';
import { affinityOf } from './sqlite-declared-type';
import { fileSystemError } from './sqlite-destination';
import { lockError } from './sqlite-install';
import { SqliteIntrospector } from './sqlite-introspector';

/**
 * `hesap db pull --mode merge` (issue 23): the remote's rows, complete in a temporary database
 * in the file's own forms, meet the file's rows in one SQLite transaction, through SQLite's
 * locks. Each remote row finds its row here as a push finds its row there, in reverse: the
 * identity map (a remote row this file pushed), then the natural key (a unique column such as
 * a user's email); the others are new here, under the remote's key when it is free, else a
 * new one. Foreign keys follow their parents' rows. The shadow of the last push (see
 * sqlite-changes.ts) tells, per row, what both sides held then:
 *
 * - changed there only: the file takes the remote's value;
 * - changed here only: the file keeps its value (the next push sends it);
 * - changed on both sides (or changed there and deleted here): a conflict, settled by the
 *   policy (`keep-local` by default: a pull never writes over work here unasked);
 * - matched but never pushed from here: left as the file has it, or the remote's with `update`;
 * - held by both sides at the last push or pull and deleted there since: kept here and counted;
 *   with `deletes`, deleted here too when unchanged here and no row here points at it (see
 *   deleteGoneThere).
 *
 * Local-only rows stay. What the pull brought in or found alike goes into the shadow as the
 * remote holds it (so the next push sends none of it back), and the identities it found
 * wait in the shadow for the next push to write them into the remote's identity map.
 */

export interface PullMergeOptions {
  /** The shadow file of pushes from this file to the remote (see state.ts in the API). */
  shadow: string;
  /** Rows changed on both sides since the last push. */
  onConflict: ConflictPolicy;
  /** Rows matched (by natural key) that this file never pushed and that differ take the remote's values. */
  update: boolean;
  /** Natural keys by table, as the user gave them (otherwise the table's unique keys). */
  keys?: Readonly<Record<string, readonly string[]>>;
  /**
   * Rows both sides held at the last push or pull (the shadow holds them) that the remote
   * deleted since are deleted here too: those unchanged here, that no row here points at. A
   * row changed here since is a conflict, settled by `onConflict`; one that rows here point
   * at stays, listed as a conflict with the reason.
   */
  deletes?: boolean;
}

export interface PullMergeContext extends PullMergeOptions {
  busyTimeoutMs: number;
  /** The path as the user gave it, for messages. */
  shown: string;
  log?: (level: 'debug' | 'info' | 'warn', message: string) => void;
}

const NEW = 'hesap_new';
const q = quoteIdent;

/** What the merge does with a remote row (see classify). */
const SAME = 0;
const INSERT = 1;
const UPDATE = 2;
const EDITED_HERE = 3;
const DIFFERING = 4;
const CONFLICT = 5;
const CONFLICT_DELETED_HERE = 6;
const DELETED_HERE = 7;
const LEFT_OUT = 8;

/** One table's merge, as far as its children need it. */
interface Merged {
  /** A surrogate key's mapping (temp table: rk remote key → lk local key), for the tables that point here. */
  mapping?: string;
  key: string;
}

export async function mergePulled(file: string, complete: string, order: readonly string[], view: SyncView, options: PullMergeContext): Promise<{ notes: Note[]; results: TableWriteResult[] }> {
  if (!fs.existsSync(file)) new DatabaseConstructor(file).close();
  let db: Database.Database;
  try {
    db = new DatabaseConstructor(file, { fileMustExist: true, timeout: options.busyTimeoutMs });
  } catch (error) {
    throw fileSystemError(error, 'opening', { file, shown: options.shown });
  }
  let token: string | undefined;
  let distrusted = false;
  try {
    db.pragma('foreign_keys = OFF');
    try {
      db.prepare(`ATTACH DATABASE ? AS ${NEW}`).run(complete);
      fs.mkdirSync(path.dirname(options.shadow), { recursive: true, mode: 0o700 });
      // This connection may not create files (fileMustExist): the shadow is made first on its own.
      if (!fs.existsSync(options.shadow)) new DatabaseConstructor(options.shadow).close();
      db.prepare(`ATTACH DATABASE ? AS ${q(SHADOW)}`).run(options.shadow);
      prepareShadow(db);
      // The shadow and the file are one transaction: atomic across both in rollback-journal
      // mode (a super-journal), per file in WAL mode, where SQLite commits the main database
      // first. Until this pull's record is written, the next push must not trust the old one:
      // a crash between the two commits leaves the file merged and the record distrusted (a
      // full push next), never a record of rows the file does not hold.
      token = distrustRecord(db);
      distrusted = true;
      options.log?.('info', `Merging ${order.length} table(s) into ${options.shown} in one transaction; waiting up to ${Math.round(options.busyTimeoutMs / 100) / 10} s for the app's lock.`);
      db.exec('BEGIN IMMEDIATE');
    } catch (error) {
      throw lockError(error, options) ?? error;
    }
    const merged = await mergeAll(db, order, view, options, token);
    try {
      db.exec('COMMIT');
    } catch (error) {
      throw lockError(error, options) ?? error;
    }
    distrusted = false;
    return merged;
  } catch (error) {
    if (db.inTransaction) {
      try {
        db.exec('ROLLBACK');
      } catch {
        // rolled back already
      }
    }
    if (distrusted) {
      try {
        trustRecordAgain(db, token);
      } catch {
        // the next push is a full one
      }
    }
    if (error instanceof HesapError) throw error;
    throw fileSystemError(error, 'merging the pulled rows into', { file, shown: options.shown });
  } finally {
    db.close();
  }
}

async function mergeAll(db: Database.Database, order: readonly string[], view: SyncView, options: PullMergeOptions, token: string | undefined): Promise<{ notes: Note[]; results: TableWriteResult[] }> {
  const notes: Note[] = [];
  // Tables the file lacks are made as the pull made them (with their indexes), then merged into like any other.
  const here = new Set(db.prepare(`SELECT name FROM main.sqlite_schema WHERE type = 'table'`).pluck().all() as string[]);
  for (const name of order) {
    if (here.has(name)) continue;
    for (const sql of db.prepare(`SELECT sql FROM ${NEW}.sqlite_schema WHERE tbl_name = ? AND sql IS NOT NULL ORDER BY type = 'index'`).pluck().all(name) as string[]) db.exec(sql);
  }
  const local = await new SqliteIntrospector(db, DEFAULT_POLICIES).introspect({ profile: false, tables: [...order] });
  const tables = new Map(local.tables.map((t) => [t.name, t]));
  const record = new PulledRecord(db, view, token);
  const entries = loadEntries(db, view, record.pendingEntries());
  const merged = new Map<string, Merged>();
  const results: TableWriteResult[] = [];
  const pending: PendingIdentity[] = [];
  const gone: GoneThere[] = [];
  for (const [i, name] of order.entries()) {
    const table = tables.get(name);
    if (!table) throw new HesapError('INTERNAL', `Table "${name}" was pulled but the file does not have it after it was made.`, { table: name });
    results.push(mergeTable(db, { table, index: i, view, options, record, entries, merged, pending, notes, tables, pulled: new Set(order), gone }));
  }
  if (gone.length > 0) {
    // Every table of the file, pulled or not: any of them may point at a row to delete.
    const all = await new SqliteIntrospector(db, DEFAULT_POLICIES).introspect({ profile: false });
    deleteGoneThere(db, gone, all.tables, options.onConflict, results);
  }
  record.finish(pending);
  return { notes, results };
}

/** The identity map entries of this file (the remote's, and those an earlier pull left for the next push), in one temporary table. */
function loadEntries(db: Database.Database, view: SyncView, pending: readonly PendingIdentity[]): string {
  const entries = quoteQualified('temp', 'hesap_entries');
  db.exec(`DROP TABLE IF EXISTS ${entries}; CREATE TABLE ${entries} (t TEXT NOT NULL, s TEXT NOT NULL, k TEXT NOT NULL, PRIMARY KEY (t, s)); CREATE INDEX temp.hesap_entries_k ON hesap_entries (t, k)`);
  const add = db.prepare(`INSERT OR REPLACE INTO ${entries} VALUES (?, ?, ?)`);
  for (const [table, list] of Object.entries(view.entries)) for (const [s, k] of list) add.run(table, s, k);
  for (const p of pending) add.run(p.table, p.sourceKey, p.targetKey);
  return entries;
}

interface TableMerge {
  table: Table;
  index: number;
  view: SyncView;
  options: PullMergeOptions;
  record: PulledRecord;
  entries: string;
  merged: Map<string, Merged>;
  pending: PendingIdentity[];
  notes: Note[];
  /** The file's tables, by name, and those this pull brings. */
  tables: ReadonlyMap<string, Table>;
  pulled: ReadonlySet<string>;
  /** With `deletes`: per table, the rows here that the remote deleted since the last push or pull (see deleteGoneThere). */
  gone: GoneThere[];
}

/** A table's rows here that both sides held at the last push or pull and the remote no longer holds. */
interface GoneThere {
  table: Table;
  /** A temporary table: the rows' keys (the key columns under their own names), `edited` (changed here since), `done` (deleted here). */
  rows: string;
  /** The shadow table and how its key columns are named (to forget the rows deleted). */
  shadow: { table: string; column: (name: string) => string };
}

function mergeTable(db: Database.Database, m: TableMerge): TableWriteResult {
  const { table, index } = m;
  const name = table.name;
  const app = `main.${q(name)}`;
  const remote = `${NEW}.${q(name)}`;
  const remoteColumns = new Set(db.prepare('SELECT name FROM pragma_table_info(?, ?)').pluck().all(name, NEW) as string[]);
  const cols = table.columns.map((c) => c.name).filter((c) => remoteColumns.has(c));
  const received = db.prepare(`SELECT count(*) FROM ${remote}`).pluck().get() as number;
  const declared = new Map((db.prepare('SELECT name, type FROM pragma_table_xinfo(?, ?)').raw(true).all(name, 'main') as Array<[string, string]>).map(([n, t]) => [n, t]));
  const key = table.primaryKey?.columns ?? [];
  const keyed = key.length > 0 && key.every((k) => cols.includes(k));
  const surrogate = keyed && key.length === 1 && affinityOf(declared.get(key[0]!) ?? '') === 'INTEGER' && !table.foreignKeys.some((fk) => fk.columns.includes(key[0]!));
  const rowidAlias = surrogate && (declared.get(key[0]!) ?? '').trim().toUpperCase() === 'INTEGER' ? key[0] : undefined;
  const mapping = surrogate ? mapKeys(db, m, cols, remote, app) : undefined;
  if (mapping) m.merged.set(name, { mapping, key: key[0]! });

  // The remote rows in the file's terms: its own key and its foreign keys through the mappings.
  const translated = new Map<string, string>();
  const orphans: string[] = [];
  if (mapping) translated.set(key[0]!, `(SELECT x.lk FROM ${mapping} x WHERE x.rk = r.${q(key[0]!)})`);
  for (const fk of table.foreignKeys) {
    if (fk.columns.length !== 1) continue;
    const parent = m.merged.get(fk.references.table);
    const column = fk.columns[0]!;
    const outside = !parent && cols.includes(column) ? outsideParent(m, fk.references.table, fk.references.columns[0]) : undefined;
    if (outside) {
      // A parent table this pull does not bring: its rows here are found through the identity map alone.
      const value = `r.${q(column)}`;
      translated.set(column, `CASE WHEN ${value} IS NULL THEN NULL ELSE ${outside.through(value)} END`);
      orphans.push(
        `CASE WHEN ${value} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM main.${q(fk.references.table)} p WHERE p.${q(outside.key)} = ${outside.through(value)}) THEN` +
          ` ${quoteText(`its parent row in "${fk.references.table}" (${column} = `)} || quote(${value}) || ${quoteText(') is not known here: pull that table too')} END`,
      );
      continue;
    }
    if (!parent?.mapping || !cols.includes(column) || (fk.references.columns.length > 0 && fk.references.columns[0] !== parent.key)) continue;
    const value = `r.${q(column)}`;
    translated.set(column, `CASE WHEN ${value} IS NULL THEN NULL ELSE (SELECT x.lk FROM ${parent.mapping} x WHERE x.rk = ${value}) END`);
    orphans.push(
      `CASE WHEN ${value} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${parent.mapping} x WHERE x.rk = ${value} AND x.gone IS NULL) THEN ${quoteText(`its parent row in "${fk.references.table}" (${column} = `)} || quote(${value}) || ${quoteText(') is not here: left out, or deleted here')} END`,
    );
  }
  const input = quoteQualified('temp', `hesap_in_${index}`);
  const keyText = keyLabel(key.length > 0 ? key : cols, 'r');
  // Declared as the file's columns: the same affinities on both sides of every comparison, so that the key's index serves them.
  db.exec(
    `DROP TABLE IF EXISTS ${input}; CREATE TABLE ${input} (${cols.map((c) => `${q(c)} ${affinityOf(declared.get(c) ?? '')}`).join(', ')}, ${q('hesap:key')} TEXT, ${q('hesap:orphan')} TEXT);` +
      ` INSERT INTO ${input} SELECT ${cols.map((c) => translated.get(c) ?? `r.${q(c)}`).join(', ')},` +
      ` ${keyText}, ${orphans.length > 0 ? `coalesce(${[...orphans, 'NULL'].join(', ')})` : 'NULL'} FROM ${remote} r`,
  );
  if (keyed) db.exec(`CREATE INDEX temp.${q(`hesap_in_${index}_k`)} ON ${q(`hesap_in_${index}`)} (${key.map(q).join(', ')})`);

  const skipped: SkippedRow[] = [];
  const orphansOf = (written: string) => {
    for (const [reason, rowKey] of db.prepare(`SELECT ${q('hesap:orphan')}, ${q('hesap:key')} FROM ${input} v WHERE ${q('hesap:orphan')} IS NOT NULL AND ${written}`).raw(true).all() as Array<[string, string]>) {
      skipped.push({ table: name, reason, sourceKey: rowKey, orphan: 'parent-left-out' });
    }
  };

  if (!keyed) {
    // No key to know a row by: a remote row no row here equals comes down (unless its parent is not here).
    const same = cols.map((c) => `l.${q(c)} IS v.${q(c)}`).join(' AND ');
    const absent = `NOT EXISTS (SELECT 1 FROM ${app} l WHERE ${same || 'true'})`;
    orphansOf(absent);
    const fresh = `WHERE v.${q('hesap:orphan')} IS NULL AND ${absent}`;
    const insertFrom = (where: string) => `INSERT INTO ${app} (${cols.map(q).join(', ')}) SELECT ${cols.map((c) => `v.${q(c)}`).join(', ')} FROM ${input} v ${where}`;
    const leftOut = (_rowid: number, reason: string, rowKey: string, constraint?: string) => skipped.push({ table: name, reason, sourceKey: rowKey, ...(constraint ? { constraint } : {}) });
    const inserted = applyRows(db, { all: insertFrom(fresh), one: insertFrom('WHERE v.rowid = ?'), rows: `SELECT rowid FROM ${input} v ${fresh} ORDER BY rowid`, input, leftOut });
    return { table: name, received, inserted, updated: 0, unchanged: received - inserted - skipped.length, remapped: 0, skipped };
  }

  // Each remote row against the file's row and the shadow's (what the last push left there).
  const shadow = m.record.shadowOf(table, 's');
  const on = (alias: string) => key.map((k) => `${alias}.${q(k)} = v.${q(k)}`).join(' AND ');
  const equal = (a: (c: string) => string, b: (c: string) => string, columns: readonly string[]) =>
    columns
      .map((c) => {
        const same = `${a(c)} IS ${b(c)}`;
        return affinityOf(declared.get(c) ?? '') === 'BLOB' ? `(${same} AND typeof(${a(c)}) = typeof(${b(c)}))` : same;
      })
      .join(' AND ') || 'true';
  const v = (c: string) => `v.${q(c)}`;
  const l = (c: string) => `l.${q(c)}`;
  const hasLocal = `l.${q(key[0]!)} IS NOT NULL`;
  const hasShadow = shadow ? `${shadow.column(key[0]!)} IS NOT NULL` : 'false';
  const vb = shadow ? equal(v, shadow.column, cols) : 'false';
  const lb = shadow ? equal(l, shadow.column, table.columns.map((c) => c.name)) : 'false';
  const act = quoteQualified('temp', `hesap_act_${index}`);
  const shadowJoin = shadow ? ` LEFT JOIN ${shadow.table} s ON ${key.map((k) => `${shadow.column(k)} = v.${q(k)}`).join(' AND ')}` : '';
  db.exec(
    `DROP TABLE IF EXISTS ${act}; CREATE TABLE ${act} (v INTEGER PRIMARY KEY, act INTEGER NOT NULL, known INTEGER NOT NULL);` +
      ` INSERT INTO ${act} SELECT v.rowid, CASE` +
      ` WHEN NOT (${hasLocal}) AND NOT (${hasShadow}) THEN ${INSERT}` +
      ` WHEN NOT (${hasLocal}) AND (${vb}) THEN ${DELETED_HERE}` +
      ` WHEN NOT (${hasLocal}) THEN ${CONFLICT_DELETED_HERE}` +
      ` WHEN ${equal(v, l, cols)} THEN ${SAME}` +
      ` WHEN NOT (${hasShadow}) THEN ${m.options.update ? UPDATE : DIFFERING}` +
      ` WHEN ${vb} THEN ${EDITED_HERE}` +
      ` WHEN ${lb} THEN ${UPDATE}` +
      ` ELSE ${CONFLICT} END, ${shadow ? `${hasShadow} AND ${vb}` : '0'} FROM ${input} v LEFT JOIN ${app} l ON ${on('l')}${shadowJoin}`,
  );

  const conflicts = conflictsOf(db, name, input, act, app, key, cols, m.options.onConflict);
  if (m.options.onConflict === 'fail' && conflicts.length > 0) {
    throw new HesapError('CONFLICT', `Table "${name}": ${conflicts.length} row(s) changed both here and in the remote since the last push; first: ${conflicts[0]!.sourceKey}. Nothing was changed here.`, {
      table: name,
      row: conflicts[0]!.sourceKey,
      hints: ['Pull with --on-conflict keep-local (the default for a pull) to keep this file\'s values and list the rows, or keep-remote to take the remote\'s.'],
    });
  }
  if (m.options.onConflict === 'keep-remote') db.exec(`UPDATE ${act} SET act = CASE act WHEN ${CONFLICT} THEN ${UPDATE} ELSE ${INSERT} END WHERE act IN (${CONFLICT}, ${CONFLICT_DELETED_HERE})`);
  // A row of this table deleted here is no parent here: a row of the same table to write that points at it is left out too.
  if (mapping) {
    db.exec(`UPDATE ${mapping} SET gone = 1 WHERE lk IN (SELECT v.${q(key[0]!)} FROM ${input} v JOIN ${act} a ON a.v = v.rowid WHERE a.act IN (${DELETED_HERE}, ${CONFLICT_DELETED_HERE}))`);
    for (const fk of table.foreignKeys) {
      const column = fk.columns[0]!;
      if (fk.references.table !== name || fk.columns.length !== 1 || !cols.includes(column)) continue;
      const reason = `${quoteText(`its parent row in "${name}" (${column} = `)} || quote(${q(column)}) || ${quoteText(' here) is deleted here')}`;
      db.exec(`UPDATE ${input} SET ${q('hesap:orphan')} = coalesce(${q('hesap:orphan')}, ${reason}) WHERE ${q(column)} IN (SELECT lk FROM ${mapping} WHERE gone = 1)`);
    }
  }
  // A row to write whose parent is not here (left out, or deleted here) is left out; the others need not care.
  const written = `v.rowid IN (SELECT a.v FROM ${act} a WHERE a.act IN (${INSERT}, ${UPDATE}))`;
  orphansOf(written);
  db.exec(`UPDATE ${act} SET act = ${LEFT_OUT} WHERE act IN (${INSERT}, ${UPDATE}) AND v IN (SELECT rowid FROM ${input} WHERE ${q('hesap:orphan')} IS NOT NULL)`);
  const leaveOut = db.prepare(`UPDATE ${act} SET act = ${LEFT_OUT} WHERE v = ?`);
  const leftOut = (rowid: number, reason: string, rowKey: string, constraint?: string) => {
    leaveOut.run(rowid);
    skipped.push({ table: name, reason, sourceKey: rowKey, ...(constraint ? { constraint } : {}) });
  };

  // Updates first: a row that changed its unique value there frees it for a row new here.
  const others = cols.filter((c) => !key.includes(c));
  const chosen = (what: number) => `JOIN ${act} a ON a.v = v.rowid AND a.act = ${what}`;
  const updated =
    others.length === 0
      ? 0
      : applyRows(db, {
          all: `UPDATE ${app} AS l SET (${others.map(q).join(', ')}) = (${others.map(v).join(', ')}) FROM ${input} v ${chosen(UPDATE)} WHERE ${on('l')}`,
          one:
            `UPDATE ${app} AS l SET (${others.map(q).join(', ')}) = (SELECT ${others.map(v).join(', ')} FROM ${input} v WHERE v.rowid = ?1)` +
            ` WHERE (${key.map(q).join(', ')}) = (SELECT ${key.map(v).join(', ')} FROM ${input} v WHERE v.rowid = ?1)`,
          rows: `SELECT v FROM ${act} WHERE act = ${UPDATE} ORDER BY v`,
          input,
          leftOut,
        });
  const insertFrom = (where: string) => `INSERT INTO ${app} (${cols.map(q).join(', ')}) SELECT ${cols.map(v).join(', ')} FROM ${input} v ${where}`;
  const inserted = applyRows(db, { all: insertFrom(chosen(INSERT)), one: insertFrom('WHERE v.rowid = ?'), rows: `SELECT v FROM ${act} WHERE act = ${INSERT} ORDER BY v`, input, leftOut });
  // A row left out, or deleted here (and staying so), is no parent here: the remote's children to write go with it.
  if (mapping) {
    db.exec(
      `UPDATE ${mapping} SET gone = 1 WHERE lk IN (SELECT v.${q(key[0]!)} FROM ${input} v JOIN ${act} a ON a.v = v.rowid WHERE a.act IN (${LEFT_OUT}, ${DELETED_HERE}, ${CONFLICT_DELETED_HERE}))`,
    );
  }

  // The rows both sides now hold alike go into the shadow as they are here (those it holds so already stay as they are).
  const keep = quoteQualified('temp', `hesap_keep_${index}`);
  db.exec(
    `DROP TABLE IF EXISTS ${keep}; CREATE TABLE ${keep} AS SELECT ${key.map(v).join(', ')} FROM ${input} v JOIN ${act} a ON a.v = v.rowid WHERE a.act IN (${SAME}, ${INSERT}, ${UPDATE}) AND NOT (a.act = ${SAME} AND a.known)`,
  );
  m.record.keep(table, rowidAlias, keep);
  if (mapping) identitiesFound(db, m, mapping);

  const counts = new Map(db.prepare(`SELECT act, count(*) FROM ${act} GROUP BY act`).raw(true).all() as Array<[number, number]>);
  let deletedThere = 0;
  if (shadow) {
    // Rows both sides held that the remote no longer holds: counted where they are still here; forgotten where they are gone here too.
    const goneThere = `NOT EXISTS (SELECT 1 FROM ${input} v WHERE ${key.map((k) => `v.${q(k)} = ${shadow.column(k)}`).join(' AND ')})`;
    const here = `EXISTS (SELECT 1 FROM ${app} l WHERE ${key.map((k) => `l.${q(k)} = ${shadow.column(k)}`).join(' AND ')})`;
    deletedThere = db.prepare(`SELECT count(*) FROM ${shadow.table} s WHERE ${goneThere} AND ${here}`).pluck().get() as number;
    db.exec(`DELETE FROM ${shadow.table} WHERE rowid IN (SELECT s.rowid FROM ${shadow.table} s WHERE ${goneThere} AND NOT ${here})`);
    if (m.options.deletes && deletedThere > 0) {
      // Their keys here, and whether each changed here since (deleted after every table is merged, children first).
      const rows = quoteQualified('temp', `hesap_gone_${index}`);
      db.exec(
        `DROP TABLE IF EXISTS ${rows}; CREATE TABLE ${rows} AS SELECT ${key.map((k) => `l.${q(k)} AS ${q(k)}`).join(', ')}, NOT (${lb}) AS edited, NULL AS done` +
          ` FROM ${shadow.table} s JOIN ${app} l ON ${key.map((k) => `l.${q(k)} = ${shadow.column(k)}`).join(' AND ')} WHERE ${goneThere}`,
      );
      m.gone.push({ table, rows, shadow });
    }
  }
  const remapped = mapping
    ? (db.prepare(`SELECT count(*) FROM ${mapping} x WHERE x.lk IS NOT x.rk AND x.gone IS NULL AND x.rk IN (SELECT r.${q(key[0]!)} FROM ${remote} r)`).pluck().get() as number)
    : 0;
  return {
    table: name,
    received,
    inserted,
    updated,
    unchanged: (counts.get(SAME) ?? 0) + (counts.get(EDITED_HERE) ?? 0) + (counts.get(DELETED_HERE) ?? 0),
    remapped,
    differing: counts.get(DIFFERING) ?? 0,
    skipped,
    ...(conflicts.length > 0 ? { conflicts } : {}),
    ...(deletedThere > 0 ? { deletedThere } : {}),
  };
}

/**
 * Which row here each remote row of a table with a surrogate key is (a temporary table, rk →
 * lk): through the identity map (an entry, or the baseline, under which a key is the same
 * on both sides), then by natural key; the others are new here, under the remote's key when
 * no row here holds it or held it, else under a new one.
 */
function mapKeys(db: Database.Database, m: TableMerge, cols: readonly string[], remote: string, app: string): string {
  const { table, index, entries } = m;
  const name = table.name;
  const k = q(table.primaryKey!.columns[0]!);
  const mapping = quoteQualified('temp', `hesap_map_${index}`);
  const open = `r.${k} NOT IN (SELECT rk FROM ${mapping})`;
  const entryFor = (side: 's' | 'k', value: string) => `EXISTS (SELECT 1 FROM ${entries} e WHERE e.t = ${quoteText(name)} AND e.${side} = CAST(${value} AS TEXT))`;
  db.exec(`DROP TABLE IF EXISTS ${mapping}; CREATE TABLE ${mapping} (rk INTEGER PRIMARY KEY, lk INTEGER NOT NULL UNIQUE, how INTEGER NOT NULL, gone INTEGER)`);
  // 1. An entry: this file's row pushed under another key (or brought in by an earlier pull).
  db.prepare(
    `INSERT OR IGNORE INTO ${mapping} (rk, lk, how) SELECT r.${k}, CAST(e.s AS INTEGER), 1 FROM ${remote} r JOIN ${entries} e ON e.t = ? AND e.k = CAST(r.${k} AS TEXT)`,
  ).run(name);
  // 2. The baseline: up to it a key is the same on both sides, unless an entry says otherwise. A
  // row here that the shadow does not hold was made here since the last push: another row.
  const baseline = m.view.baselines[name];
  const shadow = m.record.shadowOf(table, 's');
  const shadowHas = (value: string) => (shadow ? `EXISTS (SELECT 1 FROM ${shadow.table} s WHERE ${shadow.column(table.primaryKey!.columns[0]!)} = ${value})` : 'false');
  if (baseline !== undefined) {
    db.prepare(
      `INSERT OR IGNORE INTO ${mapping} (rk, lk, how) SELECT r.${k}, r.${k}, 1 FROM ${remote} r WHERE r.${k} <= CAST(? AS INTEGER) AND ${open} AND NOT ${entryFor('s', `r.${k}`)}` +
        ` AND (${shadow ? `NOT EXISTS (SELECT 1 FROM ${app} l WHERE l.${k} = r.${k}) OR ${shadowHas(`r.${k}`)}` : 'true'})`,
    ).run(baseline);
  }
  // 3. Natural keys: the user's, else the table's unique keys (a key column that points at a parent compares through the parent's mapping).
  const given = m.options.keys?.[name];
  const pk = table.primaryKey!.columns;
  const naturals = (given ? [[...given]] : [...table.uniques.map((u) => u.columns), ...table.indexes.filter((i) => i.unique).map((i) => i.columns)]).filter(
    (n) => !(n.length === pk.length && n.every((c, i) => c === pk[i])),
  );
  for (const natural of naturals) {
    if (natural.length === 0 || !natural.every((c) => cols.includes(c))) continue;
    const on = natural.map((c) => `l.${q(c)} = ${throughParent(m, table, c)}`).join(' AND ');
    db.exec(
      `INSERT OR IGNORE INTO ${mapping} (rk, lk, how) SELECT r.${k}, l.${k}, 2 FROM ${remote} r JOIN ${app} l ON ${on}` +
        ` WHERE ${open} AND l.${k} NOT IN (SELECT lk FROM ${mapping})`,
    );
  }
  // 4. New here: under the remote's key when it is free here (no row, no entry, not in the shadow), else under a new one.
  db.exec(
    `INSERT OR IGNORE INTO ${mapping} (rk, lk, how) SELECT r.${k}, r.${k}, 3 FROM ${remote} r WHERE ${open} AND NOT EXISTS (SELECT 1 FROM ${app} l WHERE l.${k} = r.${k})` +
      ` AND r.${k} NOT IN (SELECT lk FROM ${mapping}) AND NOT ${entryFor('s', `r.${k}`)} AND NOT ${shadowHas(`r.${k}`)}`,
  );
  const sequence = (db.prepare(`SELECT count(*) FROM main.sqlite_schema WHERE name = 'sqlite_sequence'`).pluck().get() as number) > 0 ? `(SELECT seq FROM main.sqlite_sequence WHERE name = ${quoteText(name)})` : '0';
  const highest = [
    `(SELECT max(${k}) FROM ${app})`,
    `(SELECT max(lk) FROM ${mapping})`,
    `(SELECT max(CAST(s AS INTEGER)) FROM ${entries} WHERE t = ${quoteText(name)})`,
    sequence,
    ...(shadow ? [`(SELECT max(${shadow.column(table.primaryKey!.columns[0]!)}) FROM ${shadow.table} s)`] : []),
  ];
  db.exec(
    `INSERT INTO ${mapping} (rk, lk, how) SELECT r.${k}, (SELECT max(${highest.map((h) => `coalesce(${h}, 0)`).join(', ')})) + row_number() OVER (ORDER BY r.${k}), 4 FROM ${remote} r WHERE ${open}`,
  );
  return mapping;
}

/**
 * A parent table the pull does not bring, whose key is surrogate: a remote key is the row
 * here the identity map names (an entry, else the same key under the baseline); `through`
 * gives it (NULL when the map knows no such row).
 */
function outsideParent(m: TableMerge, name: string, referenced: string | undefined): { key: string; through: (value: string) => string } | undefined {
  const parent = m.tables.get(name);
  const key = parent?.primaryKey?.columns;
  if (!parent || m.pulled.has(name) || key?.length !== 1 || (referenced !== undefined && referenced !== key[0])) return undefined;
  const column = parent.columns.find((c) => c.name === key[0]);
  if (!column || !['integer'].includes(column.type) || parent.foreignKeys.some((f) => f.columns.includes(key[0]!))) return undefined;
  const table = quoteText(name);
  const baseline = m.view.baselines[name];
  const underBaseline = baseline === undefined ? 'NULL' : `CASE WHEN VALUE <= ${/^\d+$/.test(baseline) ? baseline : 'NULL'} AND NOT EXISTS (SELECT 1 FROM ${m.entries} e WHERE e.t = ${table} AND e.s = CAST(VALUE AS TEXT)) THEN VALUE END`;
  return {
    key: key[0]!,
    through: (value) =>
      `coalesce((SELECT CAST(e.s AS INTEGER) FROM ${m.entries} e WHERE e.t = ${table} AND e.k = CAST(${value} AS TEXT)), ${underBaseline.replace(/VALUE/g, value)})`,
  };
}

/** The remote row's column `c` in the file's terms: through its parent's mapping when it points at one. */
function throughParent(m: TableMerge, table: Table, c: string): string {
  const fk = table.foreignKeys.find((f) => f.columns.length === 1 && f.columns[0] === c);
  const parent = fk ? m.merged.get(fk.references.table) : undefined;
  return parent?.mapping ? `(SELECT x.lk FROM ${parent.mapping} x WHERE x.rk = r.${q(c)})` : `r.${q(c)}`;
}

/**
 * The identities the next push writes into the remote's map: rows matched by natural key or
 * new here, whose key here is not the remote's under its baseline. Rows left out have none.
 */
function identitiesFound(db: Database.Database, m: TableMerge, mapping: string): void {
  const baseline = m.view.baselines[m.table.name];
  const rows = db
    .prepare(
      `SELECT CAST(x.lk AS TEXT), CAST(x.rk AS TEXT) FROM ${mapping} x WHERE x.how > 1 AND x.gone IS NULL AND NOT (x.lk = x.rk AND x.rk <= CAST(? AS INTEGER))`,
    )
    .raw(true)
    .all(baseline ?? null) as Array<[string, string]>;
  for (const [sourceKey, targetKey] of rows) m.pending.push({ table: m.table.name, sourceKey, targetKey });
}

/**
 * `deletes`: the rows the remote deleted since the last push or pull go here too, once every
 * table is merged. A row changed here since is a conflict: kept (`keep-local`), deleted
 * (`keep-remote`), or the pull refused (`fail`). A row that some row here points at (through a
 * foreign key of any table of the file, the remote's new rows included) stays, listed with the
 * reason; rows of the same set that point at each other go children first, round after round,
 * until a round deletes nothing. What stays here is still counted as `deletedThere`; what went
 * leaves the shadow.
 */
function deleteGoneThere(db: Database.Database, gone: readonly GoneThere[], all: readonly Table[], policy: ConflictPolicy, results: TableWriteResult[]): void {
  const keyOf = (t: Table) => t.primaryKey!.columns;
  const keyText = (t: Table, alias: string) => keyLabel(keyOf(t), alias);
  if (policy === 'fail') {
    for (const g of gone) {
      const first = db.prepare(`SELECT ${keyText(g.table, 'g')} FROM ${g.rows} g WHERE g.edited LIMIT 1`).pluck().get() as string | undefined;
      if (first === undefined) continue;
      throw new HesapError('CONFLICT', `Table "${g.table.name}": a row changed here since the last push or pull was deleted in the remote (${first}). Nothing was changed here.`, {
        table: g.table.name,
        row: first,
        hints: ["Pull with --on-conflict keep-local (the default for a pull) to keep this file's row and list it, or keep-remote to delete it here too."],
      });
    }
  }
  const deletable = policy === 'keep-remote' ? 'true' : 'NOT g.edited';
  // The rows of the file that point at a row of `t` (aliased `p`), through each foreign key of each table.
  const pointedAt = (t: Table) => {
    const parentKey = keyOf(t);
    const tests = all.flatMap((child) =>
      child.foreignKeys
        .filter((fk) => fk.references.table === t.name && fk.columns.length > 0)
        .map((fk) => {
          const referenced = fk.references.columns.length > 0 ? fk.references.columns : parentKey;
          // A row that points at itself does not hold itself here.
          const self = child.name === t.name ? ` AND NOT (${parentKey.map((k) => `c.${q(k)} IS p.${q(k)}`).join(' AND ')})` : '';
          return `EXISTS (SELECT 1 FROM main.${q(child.name)} c WHERE ${fk.columns.map((c, i) => `c.${q(c)} = p.${q(referenced[i]!)}`).join(' AND ')}${self})`;
        }),
    );
    return tests.length > 0 ? tests.join(' OR ') : 'false';
  };
  const on = (t: Table, a: string, b: string) => keyOf(t).map((k) => `${a}.${q(k)} = ${b}.${q(k)}`).join(' AND ');
  const keyList = (t: Table, alias?: string) => keyOf(t).map((k) => (alias ? `${alias}.${q(k)}` : q(k))).join(', ');
  const rowsOf = (g: GoneThere, where: string) =>
    db
      .prepare(
        `SELECT ${keyText(g.table, 'g')} AS k, json_array(${keyOf(g.table).map((k) => `CAST(g.${q(k)} AS TEXT)`).join(', ')}) AS kv, g.edited AS edited,` +
          ` json_object(${g.table.columns.map((c) => `${quoteText(c.name)}, p.${q(c.name)}`).join(', ')}) AS here` +
          ` FROM ${g.rows} g JOIN main.${q(g.table.name)} p ON ${on(g.table, 'p', 'g')} WHERE ${where} ORDER BY ${keyList(g.table, 'g')}`,
      )
      .all() as Array<{ k: string; kv: string; edited: number; here: string }>;
  // The rows changed here, as they are before anything is deleted: each is a conflict, whichever side wins.
  const edited = gone.map((g) => rowsOf(g, 'g.edited'));
  for (let changed = true; changed; ) {
    changed = false;
    for (const g of [...gone].reverse()) {
      const app = `main.${q(g.table.name)}`;
      const n = db
        .prepare(`DELETE FROM ${app} WHERE (${keyList(g.table)}) IN (SELECT ${keyList(g.table, 'p')} FROM ${g.rows} g JOIN ${app} p ON ${on(g.table, 'p', 'g')} WHERE g.done IS NULL AND ${deletable} AND NOT (${pointedAt(g.table)}))`)
        .run().changes;
      if (n === 0) continue;
      changed = true;
      db.exec(`UPDATE ${g.rows} AS g SET done = 1 WHERE done IS NULL AND NOT EXISTS (SELECT 1 FROM ${app} p WHERE ${on(g.table, 'p', 'g')})`);
    }
  }
  gone.forEach((g, i) => {
    const result = results.find((r) => r.table === g.table.name)!;
    const deleted = db.prepare(`SELECT count(*) FROM ${g.rows} WHERE done = 1`).pluck().get() as number;
    // Gone on both sides now: out of the shadow.
    db.exec(
      `DELETE FROM ${g.shadow.table} WHERE rowid IN (SELECT s.rowid FROM ${g.shadow.table} s JOIN ${g.rows} g ON ${keyOf(g.table).map((k) => `${g.shadow.column(k)} = g.${q(k)}`).join(' AND ')} WHERE g.done = 1)`,
    );
    // The rows that stay because rows here point at them, read once: their keys say why, and those unchanged here are conflicts of their own.
    const stayed = rowsOf(g, `g.done IS NULL AND (${pointedAt(g.table)})`);
    const pointed = new Set(stayed.map((r) => r.k));
    const conflict = (r: { k: string; kv: string; here: string }, kept: 'local' | 'remote'): Conflict => ({
      table: g.table.name,
      sourceKey: r.k,
      sourceKeyValues: JSON.parse(r.kv) as Array<string | null>,
      local: JSON.parse(r.here) as Record<string, unknown>,
      remote: null,
      kept,
      ...(kept === 'local' && pointed.has(r.k) ? { reason: 'rows here point at it' } : {}),
    });
    const still = new Set(db.prepare(`SELECT ${keyText(g.table, 'g')} FROM ${g.rows} g WHERE g.done IS NULL`).pluck().all() as string[]);
    const changedHere = edited[i]!.map((r) => conflict(r, still.has(r.k) ? 'local' : 'remote'));
    // Unchanged here, but pointed at by rows here: they stay, and say why.
    const held = stayed.filter((r) => !r.edited).map((r) => conflict(r, 'local'));
    const conflicts = [...changedHere, ...held];
    result.deletedThere = (result.deletedThere ?? 0) - deleted;
    if (result.deletedThere === 0) delete result.deletedThere;
    if (deleted > 0) result.deleted = deleted;
    if (conflicts.length > 0) result.conflicts = [...(result.conflicts ?? []), ...conflicts];
  });
}

/** SQL: a row's key as `col=value` pairs (`quote()` of each value), the form conflicts and skipped rows name it by. */
function keyLabel(columns: readonly string[], alias: string): string {
  return columns.map((k) => `${quoteText(`${k}=`)} || quote(${alias}.${q(k)})`).join(` || ', ' || `);
}

/** The rows changed on both sides (or there, and deleted here), with both values, as the policy leaves them. */
function conflictsOf(db: Database.Database, name: string, input: string, act: string, app: string, key: readonly string[], cols: readonly string[], policy: ConflictPolicy): Conflict[] {
  const object = (alias: string) => `json_object(${cols.map((c) => `${quoteText(c)}, ${alias}.${q(c)}`).join(', ')})`;
  const rows = db
    .prepare(
      `SELECT ${keyLabel(key, 'v')} AS k, json_array(${key.map((k) => `CAST(v.${q(k)} AS TEXT)`).join(', ')}) AS kv,` +
        ` CASE WHEN a.act = ${CONFLICT} THEN (SELECT ${object('l')} FROM ${app} l WHERE ${key.map((k) => `l.${q(k)} = v.${q(k)}`).join(' AND ')}) END AS here, ${object('v')} AS there` +
        ` FROM ${act} a JOIN ${input} v ON v.rowid = a.v WHERE a.act IN (${CONFLICT}, ${CONFLICT_DELETED_HERE}) ORDER BY a.v`,
    )
    .all() as Array<{ k: string; kv: string; here: string | null; there: string }>;
  return rows.map((r) => ({
    table: name,
    sourceKey: r.k,
    sourceKeyValues: JSON.parse(r.kv) as Array<string | null>,
    local: r.here === null ? null : (JSON.parse(r.here) as Record<string, unknown>),
    remote: JSON.parse(r.there) as Record<string, unknown>,
    kept: policy === 'keep-remote' ? 'remote' : 'local',
  }));
}

/**
 * Runs `all` (every chosen row at once) in a savepoint; when the file refuses a row (a unique
 * value another row holds, a NOT NULL, a CHECK), runs `one` for each of `rows` instead: those
 * refused are left out with SQLite's reason, the others go in. Returns how many went in.
 */
function applyRows(
  db: Database.Database,
  s: { all: string; one: string; rows: string; input: string; leftOut: (rowid: number, reason: string, key: string, constraint?: string) => void },
): number {
  db.exec('SAVEPOINT hesap_rows');
  try {
    const done = db.prepare(s.all).run().changes;
    db.exec('RELEASE hesap_rows');
    return done;
  } catch (error) {
    db.exec('ROLLBACK TO hesap_rows; RELEASE hesap_rows');
    if (!refused(error)) throw error;
  }
  const statement = db.prepare(s.one);
  const keyOf = db.prepare(`SELECT ${q('hesap:key')} FROM ${s.input} WHERE rowid = ?`).pluck();
  let done = 0;
  for (const rowid of db.prepare(s.rows).pluck().all() as number[]) {
    try {
      done += statement.run(rowid).changes > 0 ? 1 : 0;
    } catch (error) {
      if (!refused(error)) throw error;
      const message = (error as Error).message;
      s.leftOut(rowid, `the file refused it: ${message}`, keyOf.get(rowid) as string, message.replace(/^.*constraint failed:\s*/i, '') || undefined);
    }
  }
  return done;
}

const refused = (error: unknown) => /^SQLITE_CONSTRAINT/.test((error as { code?: string }).code ?? '');

