import type Database from 'better-sqlite3';
import { parseCsv, quoteIdent, quoteQualified, type ChangeTracking, type Conflict, type Note, type PendingIdentity, type SkippedRow, type SyncView, type Table, type TableChanges, type TableWriteResult } from '@hesap/core';
import { affinityOf } from './sqlite-declared-type';
import { splitRange } from './sqlite-profiler';
import { lineExpression } from './sqlite-csv-sql';

/**
 * Incremental pushes, the SQLite side (issue 23). The shadow is a SQLite file kept outside the
 * app's database (hesap's state folder) and attached to the source's own connection, so the
 * rows that differ from it are found by a join in SQLite's C code, in the very snapshot the
 * push reads. It holds, per table with a primary key, the rows as the last push to one target
 * sent them, and the token that push left in the target (see ChangeTracking).
 *
 * After the target commits, the same connection writes into the shadow what the push read
 * (the rows it sent, less the rows the target left out, which stay pending), with the new
 * token, and commits: the app's file is only ever read.
 */

export const SHADOW = 'hesap_shadow';
/** Changes here make old shadows unreadable: they are then set aside, and the next push is full. */
const FORMAT = '4';

const META = quoteQualified(SHADOW, 'hesap_meta');
const TABLES = quoteQualified(SHADOW, 'hesap_tables');
/** Rows whose conflict a push left as the target had it: conflicts still, until settled (see local-edits.ts in the PostgreSQL adapter). */
const CONFLICTS = quoteQualified(SHADOW, 'hesap_conflicts');
/** The target's snapshot after each push, by number: each shadow row names the one after the push that last sent it. */
const SNAPSHOTS = quoteQualified(SHADOW, 'hesap_snapshots');
/** A shadow table's column naming its row's snapshot (see SNAPSHOTS). */
const SINCE = quoteIdent('hesap:since');
/**
 * A shadow table's column: 1 when the target held the row already when this file first
 * pushed it (the merge matched it rather than inserting it: see owned.ts in the PostgreSQL
 * adapter), NULL when the target inserted it for this file. Only rows of the second kind are
 * deleted there by a push with `deletes`.
 */
const THEIRS = quoteIdent('hesap:theirs');
/**
 * Identity map entries a merging pull found (a row brought in under another key, or matched
 * by natural key): the pull may not write to the remote, so the next push writes them there
 * before it merges (ChangeTracking.pendingIdentities), and they leave this table when its record is written.
 */
const PENDING = quoteQualified(SHADOW, 'hesap_pending');

/** A table whose changes the shadow can tell: a rowid table with a primary key. */
export interface Tracked {
  table: Table;
  /** The name that reaches the rowid in the app's table. */
  rowid: string;
  /** The INTEGER PRIMARY KEY column, when the key is the rowid. */
  rowidAlias?: string;
  /** The table's rows, when the profile counted them. */
  rows?: number;
}

/** A table's send set in the temporary database: rowids of the rows to read, and why. */
interface SendSet {
  tracked: Tracked;
  temp: string;
  /** Rows the shadow holds that the file no longer has (counted by summarize). */
  deleted?: number;
  /** The shadow table's own name (unquoted). */
  shadowName?: string;
  /** The table's rows and the shadow's, once counted. */
  all?: number;
  shadowRows?: number;
  /** The shadow table, and the app's columns in its order (as recorded). */
  shadow?: string;
}

/** Why each row is in a send set. */
const INSERTED = 0;
const UPDATED = 1;
const PARENT = 2;

/** The name of the send set's column: one no app column takes. */
export const SEND_KEY = 'hesap:r';
/** Why a row is in the send set (INSERTED, UPDATED, PARENT), likewise named apart. */
const HOW = quoteIdent('hesap:how');

interface ShadowTableRow {
  name: string;
  shadow: string;
  layout: string;
  /** The target table's identity when it was recorded (see SyncMark.tables). */
  target?: string | null;
}

/** A shadow table's layout: the app's columns with their affinities, and its primary key. */
interface Layout {
  columns: Array<[string, string]>;
  key: string[];
}

export class SqliteChanges implements ChangeTracking {
  readonly recorded: { token: string; remoteSince?: string } | { reason: string };
  /** The push deletes in the target the rows deleted here (restrict's `deletes`): their keys are told. */
  private deletes = false;
  /** The send sets the first `restrict` found, by table (see tellAgain). */
  private told?: Map<string, SendSet>;
  private sends?: Map<string, SendSet>;

  /**
   * `tracked`: the tables whose rows can be told apart (rowid and primary key), by name;
   * `restrictRead`: makes the source read a table's send set only, counting `rows`.
   */
  constructor(
    private readonly db: Database.Database,
    /** Why the shadow there was could not be used, when a new one took its place. */
    damaged: string | undefined,
    private readonly tracked: (name: string) => Tracked | undefined,
    private readonly restrictRead: (table: string, temp: string, rows: number) => void,
    /** What the source's profile decided of a table in this session (see SqliteSource.profile), kept with the record. */
    private readonly decided: (table: string) => string | undefined = () => undefined,
  ) {
    this.recorded = damaged ? { reason: damaged } : this.readRecord();
  }

  private readRecord(): { token: string; remoteSince?: string } | { reason: string } {
    try {
      const meta = new Map(
        (this.db.prepare(`SELECT key, value FROM ${META}`).raw(true).all() as Array<[string, string]>).map(([k, v]) => [k, v]),
      );
      if (meta.get('format') !== FORMAT) return { reason: 'no push from this file to this target was recorded here' };
      const token = meta.get('token');
      const remoteSince = meta.get('remote_since');
      return token ? { token, ...(remoteSince ? { remoteSince } : {}) } : { reason: 'no push from this file to this target was recorded here' };
    } catch (error) {
      return { reason: `the record of the last push could not be read (${(error as Error).message})` };
    }
  }

  async restrict(tables: readonly Table[], options: { readAll?: boolean; targetTables?: Record<string, string>; deletes?: boolean } = {}): Promise<TableChanges[]> {
    if (options.deletes) this.deletes = true;
    if (this.told) return this.tellAgain(tables, options.readAll === true);
    // A recorded table the shadow no longer holds (damaged by hand) is as good as unknown: that table is read whole.
    const present = new Set(this.db.prepare(`SELECT name FROM ${quoteQualified(SHADOW, 'sqlite_schema')} WHERE type = 'table'`).pluck().all() as string[]);
    const known = new Map(
      (this.db.prepare(`SELECT name, shadow, layout, target FROM ${TABLES}`).all() as ShadowTableRow[])
        // A target table made again, emptied or rewritten since (by hand, by a restore) may lack rows the shadow holds: read whole.
        .filter((r) => present.has(r.shadow) && (!options.targetTables || (r.target != null && options.targetTables[r.name] === r.target)))
        .map((r) => [r.name, r]),
    );
    const results: TableChanges[] = [];
    const sends = new Map<string, SendSet>();
    for (const [i, table] of tables.entries()) {
      const tracked = this.tracked(table.name);
      if (!tracked) {
        results.push({ table: table.name, whole: true, rows: 0, inserted: 0, updated: 0, deleted: 0, parents: 0, edited: [], editedSince: [], conflicted: [], references: [] });
        continue;
      }
      const temp = quoteQualified('temp', `hesap_send_${i}`);
      this.db.exec(`DROP TABLE IF EXISTS ${temp}; CREATE TABLE ${temp} (${quoteIdent(SEND_KEY)} INTEGER PRIMARY KEY, ${HOW} INTEGER NOT NULL)`);
      const row = known.get(table.name);
      const layout = layoutOf(this.db, table);
      if (!row || row.layout !== JSON.stringify(layout)) {
        // Not in the shadow, or its columns changed since: every row goes, as new.
        this.db.exec(`INSERT INTO ${temp} SELECT ${quoteIdent(tracked.rowid)}, ${INSERTED} FROM main.${quoteIdent(table.name)}`);
        sends.set(table.name, { tracked, temp });
        continue;
      }
      const shadow = quoteQualified(SHADOW, row.shadow);
      this.db.exec(diffSql(tracked, layout, temp, shadow));
      // Rows still in conflict go again, as edits, whether or not they changed since.
      this.db
        .prepare(
          `INSERT OR REPLACE INTO ${temp} SELECT m.${quoteIdent(tracked.rowid)}, ${UPDATED} FROM ${CONFLICTS} k CROSS JOIN main.${quoteIdent(table.name)} m` +
            // The key's own comparison first, so that its index finds the row; then the text, exactly.
            ` WHERE k.name = ? AND ${layout.key.map((c, i) => `m.${quoteIdent(c)} = json_extract(k.key, '$[${i}]') AND CAST(m.${quoteIdent(c)} AS TEXT) IS json_extract(k.key, '$[${i}]')`).join(' AND ')}`,
        )
        .run(table.name);
      sends.set(table.name, { tracked, temp, shadow, shadowName: row.shadow });
    }
    addParents(this.db, sends);
    for (const table of tables) {
      const send = sends.get(table.name);
      if (!send) continue;
      results.push(this.summarize(send));
    }
    this.told = sends;
    if (options.readAll) return results;
    this.restrictReads(sends);
    return results;
  }

  /**
   * What the whole table's profile decided at the last push, when this push's rows of it were
   * found by comparing with the shadow (a table the record tells; see SqliteSource.profile).
   */
  recordedProfile(table: string): { decision: string; notes: Note[] } | undefined {
    if (!this.told?.get(table)?.shadow) return undefined;
    const text = this.db.prepare(`SELECT profile FROM ${TABLES} WHERE name = ?`).pluck().get(table) as string | null | undefined;
    return text ? (JSON.parse(text) as { decision: string; notes: Note[] }) : undefined;
  }

  private restrictReads(sends: ReadonlyMap<string, SendSet>): void {
    for (const [name, send] of sends) {
      const rows = this.db.prepare(`SELECT count(*) FROM ${send.temp}`).pluck().get() as number;
      this.restrictRead(name, send.temp, rows);
    }
    this.sends = new Map(sends);
  }

  /**
   * `restrict` once more, after the source profiled the tables: the send sets found the first
   * time stand (the same snapshot); what is told of them is read again with the tables as they
   * are now (the keys as the profiled columns send them), and the reads are restricted anew.
   */
  private tellAgain(tables: readonly Table[], readAll: boolean): TableChanges[] {
    const sends = new Map<string, SendSet>();
    const results: TableChanges[] = [];
    for (const table of tables) {
      const send = this.told!.get(table.name);
      const tracked = this.tracked(table.name);
      if (!send || !tracked) {
        results.push({ table: table.name, whole: true, rows: 0, inserted: 0, updated: 0, deleted: 0, parents: 0, edited: [], editedSince: [], conflicted: [], references: [] });
        continue;
      }
      const now = { ...send, tracked };
      sends.set(table.name, now);
      results.push(this.summarize(now));
    }
    if (!readAll) this.restrictReads(sends);
    return results;
  }

  private summarize(send: SendSet): TableChanges {
    const { table } = send.tracked;
    const counts = new Map(this.db.prepare(`SELECT ${HOW}, count(*) FROM ${send.temp} GROUP BY ${HOW}`).raw(true).all() as Array<[number, number]>);
    const inserted = counts.get(INSERTED) ?? 0;
    const updated = counts.get(UPDATED) ?? 0;
    const parents = counts.get(PARENT) ?? 0;
    // The profile counted the table's rows in this snapshot; count only when it did not.
    // Counted once per push: told again (tellAgain), the same snapshot has the same counts.
    const all = (send.all ??= send.tracked.rows ?? (this.db.prepare(`SELECT count(*) FROM main.${quoteIdent(table.name)}`).pluck().get() as number));
    if (!send.shadow) return { table: table.name, whole: true, rows: all, inserted, updated, deleted: 0, parents, edited: [], editedSince: [], conflicted: [], references: [] };
    const shadowRows = (send.shadowRows ??= this.db.prepare(`SELECT count(*) FROM ${send.shadow}`).pluck().get() as number);
    // Rows of the file the shadow matched: all but the new ones. The shadow's others are gone.
    const deleted = shadowRows - (all - inserted);
    send.deleted = deleted;
    const key = table.primaryKey!.columns;
    // The keys as the push's CSV carries them (the target compares them as its own values).
    const keyLine = lineExpression(
      key.map((c) => table.columns.find((x) => x.name === c)!),
      new Set(),
    );
    const keysOf = (how: number) =>
      parseCsv(
        (
          this.db
            .prepare(`SELECT ${keyLine} FROM ${send.temp} x CROSS JOIN main.${quoteIdent(table.name)} m WHERE x.${HOW} = ${how} AND m.${quoteIdent(send.tracked.rowid)} = x.${quoteIdent(SEND_KEY)}`)
            .pluck()
            .all() as string[]
        ).join(''),
      );
    const edited = updated === 0 ? [] : keysOf(UPDATED);
    const editedSince = updated === 0 || !send.shadowName ? [] : this.editedSince(send, keyLine);
    const references = parents === 0 ? [] : keysOf(PARENT);
    const conflicted = (this.db.prepare(`SELECT key FROM ${CONFLICTS} WHERE name = ?`).pluck().all(table.name) as string[]).map((k) => JSON.parse(k) as Array<string | null>);
    const changes: TableChanges = { table: table.name, whole: false, rows: all, inserted, updated, deleted, parents, edited, editedSince, conflicted, references };
    return this.deletes && deleted > 0 && send.shadowName ? { ...changes, ...this.gone(send, keyLine) } : changes;
  }

  /**
   * The rows deleted here since: the keys (as the CSV carries them) of those the target
   * inserted for this file, grouped by the target's snapshot after the push that last sent
   * each, and how many the target held already (never deleted there).
   */
  private gone(send: SendSet, keyLine: string): Pick<TableChanges, 'gone' | 'goneTheirs'> {
    const { table } = send.tracked;
    const layout = layoutOf(this.db, table);
    const index = (c: string) => layout.columns.findIndex(([n]) => n === c);
    const same = layout.key.map((k) => `m.${quoteIdent(k)} = s.${shadowColumn(index(k))}`).join(' AND ');
    // The shadow's columns under the app's names, so that the key line reads them as it reads the file's.
    const named = layout.columns.map(([c], i) => `s.${shadowColumn(i)} AS ${quoteIdent(c)}`).join(', ');
    const rows = this.db
      .prepare(
        `SELECT ${keyLine}, ${quoteIdent('hesap:snapshot')}, ${quoteIdent('hesap:theirs')} FROM (SELECT ${named}, sn.${quoteIdent('hesap:snapshot')}, s.${THEIRS} AS ${quoteIdent('hesap:theirs')}` +
          ` FROM ${quoteQualified(SHADOW, send.shadowName!)} s LEFT JOIN ${SNAPSHOTS} sn ON sn.${quoteIdent('hesap:n')} = s.${SINCE}` +
          ` WHERE NOT EXISTS (SELECT 1 FROM main.${quoteIdent(table.name)} m WHERE ${same}))`,
      )
      .raw(true)
      .all() as Array<[string, string | null, number | null]>;
    const ours = rows.filter(([, , mark]) => mark !== 1);
    return { gone: bySnapshot(ours.map(([line, since]) => [line, since])), goneTheirs: rows.length - ours.length };
  }

  /** The edited rows' keys (as the CSV carries them), grouped by the target's snapshot after the push that last sent each. */
  private editedSince(send: SendSet, keyLine: string): Array<{ since?: string; keys: Array<Array<string | null>> }> {
    const { table, rowid } = send.tracked;
    const layout = layoutOf(this.db, table);
    const index = (c: string) => layout.columns.findIndex(([n]) => n === c);
    const on = layout.key.map((k) => `s.${shadowColumn(index(k))} = m.${quoteIdent(k)}`).join(' AND ');
    // The snapshot is looked up in a subquery: the key line names the app's columns unqualified, and only `m` may hold them.
    const rows = this.db
      .prepare(
        `SELECT ${keyLine} AS ${quoteIdent('hesap:line')}, (SELECT sn.${quoteIdent('hesap:snapshot')} FROM ${quoteQualified(SHADOW, send.shadowName!)} s` +
          ` JOIN ${SNAPSHOTS} sn ON sn.${quoteIdent('hesap:n')} = s.${SINCE} WHERE ${on}) AS ${quoteIdent('hesap:since')}` +
          ` FROM ${send.temp} x CROSS JOIN main.${quoteIdent(table.name)} m WHERE x.${HOW} = ${UPDATED} AND m.${quoteIdent(rowid)} = x.${quoteIdent(SEND_KEY)}`,
      )
      .raw(true)
      .all() as Array<[string, string | null]>;
    return bySnapshot(rows);
  }

  /** The shadow table each table's rows went into during this push (see keep). */
  private readonly kept = new Map<string, string>();
  /** The number this push's snapshot takes in SNAPSHOTS (its rows name it), once a row was kept. */
  private since?: number;

  private sinceId(): number {
    this.since ??= this.db.prepare(`SELECT coalesce(max(${quoteIdent('hesap:n')}), 0) + 1 FROM ${SNAPSHOTS}`).pluck().get() as number;
    return this.since;
  }

  /**
   * Writes what this session read of `table` into the shadow, inside the session's own
   * transaction (committed by `record`, rolled back with the session). Called as soon as the
   * table's rows are sent, while the target works on them: a big table goes in parts, and the
   * event loop is given back between them, so that the target's statements go out meanwhile.
   */
  async keep(table: Table): Promise<void> {
    if (this.kept.has(table.name)) return;
    const db = this.db;
    const row = db.prepare(`SELECT name, shadow, layout FROM ${TABLES} WHERE name = ?`).get(table.name) as ShadowTableRow | undefined;
    const tracked = this.tracked(table.name);
    if (!tracked) {
      if (row) dropShadow(db, row);
      return;
    }
    const send = this.sends?.get(table.name);
    const layout = layoutOf(db, table);
    const from = `main.${quoteIdent(table.name)}`;
    const appColumns = `${layout.columns.map(([c]) => quoteIdent(c)).join(', ')}, ${this.sinceId()}`;
    const sent = send ? ` FROM ${send.temp} x CROSS JOIN ${from} m WHERE m.${quoteIdent(tracked.rowid)} = x.${quoteIdent(SEND_KEY)}` : ` FROM ${from}`;
    if (send?.shadow && row) {
      const shadow = quoteQualified(SHADOW, row.shadow);
      const names = [...layout.columns.map((_c, i) => shadowColumn(i)), SINCE];
      const key = layout.key.map((k) => shadowColumn(layout.columns.findIndex(([c]) => c === k)));
      // Rows sent only as parents are as the shadow has them: they keep the snapshot of the push that last sent them for themselves.
      // A row the shadow holds keeps what it says of the row's origin (THEIRS).
      db.exec(
        `INSERT INTO ${shadow} (${names.join(', ')}) SELECT ${appColumns}${sent} AND x.${HOW} <> ${PARENT}` +
          ` ON CONFLICT (${key.join(', ')}) DO UPDATE SET ${names.map((n) => `${n} = excluded.${n}`).join(', ')}`,
      );
      this.kept.set(table.name, row.shadow);
      return;
    }
    if (row) dropShadow(db, row);
    const name = `t_${db.prepare(`SELECT coalesce(max(CAST(substr(shadow, 3) AS INTEGER)), 0) + 1 FROM ${TABLES}`).pluck().get() as number}`;
    const shadow = quoteQualified(SHADOW, name);
    db.exec(createShadowSql(name, layout, tracked));
    db.prepare(`INSERT INTO ${TABLES} (name, shadow, layout) VALUES (?, ?, ?)`).run(table.name, name, JSON.stringify(layout));
    if (send) db.exec(`INSERT INTO ${shadow} SELECT ${appColumns}, NULL${sent}`);
    else await insertInParts(db, `INSERT INTO ${shadow} SELECT ${appColumns}, NULL${sent}`, from, tracked);
    this.kept.set(table.name, name);
    this.fresh.add(table.name);
  }

  /** The tables whose shadow this push made anew: every row in it is new to the shadow. */
  private readonly fresh = new Set<string>();

  /**
   * Rows deleted here since leave the shadow, as they left the file: said once, unless the
   * push was to delete them there and the target kept them (`pending`, by the text of their
   * key: a conflict), which stay to be deleted by a later push.
   */
  private prune(table: Table, send: SendSet, shadowName: string, pending: readonly Conflict[]): void {
    if ((send.deleted ?? 0) === 0) return;
    send.deleted = 0;
    const layout = layoutOf(this.db, table);
    const shadow = quoteQualified(SHADOW, shadowName);
    const index = (c: string) => layout.columns.findIndex(([n]) => n === c);
    const same = layout.key.map((k) => `m.${quoteIdent(k)} = s.${shadowColumn(index(k))}`).join(' AND ');
    const temp = quoteQualified('temp', 'hesap_pending');
    this.db.exec(`DROP TABLE IF EXISTS ${temp}; CREATE TABLE ${temp} (r INTEGER PRIMARY KEY)`);
    const stay = this.db.prepare(`INSERT OR IGNORE INTO ${temp} VALUES (?)`);
    for (const rowids of shadowRowsByText(this.db, shadow, layout, pending.map((c) => c.sourceKeyValues))) for (const r of rowids) stay.run(r);
    this.db.exec(
      `DELETE FROM ${shadow} WHERE rowid IN (SELECT s.rowid FROM ${shadow} s WHERE NOT EXISTS (SELECT 1 FROM main.${quoteIdent(table.name)} m WHERE ${same}))` +
        ` AND rowid NOT IN (SELECT r FROM ${temp}); DROP TABLE ${temp}`,
    );
  }

  /**
   * The rows this push sent for the first time that the target matched to rows it held
   * already are marked as the target's own (see TableWriteResult.matchedKeys): those listed
   * (`theirs`), or all but those listed (`ours`). Keys that are not runs of whole numbers are
   * found by their text; one the shadow cannot find marks every row new in this push as the
   * target's: the record errs towards keeping rows in the target, never towards deleting its own.
   */
  private markTheirs(table: Table, shadowName: string, matched: NonNullable<TableWriteResult['matchedKeys']>): void {
    const db = this.db;
    const layout = layoutOf(db, table);
    const shadow = quoteQualified(SHADOW, shadowName);
    const index = (c: string) => layout.columns.findIndex(([n]) => n === c);
    const send = this.sends?.get(table.name);
    const tracked = this.tracked(table.name);
    // New to the shadow in this push: all its rows when it was made anew, else the send set's INSERTED rows.
    const isNew =
      this.fresh.has(table.name) || !send || !tracked
        ? 'true'
        : `EXISTS (SELECT 1 FROM ${send.temp} x CROSS JOIN main.${quoteIdent(table.name)} m WHERE x.${HOW} = ${INSERTED}` +
          ` AND m.${quoteIdent(tracked.rowid)} = x.${quoteIdent(SEND_KEY)} AND ${layout.key.map((k) => `m.${quoteIdent(k)} = ${shadow}.${shadowColumn(index(k))}`).join(' AND ')})`;
    const mark = (where: string, value: 1 | null) => db.prepare(`UPDATE ${shadow} SET ${THEIRS} = ${value ?? 'NULL'} WHERE (${where}) AND ${isNew}`);
    // theirs: the listed rows are the target's; ours: every new row is, but the listed ones.
    const listed: 1 | null = matched.side === 'theirs' ? 1 : null;
    if (matched.side === 'ours') mark('true', 1).run();
    if (matched.ranges.length > 0 && layout.key.length === 1) {
      const range = mark(`${shadowColumn(index(layout.key[0]!))} BETWEEN CAST(? AS INTEGER) AND CAST(? AS INTEGER)`, listed);
      for (const [lo, hi] of matched.ranges) range.run(lo, hi);
    }
    if (matched.keys.length === 0) return;
    const found = shadowRowsByText(db, shadow, layout, matched.keys);
    // A key not found: under `ours` its row stays the target's; under `theirs` every new row becomes the target's.
    if (listed === 1 && found.some((rowids) => rowids.length === 0)) return void mark('true', 1).run();
    const one = mark('rowid = ?', listed);
    for (const rowids of found) for (const r of rowids) one.run(r);
  }

  pendingIdentities(targetTables?: Record<string, string>): PendingIdentity[] {
    return livePending(this.db, targetTables ?? {});
  }

  forgetPendingIdentities(): void {
    this.db.exec(`DELETE FROM ${PENDING}`);
  }

  async record(
    token: string,
    tables: readonly Table[],
    skipped: readonly SkippedRow[],
    remoteSince?: string,
    conflicts: readonly Conflict[] = [],
    targetTables?: Record<string, string>,
    matched: Readonly<Record<string, TableWriteResult['matchedKeys']>> = {},
  ): Promise<void> {
    const db = this.db;
    for (const table of tables) await this.keep(table);
    for (const table of tables) {
      const name = this.kept.get(table.name);
      const m = matched[table.name];
      if (name && m) this.markTheirs(table, name, m);
    }
    // Rows deleted here leave the shadow, but for those whose deletion the target kept (conflicts, to try again).
    for (const send of this.sends?.values() ?? []) {
      const name = send.tracked.table.name;
      const pending = conflicts.filter((c) => c.table === name && c.local === null && c.kept === 'remote');
      if (send.shadowName && !this.fresh.has(name)) this.prune(send.tracked.table, send, send.shadowName, pending);
    }
    if (!this.sends) {
      // A full push: what the shadow held of tables outside it is no longer known to be what the target holds.
      const pushed = new Set(tables.map((t) => t.name));
      for (const row of db.prepare(`SELECT name, shadow FROM ${TABLES}`).all() as ShadowTableRow[]) if (!pushed.has(row.name)) dropShadow(db, row);
    }
    for (const table of tables) {
      const name = this.kept.get(table.name);
      const left = skipped.filter((s) => s.table === table.name && !s.present);
      if (name && left.length > 0 && !forgetRows(db, quoteQualified(SHADOW, name), layoutOf(db, table), left)) {
        // A row left out could not be found again by its key: the table is sent whole next time.
        dropShadow(db, { name: table.name, shadow: name });
      }
    }
    // The conflicts of the pushed tables are those this push found; the target kept its value of those not written over.
    const forget = db.prepare(`DELETE FROM ${CONFLICTS} WHERE name = ?`);
    for (const table of tables) forget.run(table.name);
    const remember = db.prepare(`INSERT OR REPLACE INTO ${CONFLICTS} (name, key) VALUES (?, ?)`);
    // Rows deleted here whose deletion the target kept stay in the shadow instead (see prune).
    for (const c of conflicts) if (c.kept === 'remote' && c.local !== null) remember.run(c.table, JSON.stringify(c.sourceKeyValues));
    if (this.since !== undefined) db.prepare(`INSERT OR REPLACE INTO ${SNAPSHOTS} VALUES (?, ?)`).run(this.since, remoteSince ?? null);
    if (targetTables) {
      const identity = db.prepare(`UPDATE ${TABLES} SET target = ? WHERE name = ?`);
      for (const table of tables) identity.run(targetTables[table.name] ?? null, table.name);
    }
    // What the profile decided of the tables sent (those not sent keep theirs: their rows did not change).
    const profile = db.prepare(`UPDATE ${TABLES} SET profile = ? WHERE name = ?`);
    for (const table of tables) profile.run(this.decided(table.name) ?? null, table.name);
    db.prepare(`INSERT OR REPLACE INTO ${META} (key, value) VALUES ('format', ?), ('token', ?), ('remote_since', ?)`).run(FORMAT, token, remoteSince ?? null);
    db.exec('COMMIT');
  }
}

/**
 * A merging pull's side of the record (issue 23): the rows it brought in, updated or found
 * alike are written into the shadow as the remote holds them, under the remote's token and
 * the snapshot the pull read (so the next push sends none of them back, and sees a later
 * change there as one); rows changed here since stay as the shadow had them. A record that
 * does not carry the remote's token (another source pushed, a restore, no push yet) is
 * replaced by what this pull found. Runs inside the pull's transaction on the file.
 */
export class PulledRecord {
  readonly trusted: boolean;
  private readonly since: number;
  private readonly known = new Map<string, ShadowTableRow>();

  /** `token`: the one the shadow was recorded with (taken out of it by distrustRecord, prepareShadow having emptied a shadow of another format). */
  constructor(
    private readonly db: Database.Database,
    private readonly view: SyncView,
    token: string | undefined,
  ) {
    this.trusted = token !== undefined && token === view.token;
    if (!this.trusted) {
      // What the shadow held is not known to be what the remote holds: this pull's findings replace it.
      for (const row of db.prepare(`SELECT name, shadow FROM ${TABLES}`).all() as ShadowTableRow[]) dropShadow(db, row);
      db.exec(`DELETE FROM ${CONFLICTS}; DELETE FROM ${PENDING}`);
    }
    const present = new Set(db.prepare(`SELECT name FROM ${quoteQualified(SHADOW, 'sqlite_schema')} WHERE type = 'table'`).pluck().all() as string[]);
    for (const row of db.prepare(`SELECT name, shadow, layout, target FROM ${TABLES}`).all() as ShadowTableRow[]) if (present.has(row.shadow)) this.known.set(row.name, row);
    this.since = db.prepare(`SELECT coalesce(max(${quoteIdent('hesap:n')}), 0) + 1 FROM ${SNAPSHOTS}`).pluck().get() as number;
  }

  /**
   * The table's shadow, when it tells what the last push left in the remote: `column(name)`
   * is the shadow's column for an app column (alias `alias`). Undefined when its columns or
   * the remote table changed since.
   */
  shadowOf(table: Table, alias: string): { table: string; column: (name: string) => string } | undefined {
    const row = this.known.get(table.name);
    const layout = layoutOf(this.db, table);
    if (!row || row.layout !== JSON.stringify(layout) || row.target == null || row.target !== this.view.tables[table.name]) return undefined;
    return { table: quoteQualified(SHADOW, row.shadow), column: (name) => `${alias}.${shadowColumn(layout.columns.findIndex(([c]) => c === name))}` };
  }

  /**
   * The rows of `table` whose keys `keys` holds (a temporary table with the key columns under
   * their own names) go into the shadow as the file holds them now; a row the shadow had
   * keeps its mark of origin, a new one is the remote's.
   */
  keep(table: Table, rowidAlias: string | undefined, keys: string): void {
    const db = this.db;
    const layout = layoutOf(db, table);
    let row = this.known.get(table.name);
    if (row && (row.layout !== JSON.stringify(layout) || row.target !== this.view.tables[table.name])) {
      dropShadow(db, row);
      row = undefined;
    }
    if (!row) {
      const name = `t_${db.prepare(`SELECT coalesce(max(CAST(substr(shadow, 3) AS INTEGER)), 0) + 1 FROM ${TABLES}`).pluck().get() as number}`;
      db.exec(createShadowSql(name, layout, { table, rowid: rowidAlias ?? 'rowid', rowidAlias }));
      db.prepare(`INSERT INTO ${TABLES} (name, shadow, layout, target) VALUES (?, ?, ?, ?)`).run(table.name, name, JSON.stringify(layout), this.view.tables[table.name] ?? null);
      row = { name: table.name, shadow: name, layout: JSON.stringify(layout), target: this.view.tables[table.name] ?? null };
      this.known.set(table.name, row);
    }
    const shadow = quoteQualified(SHADOW, row.shadow);
    const names = [...layout.columns.map((_c, i) => shadowColumn(i)), SINCE];
    const key = layout.key.map((k) => shadowColumn(layout.columns.findIndex(([c]) => c === k)));
    const on = layout.key.map((k) => `k.${quoteIdent(k)} = m.${quoteIdent(k)}`).join(' AND ');
    // Rows came in that no push profiled: the next push profiles the whole table.
    db.prepare(`UPDATE ${TABLES} SET profile = NULL WHERE name = ?`).run(table.name);
    db.exec(
      `INSERT INTO ${shadow} (${[...names, THEIRS].join(', ')}) SELECT ${layout.columns.map(([c]) => `m.${quoteIdent(c)}`).join(', ')}, ${this.since}, 1` +
        ` FROM ${keys} k CROSS JOIN main.${quoteIdent(table.name)} m WHERE ${on}` +
        ` ON CONFLICT (${key.join(', ')}) DO UPDATE SET ${names.map((n) => `${n} = excluded.${n}`).join(', ')}`,
    );
  }

  /** Identities an earlier pull left for a push that has not come yet (kept only when the record is trusted). */
  pendingEntries(): PendingIdentity[] {
    return livePending(this.db, this.view.tables);
  }

  /** The record's token and snapshot, and the identities the next push is to write. */
  finish(pending: readonly PendingIdentity[]): void {
    const db = this.db;
    const add = db.prepare(`INSERT OR REPLACE INTO ${PENDING} (name, source_key, target_key, target) VALUES (?, ?, ?, ?)`);
    for (const p of pending) add.run(p.table, p.sourceKey, p.targetKey, this.view.tables[p.table] ?? null);
    db.prepare(`INSERT OR REPLACE INTO ${SNAPSHOTS} VALUES (?, ?)`).run(this.since, this.view.snapshot);
    db.prepare(`INSERT OR REPLACE INTO ${META} (key, value) VALUES ('format', ?), ('token', ?), ('remote_since', ?)`).run(FORMAT, this.view.token ?? null, this.view.snapshot);
  }
}

/**
 * The pending identities of tables that are still as the pull that found them saw them
 * (`tables`: their identities now, see SyncMark.tables); the others are forgotten (inside
 * the session's transaction): a table made again, emptied or restored since holds other rows
 * under those keys.
 */
function livePending(db: Database.Database, tables: Readonly<Record<string, string>>): PendingIdentity[] {
  const rows = db.prepare(`SELECT name, source_key, target_key, target FROM ${PENDING}`).raw(true).all() as Array<[string, string, string, string | null]>;
  const stale = [...new Set(rows.filter(([table, , , target]) => target === null || tables[table] !== target).map(([table]) => table))];
  const forget = db.prepare(`DELETE FROM ${PENDING} WHERE name = ?`);
  for (const table of stale) forget.run(table);
  return rows.filter(([table]) => !stale.includes(table)).map(([table, sourceKey, targetKey]) => ({ table, sourceKey, targetKey }));
}

/** Before a merging pull changes the file: the record is not to be trusted until that pull's own is written (atomic only per file in WAL mode). */
export function distrustRecord(db: Database.Database): string | undefined {
  const token = db.prepare(`SELECT value FROM ${META} WHERE key = 'token'`).pluck().get() as string | undefined;
  db.prepare(`DELETE FROM ${META} WHERE key = 'token'`).run();
  return token;
}

/** Puts back what distrustRecord took, when the pull changed nothing. */
export function trustRecordAgain(db: Database.Database, token: string | undefined): void {
  if (token !== undefined) db.prepare(`INSERT OR REPLACE INTO ${META} (key, value) VALUES ('token', ?)`).run(token);
}

/** The shadow's own tables, made once (outside the push's transaction); a shadow of an older format is emptied first. */
export function prepareShadow(db: Database.Database): void {
  const schema = quoteQualified(SHADOW, 'sqlite_schema');
  const hasMeta = (db.prepare(`SELECT count(*) FROM ${schema} WHERE type = 'table' AND name = 'hesap_meta'`).pluck().get() as number) > 0;
  const format = hasMeta ? (db.prepare(`SELECT value FROM ${META} WHERE key = 'format'`).pluck().get() as string | undefined) : undefined;
  if (hasMeta && format !== FORMAT) {
    for (const name of db.prepare(`SELECT name FROM ${schema} WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'`).pluck().all() as string[]) {
      db.exec(`DROP TABLE ${quoteQualified(SHADOW, name)}`);
    }
  }
  db.exec(
    `CREATE TABLE IF NOT EXISTS ${META} (key TEXT PRIMARY KEY, value TEXT);` +
      ` CREATE TABLE IF NOT EXISTS ${TABLES} (name TEXT PRIMARY KEY, shadow TEXT NOT NULL, layout TEXT NOT NULL, target TEXT, profile TEXT);` +
      ` CREATE TABLE IF NOT EXISTS ${CONFLICTS} (name TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY (name, key));` +
      ` CREATE TABLE IF NOT EXISTS ${PENDING} (name TEXT NOT NULL, source_key TEXT NOT NULL, target_key TEXT NOT NULL, target TEXT, PRIMARY KEY (name, source_key));` +
      ` CREATE TABLE IF NOT EXISTS ${SNAPSHOTS} (${quoteIdent('hesap:n')} INTEGER PRIMARY KEY, ${quoteIdent('hesap:snapshot')} TEXT)`,
  );
  // A record written before the profile was kept: the column comes empty (the next push profiles whole tables).
  const columns = db.prepare(`SELECT name FROM pragma_table_info('hesap_tables', ?)`).pluck().all(SHADOW) as string[];
  if (!columns.includes('profile')) db.exec(`ALTER TABLE ${TABLES} ADD COLUMN profile TEXT`);
  // Shadow tables made before they had their counting index get it, once.
  const shadows = db.prepare(`SELECT shadow FROM ${TABLES} WHERE shadow IN (SELECT name FROM ${schema} WHERE type = 'table') AND shadow || '_since' NOT IN (SELECT name FROM ${schema} WHERE type = 'index')`).pluck().all() as string[];
  for (const name of shadows) db.exec(countIndexSql(name));
}

/** The table's columns with their affinities, and its key, as the catalog declares them now. */
function layoutOf(db: Database.Database, table: Table): Layout {
  const declared = new Map(
    (db.prepare('SELECT name, type FROM pragma_table_xinfo(?, ?)').raw(true).all(table.name, 'main') as Array<[string, string]>).map(([n, t]) => [n, t]),
  );
  return {
    columns: table.columns.map((c) => [c.name, affinityOf(declared.get(c.name) ?? '')]),
    key: table.primaryKey?.columns ?? [],
  };
}

/** Key lines (as the CSV carries them) with the snapshot each is judged by, grouped by snapshot and parsed. */
function bySnapshot(rows: ReadonlyArray<readonly [string, string | null]>): Array<{ since?: string; keys: Array<Array<string | null>> }> {
  const groups = new Map<string | null, string[]>();
  for (const [line, since] of rows) {
    const group = groups.get(since);
    if (group) group.push(line);
    else groups.set(since, [line]);
  }
  return [...groups].map(([since, lines]) => ({ ...(since ? { since } : {}), keys: parseCsv(lines.join('')) }));
}

/** Rows a part of a table the shadow takes at once (see insertInParts). */
const KEEP_PART_ROWS = 50_000;

/**
 * `insert` (an INSERT … SELECT … FROM `from`, the whole table) in parts of about
 * KEEP_PART_ROWS rows, by rowid range, the event loop given back after each (a million
 * orders take about a second, during which the target's merge would otherwise wait for its
 * next statement to be sent). One part when the table is small or not counted.
 */
async function insertInParts(db: Database.Database, insert: string, from: string, tracked: Tracked): Promise<void> {
  const parts = Math.min(64, Math.ceil((tracked.rows ?? 0) / KEEP_PART_ROWS));
  if (parts <= 1) return void db.exec(insert);
  const r = quoteIdent(tracked.rowid);
  // Two subqueries: a lone min() or max() of the rowid is read off the b-tree's edge.
  const [lo, hi] = db.prepare(`SELECT (SELECT min(${r}) FROM ${from}), (SELECT max(${r}) FROM ${from})`).raw(true).safeIntegers(true).get() as [bigint | null, bigint | null];
  if (lo === null || hi === null) return;
  const part = db.prepare(`${insert} WHERE ${from}.${r} BETWEEN ? AND ?`);
  for (const [a, b] of splitRange(lo, hi, parts)) {
    part.run(a, b);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/**
 * The shadow rows whose keys' text (as the target names keys: the text of each key column)
 * is one of `keys`, found in one pass: the keys go into a temporary table with an index, and
 * each shadow row looks its key up there. (Looked up one key at a time, each key scanned the
 * shadow, which cannot use its own index through CAST: a merge that matched 100,000
 * memberships of 200,000 spent minutes here after the commit.) Returns, per key in the order
 * given, the rowids of the shadow rows it names; a key of the wrong length names none.
 */
function shadowRowsByText(db: Database.Database, shadow: string, layout: Layout, keys: ReadonlyArray<ReadonlyArray<string | null>>): number[][] {
  const width = layout.key.length;
  const names = layout.key.map((_k, i) => quoteIdent(`k${i}`));
  const temp = quoteQualified('temp', 'hesap_keys');
  db.exec(`DROP TABLE IF EXISTS ${temp}; CREATE TABLE ${temp} (i INTEGER PRIMARY KEY, ${names.join(', ')}); CREATE INDEX temp.hesap_keys_k ON hesap_keys (${names.join(', ')})`);
  const add = db.prepare(`INSERT INTO ${temp} VALUES (?, ${names.map(() => '?').join(', ')})`);
  keys.forEach((key, i) => {
    if (key.length === width) add.run(i, ...key);
  });
  const on = layout.key.map((k, i) => `CAST(s.${shadowColumn(layout.columns.findIndex(([c]) => c === k))} AS TEXT) IS t.${names[i]}`).join(' AND ');
  const found: number[][] = keys.map(() => []);
  for (const [i, rowid] of db.prepare(`SELECT t.i, s.rowid FROM ${shadow} s JOIN ${temp} t ON ${on}`).raw(true).iterate() as IterableIterator<[number, number]>) found[i]!.push(rowid);
  db.exec(`DROP TABLE ${temp}`);
  return found;
}

/** Shadow column i is `c<i>`: the app's names stay out of the shadow's own catalog. */
const shadowColumn = (i: number) => quoteIdent(`c${i}`);

/**
 * A shadow table (by its own name in the shadow) and its index on the snapshot column: the
 * smallest index of the table, which `count(*)` walks instead of every row's pages (a
 * million orders: 0.1 s to well under a millisecond; each push counts the shadow's rows).
 */
function createShadowSql(name: string, layout: Layout, tracked: Tracked): string {
  const shadow = quoteQualified(SHADOW, name);
  const keyIndexes = layout.key.map((k) => layout.columns.findIndex(([c]) => c === k));
  const single = keyIndexes.length === 1 && tracked.rowidAlias !== undefined && tracked.rowidAlias === layout.key[0];
  const columns = layout.columns.map(([, affinity], i) => `${shadowColumn(i)} ${affinity}${single && i === keyIndexes[0] ? ' PRIMARY KEY' : ''}`);
  columns.push(`${SINCE} INTEGER`, `${THEIRS} INTEGER`);
  if (!single) columns.push(`PRIMARY KEY (${keyIndexes.map(shadowColumn).join(', ')})`);
  return `CREATE TABLE ${shadow} (${columns.join(', ')}); ${countIndexSql(name)}`;
}

function countIndexSql(name: string): string {
  return `CREATE INDEX IF NOT EXISTS ${quoteQualified(SHADOW, `${name}_since`)} ON ${quoteIdent(name)} (${SINCE})`;
}

/**
 * The rows of the app's table that the shadow does not hold as they are: new keys (INSERTED)
 * and keys whose values differ (UPDATED). Values are compared as stored: the shadow's column
 * (BINARY collation, the same affinity) on the left, so a column declared NOCASE still sees a
 * change of case; a column without affinity, which may hold 1 and 1.0 alike, compares types too.
 */
function diffSql(tracked: Tracked, layout: Layout, temp: string, shadow: string): string {
  const app = (c: string) => `m.${quoteIdent(c)}`;
  const index = (c: string) => layout.columns.findIndex(([name]) => name === c);
  const on = layout.key.map((k) => `s.${shadowColumn(index(k))} = ${app(k)}`).join(' AND ');
  const same = layout.columns
    .map(([c, affinity], i) => {
      const equal = `s.${shadowColumn(i)} IS ${app(c)}`;
      return affinity === 'BLOB' ? `${equal} AND typeof(s.${shadowColumn(i)}) = typeof(${app(c)})` : equal;
    })
    .join(' AND ');
  return (
    `INSERT INTO ${temp} SELECT m.${quoteIdent(tracked.rowid)}, CASE WHEN s.rowid IS NULL THEN ${INSERTED} ELSE ${UPDATED} END` +
    ` FROM main.${quoteIdent(tracked.table.name)} m LEFT JOIN ${shadow} s ON ${on} WHERE s.rowid IS NULL OR NOT (${same || 'true'})`
  );
}

/**
 * A changed row goes with the rows it points at through a foreign key to another table of the
 * push (or its own): the target follows a child to its parent among the parent's pushed rows.
 * Repeated until no table gains a row (chains, cycles).
 */
function addParents(db: Database.Database, sends: ReadonlyMap<string, SendSet>): void {
  const edges = [...sends.values()].flatMap((child) =>
    child.tracked.table.foreignKeys.flatMap((fk) => {
      const parent = sends.get(fk.references.table);
      if (!parent) return [];
      const refs = fk.references.columns.length > 0 ? fk.references.columns : (parent.tracked.table.primaryKey?.columns ?? []);
      if (refs.length !== fk.columns.length) return [];
      const c = `main.${quoteIdent(child.tracked.table.name)}`;
      const p = `main.${quoteIdent(parent.tracked.table.name)}`;
      const on = refs.map((r, i) => `p.${quoteIdent(r)} = c.${quoteIdent(fk.columns[i]!)}`).join(' AND ');
      return [
        db.prepare(
          `INSERT OR IGNORE INTO ${parent.temp} SELECT p.${quoteIdent(parent.tracked.rowid)}, ${PARENT}` +
            ` FROM ${child.temp} x CROSS JOIN ${c} c CROSS JOIN ${p} p WHERE c.${quoteIdent(child.tracked.rowid)} = x.${quoteIdent(SEND_KEY)} AND ${on}`,
        ),
      ];
    }),
  );
  for (let round = 0; round < 10_000; round++) {
    let added = 0;
    for (const edge of edges) added += edge.run().changes;
    if (added === 0) return;
  }
}

/**
 * Rows the push left out are taken out of the shadow again, found by the text of their key
 * (as the target named them), so the next push tries them again. False when one is not found.
 */
function forgetRows(db: Database.Database, shadow: string, layout: Layout, rows: readonly SkippedRow[]): boolean {
  if (rows.some((row) => !row.sourceKeyValues)) return false;
  const found = shadowRowsByText(db, shadow, layout, rows.map((row) => row.sourceKeyValues!));
  // Each key names one row, and no two keys the same one.
  if (found.some((rowids) => rowids.length !== 1) || new Set(found.map(([r]) => r)).size !== found.length) return false;
  const remove = db.prepare(`DELETE FROM ${shadow} WHERE rowid = ?`);
  for (const [r] of found) remove.run(r);
  return true;
}

function dropShadow(db: Database.Database, row: Pick<ShadowTableRow, 'name' | 'shadow'>): void {
  db.exec(`DROP TABLE IF EXISTS ${quoteQualified(SHADOW, row.shadow)}`);
  db.prepare(`DELETE FROM ${TABLES} WHERE name = ?`).run(row.name);
}
