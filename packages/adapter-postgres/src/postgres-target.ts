import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import {
  connectionStalled,
  describeOrphans,
  HesapError,
  orphansRefused,
  quoteIdent,
  quoteQualified,
  type IntrospectOptions,
  type LeftOutForeignKey,
  type LoadPlan,
  type MergeSettings,
  type Note,
  type OpenOptions,
  type OrphanGroup,
  type DeletePlan,
  type DeleteResult,
  type Schema,
  type TableMergePlan,
  type TablePlan,
  type Table,
  type TableWrite,
  type TargetSession,
} from '@hesap/core';
import { isTransient } from './postgres-connection';
import { addChecks, checksRefused, notValidChecks, stillBroken, type CheckBreakers } from './postgres-checks';
import { createTableStatements, foreignKeyStatement, keyStatements } from './postgres-ddl';
import { addForeignKey } from './postgres-orphans';
import { setSequenceSql } from './postgres-sequences';
import { explainDriverError, mapQueryError } from './postgres-errors';
import { dropConstraints, keysTouching, type ConstraintDefinition } from './postgres-keys';
import { PostgresIntrospector } from './postgres-introspector';
import { Places } from './postgres-places';
import { MergeExecutor } from './merge/executor';
import { fillCycle } from './merge/foreign-keys';
import { HESAP_SCHEMA, identityMapSql, pendingIdentitiesSql, prepareIdentityMap, rememberKeptIds, withoutIdentityMap } from './merge/identity-map';
import { judgePrivileges, privilegesSql, type PrivilegeFacts } from './postgres-privileges';
import { runSteps, type RunStep, type Step } from './postgres-batch';
import { createStageSql, openStage, statisticsSql, type Stage } from './merge/stage';
import { CREATING_STAGE, writeStaged } from './merge/table-merge';
import { readSyncState, syncStateSql, tableIdentitiesSql, type SyncState } from './postgres-sync-state';
import { quoteLiteral } from './merge/sql';
import { deleteOutcome, deleteSql, referencingSql, type Referencing } from './merge/deletes';

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
  private failed?: Error;
  private finished = false;
  private commitSent = false;
  /** A transaction was started (begin); before that the connection only read the catalog. */
  private began = false;
  /** The stages of the tables merged so far in this push: children follow their foreign keys through them. */
  private readonly stages = new Map<string, Stage>();
  /** The stage of each staged table of the plan, opened by begin(); `made`: created there too (see begin). */
  private readonly opened = new Map<TablePlan, { stage: Stage; made: boolean }>();
  /** The index of the next stage opened for a table begin() did not see. */
  private nextStage = 0;
  /** The stage being written, whose creation's error explains a COPY that met an aborted transaction. */
  private staging?: Stage;
  /** DDL that puts back the keys set aside for a replace, in order. */
  private readonly restore: string[] = [];
  /** The NOT VALID CHECK constraints among them. */
  private readonly checksSetAside: ConstraintDefinition[] = [];
  /** The target's tables as last read: those of other schemas are where tables pulled from there go back. */
  private known: Table[] = [];
  /** Where the load's tables live, settled by begin(). */
  private places: Places;
  /** The record of the last push, as read before this one (lastSync). */
  private syncState?: SyncState;

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: PostgresTargetOptions,
  ) {
    this.places = new Places(options.schema);
  }

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
      const schema = await this.answered('reading the target schema', () => new PostgresIntrospector(client, this.schema).introspect(options));
      this.known = schema.tables;
      return schema;
    } catch (error) {
      throw mapQueryError(error, { doing: 'Reading the target schema' });
    }
  }

  async lastSync(): Promise<SyncState> {
    this.syncState = await this.answered('reading the record of the last push', () =>
      readSyncState((sql, values) => this.run(sql, { doing: 'Reading the record of the last push' }, values), this.schema),
    );
    return this.syncState;
  }

  /** The snapshot taken right after this push's COMMIT, and the tables' identities then, in the same message (see postgres-sync-state.ts). */
  private after?: { snapshot?: string; tables?: Record<string, string> };

  async snapshotAfter(): Promise<{ snapshot?: string; tables?: Record<string, string> } | undefined> {
    return this.after;
  }

  async begin(plan: LoadPlan): Promise<void> {
    this.plan = plan;
    this.began = true;
    // 0 is PostgreSQL's "wait as long as it takes", for a caller that set no limit.
    const lockMs = this.options.lockTimeoutSeconds === undefined ? 0 : Math.round(this.options.lockTimeoutSeconds * 1000);
    this.places = new Places(this.schema, [...this.known, ...plan.tables.flatMap((t) => [t.target, t.existing])]);
    const staged = plan.tables.filter((t) => t.merge?.staged);
    const merged = staged.filter((t) => !t.create);
    const statistics = statisticsSql(this.places, merged.map((t) => t.target.name));
    // Before anything is written: every privilege the plan needs, or PERMISSION_DENIED with the grants;
    // read in the message that begins the transaction (issue 24: one round trip), and whether the
    // tables merged into have statistics (see analyzeIfNoStatistics).
    const begun = await this.answered('starting the transaction', () =>
      this.run(`BEGIN; SET LOCAL lock_timeout = ${lockMs}; SET CONSTRAINTS ALL DEFERRED;\n${privilegesSql(this.places, plan)}${statistics ? `;\n${statistics}` : ''}`, {
        doing: "Reading the role's privileges",
      }),
    );
    const [privileges, stats] = (begun as unknown as pg.QueryResult[]).slice(statistics ? -2 : -1);
    const known = (stats?.rows[0].known as boolean[] | undefined) ?? [];
    const facts: PrivilegeFacts = {};
    const identityMap = judgePrivileges(privileges!.rows[0]!, this.places, plan, facts);
    this.identityMapOff = identityMap === 'off';
    if (identityMap === 'off') {
      for (const t of plan.tables) if (t.merge) t.merge = withoutIdentityMap(t.merge);
      plan.notes.push({
        level: 'warning',
        code: 'IDENTITY_MAP_OFF',
        message: `The identity map (schema "${HESAP_SCHEMA}") does not exist and this role may not create it: rows were matched by natural keys and content, and which row each became is not remembered for the next push. An administrator can create it (\`hesap db grants\` prints how).`,
      });
    }
    const replaced = plan.tables.filter((t) => t.action === 'replace').map((t) => this.places.quoted(t.target.name));
    // Tables loaded whole (replaced, or empty ones filled) are loaded like new ones; see setAsideKeys.
    const loaded = plan.tables.filter((t) => t.action === 'replace' || (t.action === 'load' && !t.create)).map((t) => t.target.name);
    if (loaded.length > 0) await this.setAsideKeys(loaded);
    if (replaced.length > 0) await this.run(`TRUNCATE ${replaced.join(', ')}`, { doing: 'Emptying the tables to replace' });
    // The identity map's and every table's DDL in one message, and the tables to load whole checked empty in one query (issue 24).
    const mapSql = identityMapSql(identityMap);
    const doing = 'Preparing the identity map';
    const map: Step[] = mapSql ? [{ sql: mapSql, doing, alone: () => prepareIdentityMap((sql) => this.run(sql, { doing }), identityMap) }] : [];
    // What a merging pull found, before anything is matched (the map is there by now, or made in this message).
    if (plan.identities?.length && plan.merge && identityMap !== 'off' && identityMap !== 'none') {
      map.push({ sql: pendingIdentitiesSql(plan.merge.sourceId, plan.identities), doing: 'Writing the identities a merging pull found' });
      plan.identitiesWritten = true;
    }
    const schemas = (facts.absentSchemas ?? []).map((schema): Step => ({ sql: `CREATE SCHEMA ${quoteIdent(schema)}`, doing: `Creating the schema "${schema}"` }));
    const creates = plan.tables.filter((t) => t.create).flatMap((t) => {
      const table = t.target.name;
      return createTableStatements(this.places, t.target, plan.notes).map((sql): Step => ({ sql, table, doing: `Creating table "${table}"`, explain: (error) => createdMeanwhile(error, table) }));
    });
    // Every staged table's stage, numbered in the plan's order. Those of tables this push creates
    // are made right after their tables, in the same message: no other session can see those
    // tables, so nothing there waits for a lock; that of a table that exists is made with its
    // COPY, at its turn (see writeStaged).
    this.opened.clear();
    staged.forEach((t, i) => this.opened.set(t, { stage: openStage(t, mergePlanOf(t), this.places, i), made: t.create }));
    merged.forEach((t, i) => (this.opened.get(t)!.stage.statistics = known[i]));
    this.nextStage = staged.length;
    const stages = staged.filter((t) => t.create).map((t): Step => ({ sql: createStageSql(this.opened.get(t)!.stage), table: t.target.name, doing: CREATING_STAGE }));
    await runSteps(this.step, [...map, ...schemas, ...creates, ...stages], 'hesap_create', { doing: 'Creating the tables' });
    await this.refuseFilled(plan.tables.filter((t) => !t.create && t.action === 'load').map((t) => t.target.name));
  }

  /** The identity map is out of reach for this role (begin): rows to delete cannot be found through it. */
  private identityMapOff = false;

  async deleteRows(deletes: readonly DeletePlan[], last: boolean): Promise<DeleteResult[]> {
    const plan = this.plan!;
    if (deletes.length === 0) return [];
    if (this.identityMapOff) {
      if (!last) plan.notes.push({ level: 'warning', code: 'DELETES_NOT_DONE', message: 'Rows deleted here were not deleted in the target: the identity map, which says which target row each became, is out of reach for this role.' });
      return [];
    }
    const policy = plan.onConflict ?? 'keep-remote';
    // The foreign keys pointing at these tables, read once per push (the last pass deletes from tables the first named).
    const unknown = deletes.filter((d) => !this.pointers.has(d.target.name));
    if (unknown.length > 0) {
      const quoted = unknown.map((d) => this.places.quoted(d.target.name));
      const found = (await this.run(referencingSql(quoted), { doing: 'Reading the foreign keys that point at rows to delete' })).rows as Referencing[];
      unknown.forEach((d, i) => this.pointers.set(d.target.name, found.filter((r) => r.parent === i)));
    }
    const results: DeleteResult[] = [];
    for (const d of deletes) {
      const sql = deleteSql(d, this.places, this.mergeSettings().sourceId, plan.remoteSince, policy, this.pointers.get(d.target.name)!, last);
      const answers = await this.run(sql, { table: d.target.name, doing: 'Deleting the rows deleted here since the last push' });
      results.push(deleteOutcome(d, answers as unknown as pg.QueryResult[], policy, last));
    }
    return results;
  }

  /** The foreign keys of the target pointing at each table rows are deleted from (see deleteRows). */
  private readonly pointers = new Map<string, Referencing[]>();

  /** A statement with its context, for runSteps. */
  private readonly step: RunStep = (sql, context) => this.run(sql, context);

  /** TARGET_NOT_EMPTY for the first of `tables` (to be loaded whole) that holds rows. */
  private async refuseFilled(tables: readonly string[]): Promise<void> {
    if (tables.length === 0) return;
    const any = tables.map((t, i) => `EXISTS (SELECT 1 FROM ${this.places.quoted(t)}) AS t${i}`).join(', ');
    const r = await this.run(`SELECT ${any}`, { table: tables.length === 1 ? tables[0] : undefined });
    const full = tables.find((_, i) => (r.rows[0] as Record<string, boolean>)[`t${i}`]);
    if (full) {
      throw new HesapError('TARGET_NOT_EMPTY', `Table "${full}" already holds rows in the target.`, {
        table: full,
        hints: ["Use `mode: 'merge'` to add the rows that are missing, or `mode: 'replace'` to make the table hold exactly the source rows."],
      });
    }
  }

  writeTable(table: TablePlan): TableWrite {
    if (!this.client) throw new Error('begin() must come before writeTable()');
    const client = this.client;
    const merge = mergePlanOf(table);
    if (merge.staged) {
      const { stage, made } = this.opened.get(table) ?? { stage: openStage(table, merge, this.places, this.nextStage++), made: false };
      this.staging = stage;
      const parents = new Map<string, Stage>();
      for (const { foreignKey } of stage.merge.foreignKeys.followed) {
        const parent = this.stages.get(foreignKey.references.table);
        if (parent) parents.set(parent.table, parent);
      }
      const write = writeStaged(client, stage, this.mergeSettings(), parents, this.plan, made);
      return {
        stream: write.stream,
        complete: async () => {
          const result = await write.complete();
          this.stages.set(stage.table, stage);
          return result;
        },
      };
    }
    const columns = table.target.columns.map((c) => quoteIdent(c.name)).join(', ');
    const stream = client.query(copyFrom(`COPY ${this.places.quoted(table.target.name)} (${columns}) FROM STDIN (FORMAT csv)`));
    return {
      stream,
      complete: async () => {
        const rows = Number(stream.rowCount ?? 0);
        return { table: table.source.name, received: rows, inserted: rows, updated: 0, unchanged: 0, remapped: 0, skipped: [] };
      },
    };
  }

  /**
   * Tables loaded whole (replaced, or empty ones filled by --mode create) are loaded like new
   * ones: their keys, indexes, NOT VALID CHECKs and the foreign keys touching them are dropped inside the
   * transaction (definitions kept, exactly as PostgreSQL prints them) and rebuilt after the
   * load, once per table instead of once per row; rows that break a foreign key are then
   * counted for every key, not only the first row met. A failure rolls the drops back with
   * everything else.
   */
  private async setAsideKeys(tables: string[]): Promise<void> {
    // The lock the drops below take anyway, taken first: a push that created one of these
    // tables meanwhile has committed its keys before they are read (read while it was
    // adding them, a definition came back NULL and the rebuild failed).
    await this.run(`LOCK TABLE ${tables.map((t) => this.places.quoted(t)).join(', ')} IN ACCESS EXCLUSIVE MODE`, { doing: 'Locking the tables to load' });
    const constraints = await keysTouching((sql, values) => this.run(sql, { doing: 'Reading the keys of the tables to replace' }, values), this.places, tables);
    const indexes = await this.run(
      `SELECT (SELECT relname FROM pg_class WHERE oid = i.indexrelid) AS name, n.nspname AS schema, pg_get_indexdef(i.indexrelid) AS def
         FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE i.indrelid = ANY($1::regclass[])
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x'))`,
      { doing: 'Reading the indexes of the tables to replace' },
      [tables.map((t) => this.places.quoted(t))],
    );
    // NOT VALID CHECKs would stop the COPY at rows they were made NOT VALID for: put back as they were.
    this.checksSetAside.push(...(await notValidChecks((sql, values) => this.run(sql, { doing: 'Reading the CHECK constraints of the tables to replace' }, values), this.places, tables)));
    // Foreign keys go first (keysTouching orders them so), keys and indexes after.
    const setAside = [...constraints, ...this.checksSetAside];
    this.restore.push(...(await dropConstraints((sql) => this.run(sql, { doing: 'Setting keys aside for the load' }), setAside)));
    for (const i of indexes.rows as Array<{ name: string; schema: string; def: string }>) {
      await this.run(`DROP INDEX ${quoteQualified(i.schema, i.name)}`, { doing: 'Setting indexes aside for the load' });
      this.restore.push(i.def);
    }
    // Rebuild in the opposite order: keys and indexes, then the foreign keys that need them.
    this.restore.reverse();
  }

  async finish(): Promise<{ notes: Note[] }> {
    const plan = this.plan!;
    const notes: Note[] = [];
    // Keys put back after a replace or load: rows that break a foreign key refuse the push, every key named.
    const rebuilding = (sql: string, values?: unknown[]) => this.run(sql, { doing: 'Rebuilding the keys of the loaded tables' }, values);
    const broken: OrphanGroup[] = [];
    for (const sql of this.restore) {
      if (/ FOREIGN KEY \(/.test(sql) && !sql.endsWith(' NOT VALID')) {
        const orphans = await addForeignKey(rebuilding, this.places, sql);
        if (orphans) broken.push(orphans);
      } else {
        await rebuilding(sql);
      }
    }
    notes.push(...(await stillBroken(rebuilding, this.places, this.checksSetAside)));
    await this.addCreatedChecks(plan, notes);
    // The keys and indexes of every table created, then their foreign keys, in one message when
    // all hold (issue 24); else each alone: a foreign key as addForeignKey says.
    const keys = plan.tables.filter((t) => t.create).flatMap((t) => keyStatements(this.places, t.target).map((sql): Step => ({ sql, table: t.target.name, doing: `Adding keys and indexes to "${t.target.name}"` })));
    const foreignKeys: Step[] = [];
    for (const t of plan.tables) {
      if (!t.create) continue;
      const leftOut = mergePlanOf(t).foreignKeys.leftOut;
      for (const fk of t.target.foreignKeys) {
        const problem = leftOut.find((l) => l.foreignKey === fk);
        if (problem) {
          notes.push({ level: 'warning', code: 'FOREIGN_KEY_SKIPPED', table: t.target.name, message: leftOutMessage(t.target.name, problem) });
          continue;
        }
        const adding = (sql: string, values?: unknown[]) => this.run(sql, { table: t.target.name, doing: `Adding foreign key "${fk.name}" to "${t.target.name}"` }, values);
        const sql = foreignKeyStatement(this.places, t.target, fk);
        foreignKeys.push({
          sql,
          alone: async () => {
            // A table this push creates keeps every row: a key its rows break is made NOT VALID, and said.
            const orphans = await addForeignKey(adding, this.places, sql);
            // --strict: nothing but clean rows, so a key that would be NOT VALID refuses the push.
            if (orphans && plan.strict) broken.push(orphans);
            else if (orphans) {
              notes.push({
                level: 'warning',
                code: 'FOREIGN_KEY_NOT_VALID',
                table: t.target.name,
                message: `Foreign key ${describeOrphans(orphans)} point at no row there. Every row is kept, and the key is created NOT VALID: PostgreSQL checks new and changed rows against it, not these.`,
              });
            }
          },
        });
      }
    }
    await runSteps(this.step, [...keys, ...foreignKeys], 'hesap_keys', { doing: 'Adding keys, indexes and foreign keys' });
    if (broken.length > 0) {
      throw orphansRefused(broken, {
        hints: [
          'SQLite did not enforce these foreign keys. Add the missing parent rows or fix the values in the local file.',
          'Tables a push creates take such rows with the key made NOT VALID (not with --strict); --mode merge --skip-orphans leaves them out of tables that exist.',
        ],
      });
    }
    for (const stage of this.stages.values()) {
      for (const fk of stage.merge.foreignKeys.cycles) {
        await fillCycle(new MergeExecutor(this.client!, stage.table), stage, fk, this.stages.get(fk.references.table));
      }
    }
    for (const t of plan.tables) {
      // A load that kept every id teaches the identity map that source key k is target key k.
      if (mergePlanOf(t).identity === 'kept-ids') {
        const shape = t.existing ?? t.target;
        const run = (sql: string, values: unknown[]) => this.run(sql, { table: t.target.name, doing: 'Recording the identity map' }, values);
        await rememberKeptIds(run, this.places, { ...shape, name: t.target.name }, this.mergeSettings().sourceId, t.action === 'replace');
      }
    }
    if (plan.dryRun) {
      await this.run('ROLLBACK');
    } else {
      // The last statements before COMMIT, together (see postgres-sequences.ts); a dry run leaves them out.
      const sequences = plan.tables.flatMap((t) => {
        const sequence = mergePlanOf(t).sequence;
        return sequence ? [setSequenceSql(this.places, t.target.name, sequence)] : [];
      });
      // The record of the last push goes with them (see postgres-sync-state.ts).
      const last = [...sequences, ...syncStateSql(this.syncState, plan.syncToken, plan.merge?.sourceId ?? '')];
      if (last.length > 0) await this.run(last.join(';\n'), { doing: sequences.length > 0 ? 'Setting the sequences' : 'Recording the push' });
      this.commitSent = true;
      try {
        // A push that leaves its token reads the snapshot right after its COMMIT, in the same message: the next push compares rows' versions with it.
        const after = `SELECT pg_current_snapshot()::text AS s, ${tableIdentitiesSql(quoteLiteral(this.schema))} AS tables`;
        const committed = await this.answered('committing', () => this.run(plan.syncToken ? `COMMIT; ${after}` : 'COMMIT'));
        if (Array.isArray(committed)) {
          const row = (committed as pg.QueryResult[])[1]?.rows[0];
          this.after = { snapshot: row?.s as string | undefined, tables: row?.tables as Record<string, string> | undefined };
        }
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

  /**
   * The CHECK constraints of the tables this push created: each one PostgreSQL takes, NOT VALID
   * where rows SQLite let in break it (refused with --strict); the rest listed.
   */
  private async addCreatedChecks(plan: LoadPlan, notes: Note[]): Promise<void> {
    const broken: CheckBreakers[] = [];
    for (const t of plan.tables) {
      if (!t.create || !t.target.checks) continue;
      const name = t.target.name;
      const adding = (sql: string, values?: unknown[]) => this.run(sql, { table: name, doing: `Adding the CHECK constraints of "${name}"` }, values);
      const added = await addChecks(adding, this.places, t.target);
      notes.push(...added.notes);
      broken.push(...added.broken);
    }
    if (plan.strict && broken.length > 0) throw checksRefused(broken);
  }

  /** The push's merge settings, resolved before the plan was made. */
  private mergeSettings(): MergeSettings {
    const settings = this.plan?.merge;
    if (!settings) throw new HesapError('INTERNAL', 'The load plan has no merge settings, and a table in it needs them.');
    return settings;
  }

  explain(error: unknown): HesapError | undefined {
    // Making the stage failed (the COPY behind it never began), or "current transaction is
    // aborted", which says only that something failed before: that is the error.
    const failed = this.staging?.failed;
    if (failed && (failed.cause === error || (error as { code?: string } | undefined)?.code === '25P02')) return failed;
    return explainDriverError(error);
  }

  async abort(reason: unknown): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client || this.finished) return;
    if (!this.began && !this.failed) {
      // Only the catalog was read (an incremental push that found nothing to send): nothing to undo.
      client.release();
      return;
    }
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

/** The table's merge plan, which every plan `planLoad` makes carries. */
function mergePlanOf(table: TablePlan): TableMergePlan {
  if (!table.merge) throw new HesapError('INTERNAL', `Table "${table.target.name}" has no merge plan: plan the load with planLoad.`, { table: table.target.name });
  return table.merge;
}

/** Why a foreign key is left out, in words. */
function leftOutMessage(table: string, { foreignKey: fk, problem }: LeftOutForeignKey): string {
  if (problem === 'no-parent') return `Foreign key ${table}(${fk.columns.join(', ')}) points at "${fk.references.table}", which is not in the target; it is left out.`;
  return `Foreign key ${table}(${fk.columns.join(', ')}) points at ${fk.references.table}(${fk.references.columns.join(', ')}), which is not a primary key or unique there (SQLite allows this, PostgreSQL does not); it is left out.`;
}
