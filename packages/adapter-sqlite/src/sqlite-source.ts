import type { Readable } from 'node:stream';
import type Database from 'better-sqlite3';
import { quoteIdent, quoteQualified, type DataPolicies, type IntrospectOptions, type Note, type Schema, type ServerInfo, type SourceSession, type Table } from '@hesap/core';
import { keepKeysAlike } from './sqlite-column-size';
import { REPAIR_TEXT_FUNCTION } from './sqlite-csv-sql';
import { SqliteIntrospector } from './sqlite-introspector';
import type { ProfileHelpers } from './sqlite-profile-helpers';
import { SqliteProfiler, type SqliteTableProfile } from './sqlite-profiler';
import { readPlan, type SqliteReadPlan } from './sqlite-read-plan';
import { SqliteTableReader } from './sqlite-table-reader';
import { SEND_KEY, SqliteChanges } from './sqlite-changes';
import type { SqliteTableLayout } from './sqlite-introspector';

/**
 * Reads a SQLite database as PostgreSQL CSV. Every read happens inside one read
 * transaction opened with the session, so all tables come from one consistent
 * snapshot even while the app keeps writing.
 */
export class SqliteSource implements SourceSession {
  private readonly introspector: SqliteIntrospector;
  private profiler: SqliteProfiler;
  /** How each table is read, as the last introspection planned it. */
  private plans = new Map<string, SqliteReadPlan>();
  private open = true;
  readonly server: ServerInfo;
  /** What changed since the last push, when the session was opened with a shadow (see sqlite-changes.ts). */
  readonly changes?: SqliteChanges;
  /** The tables as the last introspection gave them. */
  private tables = new Map<string, Table>();

  constructor(
    private readonly db: Database.Database,
    private readonly policies: DataPolicies,
    /** Opened with a shadow attached; `damaged`: the one there was could not be read, and a new one took its place. */
    shadow?: { damaged?: string },
    private readonly log?: (level: 'debug' | 'info' | 'warn', message: string) => void,
  ) {
    this.introspector = new SqliteIntrospector(db, policies);
    this.profiler = new SqliteProfiler(db, policies);
    this.server = { version: `SQLite ${db.prepare('SELECT sqlite_version()').pluck().get() as string}` };
    db.function(REPAIR_TEXT_FUNCTION, { deterministic: true }, (value: unknown) => repairText(value));
    db.exec('BEGIN');
    // The snapshot starts with the first read, so take it now.
    db.prepare('SELECT count(*) FROM main.sqlite_schema').get();
    if (shadow) {
      this.changes = new SqliteChanges(
        db,
        shadow.damaged,
        (name) => {
          const table = this.tables.get(name);
          const plan = this.plans.get(name);
          return table?.primaryKey && table.primaryKey.columns.length > 0 && plan?.rowid ? { table, rowid: plan.rowid, rowidAlias: plan.rowidAlias, rows: plan.only ? undefined : plan.rows } : undefined;
        },
        (name, only, rows) => {
          const plan = this.plans.get(name);
          if (plan) this.plans.set(name, { ...plan, only, rows });
        },
        (name) => this.decisions.get(name),
      );
    }
  }

  /** Threads that read the same snapshot and share the profile scans (see ProfileHelpers.around). */
  useHelpers(helpers: ProfileHelpers): void {
    this.profiler = new SqliteProfiler(this.db, this.policies, helpers);
  }

  /** The catalog, each wanted table profiled as it is read (with `profile`), and each table's read plan. */
  async introspect(options: IntrospectOptions = {}): Promise<Schema> {
    const wanted = options.tables ? new Set(options.tables) : undefined;
    const plans = new Map<string, SqliteReadPlan>();
    try {
      const schema = await this.introspector.introspect(options, async (table, layout, notes) => {
        const profiled = options.profile && (!wanted || wanted.has(table.name));
        plans.set(table.name, readPlan(layout, profiled ? await this.profile(table, layout, notes) : undefined));
      });
      // Reads an incremental push restricted to its send sets stay so when the tables are looked at again (profiled).
      for (const [name, plan] of plans) {
        const before = this.plans.get(name);
        if (before?.only) plans.set(name, { ...plan, only: before.only, rows: before.rows });
      }
      this.plans = plans;
      this.tables = new Map(schema.tables.map((t) => [t.name, t]));
      if (options.profile) keepKeysAlike(schema.tables.filter((t) => !wanted || wanted.has(t.name)), schema.notes);
      return schema;
    } finally {
      // The profile is done: the helpers' memory is given back before the rows move.
      if (options.profile) await this.profiler.releaseHelpers()?.close();
    }
  }

  /** What the profile of each table decided in this session (see profile), for the record of this push. */
  private readonly decisions = new Map<string, string>();

  /**
   * Profiles a table. An incremental push whose record holds what the whole table's profile
   * decided at the last push profiles the rows that go, alone, when they are few: if they
   * decide the same, so would the whole table now. Every decision is a function of facts that
   * hold for a set of rows when they hold for each part (every value is a date, some value
   * has a fraction, the longest text), so the table now, which is the rows unchanged since
   * (decided no wider then) and the rows that go, decides no wider and no narrower than
   * they. The policies are part of what is compared. Otherwise the whole table is profiled.
   */
  private async profile(table: Table, layout: SqliteTableLayout, notes: Note[]): Promise<SqliteTableProfile> {
    const only = this.plans.get(table.name)?.only;
    const rows = this.plans.get(table.name)?.rows;
    const recorded = only && layout.rowid && rows !== undefined && rows < SEND_SET_PROFILE_ROWS ? this.changes?.recordedProfile(table.name) : undefined;
    if (recorded) {
      const pristine = structuredClone(table);
      const found: Note[] = [...notes];
      const view = quoteQualified('temp', table.name);
      // The profile's reads name the table unqualified: a temporary view of the same name, the rows that go, comes first.
      this.db.exec(`CREATE TEMP VIEW ${view} AS SELECT ${layout.rowid} AS ${layout.rowid}, * FROM main.${quoteIdent(table.name)} WHERE ${layout.rowid} IN (SELECT ${quoteIdent(SEND_KEY)} FROM ${only})`);
      let profile: SqliteTableProfile;
      try {
        // No helper threads: their connections see the table, not the view.
        profile = await new SqliteProfiler(this.db, this.policies).profile(table, layout, found);
      } finally {
        this.db.exec(`DROP VIEW ${view}`);
      }
      const decision = decisionOf(table, profile, this.policies);
      if (decision === recorded.decision) {
        this.log?.('debug', `Profiled the ${rows} row(s) of "${table.name}" that go: they decide as the whole table did at the last push.`);
        // The notes the whole table's profile gave, and those said once per file (no table).
        for (const n of [...recorded.notes, ...found.slice(notes.length).filter((x) => x.table === undefined)]) {
          if (!notes.some((m) => m.code === n.code && m.message === n.message)) notes.push(n);
        }
        this.decisions.set(table.name, JSON.stringify({ decision, notes: recorded.notes }));
        return profile;
      }
      this.log?.('debug', `The ${rows} row(s) of "${table.name}" that go decide otherwise than the whole table did at the last push: profiling the whole table.`);
      // The table as the catalog gave it, whatever the profile of the rows that go set on it.
      for (const key of Object.keys(table)) if (!(key in pristine)) delete (table as unknown as Record<string, unknown>)[key];
      Object.assign(table, structuredClone(pristine));
    }
    const before = notes.length;
    const profile = await this.profiler.profile(table, layout, notes);
    this.decisions.set(table.name, JSON.stringify({ decision: decisionOf(table, profile, this.policies), notes: notes.slice(before).filter((n) => n.table === table.name) }));
    return profile;
  }

  async countRows(table: Table): Promise<number> {
    // The profile counted the rows in the same snapshot; no second scan.
    const counted = this.plans.get(table.name)?.rows;
    if (counted !== undefined) return counted;
    const n = this.db.prepare(`SELECT count(*) FROM main.${quoteIdent(table.name)}`).pluck().get() as number;
    return n;
  }

  readTable(table: Table): Readable {
    const plan = this.plans.get(table.name);
    if (!plan) throw new Error(`Table "${table.name}" was not introspected in this session.`);
    return new SqliteTableReader(this.db, table, plan);
  }

  async close(): Promise<void> {
    if (!this.open) return;
    this.open = false;
    await this.profiler.releaseHelpers()?.close();
    try {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
    } finally {
      this.db.close();
    }
  }
}

/** Send sets profiled alone up to this many rows (single-threaded: the helpers' connections cannot see them). */
const SEND_SET_PROFILE_ROWS = 100_000;

/** What a table's profile decided, as text to compare: its columns and keys as decided, the columns whose text is repaired, the policies they were decided under. */
function decisionOf(table: Table, profile: SqliteTableProfile, policies: DataPolicies): string {
  const { columns, primaryKey, uniques, declaredPrimaryKey } = table;
  return JSON.stringify({ columns, primaryKey, uniques, declaredPrimaryKey, repair: [...profile.repair].sort(), policies });
}

/** Text as valid UTF-8 without NUL: invalid bytes and NUL become U+FFFD. */
export function repairText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const text = Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
  return text.includes('\u0000') ? text.replace(/\u0000/g, '\uFFFD') : text;
}
