import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import {
  connectionStalled,
  HesapError,
  findTable,
  quoteIdent,
  quoteQualified,
  type ForeignKey,
  type IntrospectOptions,
  type LoadPlan,
  type Note,
  type OpenOptions,
  type Schema,
  type Table,
  type TablePlan,
  type TableWrite,
  type TargetSession,
} from '@hesap/core';
import { isTransient } from './postgres-connection';
import { createTableStatements, foreignKeyStatement, identityColumn, keyStatements } from './postgres-ddl';
import { explainDriverError, inSavepoint, mapQueryError } from './postgres-errors';
import { dropConstraints, keysTouching } from './postgres-keys';
import { identityMapSql, isSurrogate, rememberKeptIds, TableMerge, type StageInfo } from './postgres-merge';
import { PostgresIntrospector } from './postgres-introspector';

/**
 * The target's settings, as the caller resolved them (absent: no limit). The idle timeout
 * bounds short statements (reading the schema, BEGIN, COMMIT); long steps (merges, key builds) have none.
 */
export interface PostgresTargetOptions extends Pick<OpenOptions, 'lockTimeoutSeconds' | 'idleTimeoutSeconds'> {
  schema: string;
}

/**
 * Loads tables into PostgreSQL in one transaction: CREATE TABLE (or TRUNCATE for
 * replace), `COPY ... FROM STDIN (FORMAT csv)` per table, then keys, foreign keys,
 * indexes and sequences, then COMMIT. Any failure rolls back everything, DDL included,
 * and the connection is discarded rather than returned to the pool.
 */
export class PostgresTarget implements TargetSession {
  private client?: pg.PoolClient;
  private plan?: LoadPlan;
  private current?: Schema;
  private failed?: Error;
  private finished = false;
  private commitSent = false;
  /** Tables merged so far in this push: children rewrite their foreign keys through them. */
  private readonly stages = new Map<string, StageInfo>();
  /** Tables this push fills with exactly the source's rows (loaded or replaced, no staging). */
  private loaded: ReadonlySet<string> = new Set();
  /** DDL that puts back the keys set aside for a replace, in order. */
  private readonly restore: string[] = [];
  private readonly pendingCycles: Array<{ merge: TableMerge; table: TablePlan; foreignKey: ForeignKey }> = [];

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: PostgresTargetOptions,
  ) {}

  private get schema(): string {
    return this.options.schema;
  }

  private async connection(): Promise<pg.PoolClient> {
    if (!this.client) {
      const client = await this.pool.connect();
      client.on('error', (error) => {
        this.failed = error;
      });
      this.client = client;
    }
    return this.client;
  }

  /**
   * `work`, or CONNECTION_TIMEOUT when the server has not answered within the idle timeout:
   * a connection that stalls (a NAT or proxy that stops forwarding, still acknowledged by TCP)
   * would otherwise wait for ever. The stalled statement is left to abort(), which ends its session.
   */
  private async answered<T>(doing: string, work: () => Promise<T>): Promise<T> {
    const seconds = this.options.idleTimeoutSeconds;
    if (seconds === undefined) return work();
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(connectionStalled(`No answer from the server for ${seconds} s while ${doing}`)), seconds * 1000);
    });
    try {
      return await Promise.race([work(), stalled]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async run(sql: string, context: { table?: string; doing?: string } = {}, values?: unknown[]): Promise<pg.QueryResult> {
    const client = await this.connection();
    try {
      return await client.query(sql, values);
    } catch (error) {
      throw mapQueryError(error, context);
    }
  }

  async introspect(options?: IntrospectOptions): Promise<Schema> {
    try {
      const client = await this.connection();
      this.current = await this.answered('reading the target schema', () => new PostgresIntrospector(client, this.schema).introspect(options));
      return this.current;
    } catch (error) {
      throw mapQueryError(error, { doing: 'Reading the target schema' });
    }
  }

  async begin(plan: LoadPlan): Promise<void> {
    this.plan = plan;
    this.loaded = new Set(plan.tables.filter((t) => t.action === 'load' || t.action === 'replace').map((t) => t.target.name));
    // 0 is PostgreSQL's "wait as long as it takes", for a caller that set no limit.
    const lockMs = this.options.lockTimeoutSeconds === undefined ? 0 : Math.round(this.options.lockTimeoutSeconds * 1000);
    await this.answered('starting the transaction', () => this.run('BEGIN'));
    await this.run(`SET LOCAL lock_timeout = ${lockMs}`);
    await this.run('SET CONSTRAINTS ALL DEFERRED');
    if (plan.merge) await this.prepareIdentityMap();
    const schemaExists = await this.run('SELECT 1 FROM pg_namespace WHERE nspname = $1', {}, [this.schema]);
    if (schemaExists.rowCount === 0) await this.run(`CREATE SCHEMA ${quoteIdent(this.schema)}`, { doing: 'Creating the schema' });
    const replaced = plan.tables.filter((t) => t.action === 'replace').map((t) => quoteQualified(this.schema, t.target.name));
    if (replaced.length > 0) {
      await this.setAsideKeys(plan.tables.filter((t) => t.action === 'replace').map((t) => t.target.name));
      await this.run(`TRUNCATE ${replaced.join(', ')}`, { doing: 'Emptying the tables to replace' });
    }
    for (const t of plan.tables) {
      if (t.create) {
        for (const sql of createTableStatements(this.schema, t.target, plan.notes)) {
          await this.run(sql, { table: t.target.name, doing: `Creating table "${t.target.name}"` }).catch((error: unknown) => {
            throw createdMeanwhile(error, t.target.name) ?? error;
          });
        }
      } else if (t.action === 'load') {
        const r = await this.run(`SELECT 1 FROM ${quoteQualified(this.schema, t.target.name)} LIMIT 1`, { table: t.target.name });
        if ((r.rowCount ?? 0) > 0) {
          throw new HesapError('TARGET_NOT_EMPTY', `Table "${t.target.name}" already holds rows in the target.`, {
            table: t.target.name,
            hints: ['Use --mode merge to add the rows that are missing, or --mode replace to make the table hold exactly the source rows.'],
          });
        }
      }
    }
  }

  /**
   * hesap's own schema and tables, made if missing. Two first pushes at the same moment both
   * get past IF NOT EXISTS; the second then fails on the catalog's unique index when the
   * first commits. By then they exist: once more, inside a savepoint, finds them.
   */
  private async prepareIdentityMap(): Promise<void> {
    const prepare = async () => {
      for (const sql of identityMapSql) await this.run(sql, { doing: 'Preparing the identity map' });
    };
    if (!(await inSavepoint((sql) => this.run(sql), 'hesap_identity_map', '23505', prepare))) await prepare();
  }

  writeTable(table: TablePlan): TableWrite {
    if (!this.client) throw new Error('begin() must come before writeTable()');
    const client = this.client;
    if (isStaged(table)) {
      const plan = this.plan!;
      const merge = new TableMerge(client, this.schema, table, plan.merge!, this.stages, this.stages.size, {
        loaded: this.loaded,
        referenced: plan.tables.some((t) => isStaged(t) && t.target.foreignKeys.some((fk) => fk.references.table === table.target.name)),
        leftOut: table.target.foreignKeys.filter((fk) => this.foreignKeyProblem(table.target, fk)),
      });
      // Queued on the connection ahead of the COPY; its error, if any, is reported by complete().
      const staged = client.query(merge.createStageSql()).then(
        () => undefined,
        (error: unknown) => error,
      );
      const stream = client.query(copyFrom(merge.copySql()));
      return {
        stream,
        complete: async () => {
          const failed = await staged;
          if (failed) throw mapQueryError(failed, { table: table.target.name, doing: 'Creating the staging table' });
          const { result, info, pendingCycles } = await merge.merge(Number(stream.rowCount ?? 0));
          this.stages.set(table.target.name, info);
          for (const foreignKey of pendingCycles) this.pendingCycles.push({ merge, table, foreignKey });
          return result;
        },
      };
    }
    const columns = table.target.columns.map((c) => quoteIdent(c.name)).join(', ');
    const stream = client.query(copyFrom(`COPY ${quoteQualified(this.schema, table.target.name)} (${columns}) FROM STDIN (FORMAT csv)`));
    return {
      stream,
      complete: async () => {
        const rows = Number(stream.rowCount ?? 0);
        return { table: table.source.name, received: rows, inserted: rows, updated: 0, unchanged: 0, remapped: 0, skipped: [] };
      },
    };
  }

  /**
   * Replaced tables are loaded like new ones: their keys, indexes and the foreign keys
   * touching them are dropped inside the transaction (definitions kept, exactly as
   * PostgreSQL prints them) and rebuilt after the load, once per table instead of once
   * per row. A failure rolls the drops back with everything else.
   */
  private async setAsideKeys(tables: string[]): Promise<void> {
    const constraints = await keysTouching((sql, values) => this.run(sql, { doing: 'Reading the keys of the tables to replace' }, values), this.schema, tables);
    const indexes = await this.run(
      `SELECT (SELECT relname FROM pg_class WHERE oid = i.indexrelid) AS name, pg_get_indexdef(i.indexrelid) AS def
         FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE n.nspname = $1 AND t.relname = ANY($2::text[])
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x'))`,
      { doing: 'Reading the indexes of the tables to replace' },
      [this.schema, tables],
    );
    // Foreign keys go first (keysTouching orders them so), keys and indexes after.
    this.restore.push(...(await dropConstraints((sql) => this.run(sql, { doing: 'Setting keys aside for the load' }), this.schema, constraints)));
    for (const i of indexes.rows as Array<{ name: string; def: string }>) {
      await this.run(`DROP INDEX ${quoteQualified(this.schema, i.name)}`, { doing: 'Setting indexes aside for the load' });
      this.restore.push(i.def);
    }
    // Rebuild in the opposite order: keys and indexes, then the foreign keys that need them.
    this.restore.reverse();
  }

  async finish(): Promise<{ notes: Note[] }> {
    const plan = this.plan!;
    const notes: Note[] = [];
    for (const sql of this.restore) await this.run(sql, { doing: 'Rebuilding the keys of the replaced tables' });
    for (const t of plan.tables) {
      if (!t.create) continue;
      for (const sql of keyStatements(this.schema, t.target)) {
        await this.run(sql, { table: t.target.name, doing: `Adding keys and indexes to "${t.target.name}"` });
      }
    }
    for (const t of plan.tables) {
      if (!t.create) continue;
      for (const fk of t.target.foreignKeys) {
        const skip = this.foreignKeyProblem(t.target, fk);
        if (skip) {
          notes.push({ level: 'warning', code: 'FOREIGN_KEY_SKIPPED', table: t.target.name, message: skip });
          continue;
        }
        await this.run(foreignKeyStatement(this.schema, t.target, fk), {
          table: t.target.name,
          doing: `Adding foreign key "${fk.name}" to "${t.target.name}"`,
        });
      }
    }
    for (const pending of this.pendingCycles) await pending.merge.fillCycle(pending.foreignKey, this.stages);
    for (const t of plan.tables) {
      await this.setSequence(t);
      // A load that kept every id teaches the identity map that source key k is target key k.
      const shape = t.existing ?? t.target;
      if (plan.merge && (t.action === 'load' || t.action === 'replace') && isSurrogate(shape)) {
        try {
          await rememberKeptIds(this.client!, this.schema, { ...shape, name: t.target.name }, plan.merge.sourceId, t.action === 'replace');
        } catch (error) {
          throw mapQueryError(error, { table: t.target.name, doing: 'Recording the identity map' });
        }
      }
    }
    if (plan.dryRun) {
      await this.run('ROLLBACK');
    } else {
      this.commitSent = true;
      try {
        await this.answered('committing', () => this.run('COMMIT'));
      } catch (error) {
        const code = (error as HesapError).code;
        if (isTransient((error as HesapError).cause ?? error) || code === 'CONNECTION_LOST' || code === 'CONNECTION_TIMEOUT') {
          const what = code === 'CONNECTION_TIMEOUT' ? 'The server did not answer the COMMIT' : 'The connection was lost while the server was committing';
          throw new HesapError('COMMIT_UNKNOWN', `${what}: the push may or may not have been applied.`, {
            cause: error,
            hints: ['Run `hesap db verify` to see which, then run the push again if needed (running it again is safe).'],
          });
        }
        throw error;
      }
    }
    this.finished = true;
    this.client!.release();
    this.client = undefined;
    return { notes };
  }

  /** Why a foreign key cannot be created in PostgreSQL, or undefined when it can. */
  private foreignKeyProblem(table: Table, fk: ForeignKey): string | undefined {
    const parentPlan = this.plan!.tables.find((p) => p.target.name === fk.references.table);
    const parent = parentPlan?.target ?? (this.current ? findTable(this.current, fk.references.table) : undefined);
    if (!parent) return `Foreign key ${table.name}(${fk.columns.join(', ')}) points at "${fk.references.table}", which is not in the target; it is left out.`;
    const keys = [parent.primaryKey?.columns, ...parent.uniques.map((u) => u.columns), ...parent.indexes.filter((i) => i.unique).map((i) => i.columns)];
    const target = [...fk.references.columns].sort().join('\u0000');
    if (!keys.some((k) => k && [...k].sort().join('\u0000') === target)) {
      return `Foreign key ${table.name}(${fk.columns.join(', ')}) points at ${fk.references.table}(${fk.references.columns.join(', ')}), which is not a primary key or unique there (SQLite allows this, PostgreSQL does not); it is left out.`;
    }
    return undefined;
  }

  /** Sets the table's sequence past every key in it, and past the source's own sequence. */
  private async setSequence(t: TablePlan): Promise<void> {
    const table = t.target;
    const column = t.create ? identityColumn(table) : t.existing?.sequence?.column;
    if (!column) return;
    const name = quoteQualified(this.schema, table.name);
    const r = await this.run(
      `SELECT pg_get_serial_sequence($1, $2) AS seq, (SELECT max(${quoteIdent(column)})::text FROM ${name}) AS max`,
      { table: table.name },
      [name, column],
    );
    const seq = r.rows[0]?.seq as string | null;
    if (!seq) return;
    const candidates = [r.rows[0]?.max, t.source.sequence?.lastValue, t.existing?.sequence?.lastValue]
      .filter((v) => v !== null && v !== undefined)
      .map((v) => BigInt(v as string | bigint));
    if (candidates.length === 0) {
      await this.run('SELECT setval($1::regclass, 1, false)', { table: table.name }, [seq]);
    } else {
      const top = candidates.reduce((a, b) => (a > b ? a : b));
      await this.run('SELECT setval($1::regclass, $2::bigint, true)', { table: table.name }, [seq, top.toString()]);
    }
  }

  explain(error: unknown): HesapError | undefined {
    return explainDriverError(error);
  }

  async abort(reason: unknown): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client || this.finished) return;
    // The connection may be mid-COPY, mid-statement or broken; it is never returned to the pool.
    try {
      if (!this.failed && !this.commitSent) {
        // A statement still running (a long merge step) is cancelled from another connection.
        const pid = (client as unknown as { processID?: number }).processID;
        if (pid) await this.pool.query('SELECT pg_cancel_backend($1)', [pid]).catch(() => undefined);
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), 2000);
          timer.unref();
        });
        const rolledBack = await Promise.race([client.query('ROLLBACK').then(() => true, () => false), timeout]).finally(() => clearTimeout(timer));
        // A connection that stalled (a NAT or proxy that stopped forwarding) never delivers the
        // ROLLBACK: its session would stay idle in transaction, holding its locks against the
        // next attempt for as long as TCP keepalive takes. Ending it rolls it back at once.
        if (!rolledBack && pid) await this.pool.query('SELECT pg_terminate_backend($1)', [pid]).catch(() => undefined);
      }
    } catch {
      // The server rolls back on its own when the connection goes away.
    } finally {
      client.release(reason instanceof Error ? reason : new Error('aborted'));
    }
  }

  async close(): Promise<void> {
    await this.abort(new Error('closed'));
    await this.pool.end().catch(() => undefined);
  }
}

/**
 * The table did not exist when the push was planned and does now: another session (a second
 * push started at the same moment) created it and committed while this CREATE waited for it.
 * Nothing of this push was written; trying again plans against the table as it now is.
 */
function createdMeanwhile(error: unknown, table: string): HesapError | undefined {
  // 42P07: relation exists; 23505 on the catalog's own unique index when both CREATEs race.
  if (!(error instanceof HesapError) || (error.sqlstate !== '42P07' && error.sqlstate !== '23505')) return undefined;
  return new HesapError('TARGET_CHANGED', `Table "${table}" was created in the target by another session while this push was starting; nothing was written.`, {
    cause: error,
    sqlstate: error.sqlstate,
    table,
    retriable: true,
    hints: ['Another push into the same database ran at the same time. Run the command again: it will see the table.'],
  });
}

/** Tables whose rows go through a staging table (see TableMerge) rather than straight in by COPY. */
function isStaged(table: TablePlan): boolean {
  return table.action === 'merge' || table.action === 'upsert' || table.action === 'append';
}
