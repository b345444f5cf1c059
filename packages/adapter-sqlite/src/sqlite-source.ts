import type { Readable } from 'node:stream';
import type Database from 'better-sqlite3';
import { quoteIdent, type DataPolicies, type IntrospectOptions, type Schema, type ServerInfo, type SourceSession, type Table } from '@hesap/core';
import { keepKeysAlike } from './sqlite-column-size';
import { REPAIR_TEXT_FUNCTION } from './sqlite-csv-sql';
import { SqliteIntrospector } from './sqlite-introspector';
import type { ProfileHelpers } from './sqlite-profile-helpers';
import { SqliteProfiler } from './sqlite-profiler';
import { readPlan, type SqliteReadPlan } from './sqlite-read-plan';
import { SqliteTableReader } from './sqlite-table-reader';
import { SqliteChanges } from './sqlite-changes';

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
        plans.set(table.name, readPlan(layout, profiled ? await this.profiler.profile(table, layout, notes) : undefined));
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

/** Text as valid UTF-8 without NUL: invalid bytes and NUL become U+FFFD. */
export function repairText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const text = Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
  return text.includes('\u0000') ? text.replace(/\u0000/g, '\uFFFD') : text;
}
