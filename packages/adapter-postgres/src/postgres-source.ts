import type { Readable } from 'node:stream';
import type pg from 'pg';
import { HesapError, quoteIdent, quoteQualified, type EpochDates, type IntrospectOptions, type Schema, type ServerInfo, type SourceSession, type SyncView, type Table } from '@hesap/core';
import { HESAP_SCHEMA } from './merge/identity-map';
import { quoteLiteral } from './merge/sql';
import { readSyncState } from './postgres-sync-state';
import { explainDriverError, mapQueryError } from './postgres-errors';
import { PostgresIntrospector } from './postgres-introspector';
import { Places } from './postgres-places';
import { copyOut } from './copy-out';
import { markEpochColumns } from './postgres-epoch';
import { formSelectList } from './postgres-text-form';
import { chooseAppForms } from './postgres-app-forms';

/** The JSON text query_to_xml wrapped in `<j>` (its element text escaped as XML), parsed; empty when there was none. */
function fromXml(xml: unknown): unknown[] {
  const text = typeof xml === 'string' ? /<j>([\s\S]*)<\/j>/.exec(xml)?.[1] : undefined;
  if (text === undefined) return [];
  const json = text.replace(/&(lt|gt|quot|apos|amp|#x([0-9a-fA-F]+)|#(\d+));/g, (_m, name: string, hex?: string, dec?: string) =>
    hex ? String.fromCodePoint(parseInt(hex, 16)) : dec ? String.fromCodePoint(Number(dec)) : ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' } as Record<string, string>)[name]!,
  );
  return JSON.parse(json) as unknown[];
}

/** The read transaction, sent in one message with the first query (its snapshot is taken by that query). */
const BEGIN_READ = 'BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY';

/**
 * Reads PostgreSQL tables with `COPY ... TO STDOUT (FORMAT csv)`, all inside one
 * REPEATABLE READ, READ ONLY transaction: one consistent snapshot, so foreign keys
 * resolve even while other sessions write. Few round trips (issue 24): the BEGIN goes with
 * the catalog query, the catalog is one query (with the row counts `status` asks for), the
 * counts a load needs one more, and the transaction ends with the connection (it wrote nothing).
 */
export class PostgresSource implements SourceSession {
  private closed = false;
  private failed?: Error;
  /** BEGIN, until a statement has carried it. */
  private begin?: string = BEGIN_READ;
  /** Row counts already read in the snapshot (introspect's `counts`), by table name. */
  private readonly counted = new Map<string, number>();

  private constructor(
    private readonly pool: pg.Pool,
    private readonly client: pg.PoolClient,
    readonly schema: string,
    readonly server: ServerInfo,
    /** Date-times the user reads as epoch integers (`epochDates`), besides those a column comment records. */
    private readonly epochDates?: EpochDates,
  ) {
    client.on('error', (error) => {
      this.failed = error;
    });
  }

  /** A session on a connection of the pool; its transaction begins with the first statement sent (see `begin`). */
  static async open(pool: pg.Pool, schema: string, server: ServerInfo = {}, epochDates?: EpochDates): Promise<PostgresSource> {
    const client = await pool.connect();
    return new PostgresSource(pool, client, schema, server, epochDates);
  }

  /** `sql` with the BEGIN ahead of it in the same message, when no statement has carried it yet. */
  private withBegin(sql: string): string {
    const begin = this.begin;
    this.begin = undefined;
    return begin ? `${begin};\n${sql}` : sql;
  }

  /** The BEGIN alone, queued ahead of a statement that cannot carry it (a COPY). */
  private beginAlone(): void {
    if (!this.begin) return;
    this.client.query(this.withBegin('')).catch((error: Error) => (this.failed ??= error));
  }

  async introspect(options?: IntrospectOptions): Promise<Schema> {
    try {
      const begin = this.begin;
      this.begin = undefined;
      const read = await new PostgresIntrospector(this.client, this.schema).read(options, begin);
      for (const [name, n] of read.counts) this.counted.set(name, n);
      const schema = markEpochColumns(read.schema, this.epochDates);
      // Profiled for a load: the forms an app reads where PostgreSQL recorded none (postgres-app-forms.ts).
      if (options?.profile) await chooseAppForms(this.client, schema.tables, (table) => this.relation(table));
      return schema;
    } catch (error) {
      throw mapQueryError(error, { doing: 'Reading the schema' });
    }
  }

  async countRows(table: Table): Promise<number> {
    return (await this.countRowsOf([table]))[0]!;
  }

  async countRowsOf(tables: readonly Table[]): Promise<number[]> {
    // Counted with the catalog (status): the same snapshot, nothing to ask again.
    if (tables.every((t) => this.counted.has(t.name))) return tables.map((t) => this.counted.get(t.name)!);
    try {
      const counts = tables.map((t, i) => `(SELECT count(*) FROM ${this.relation(t)})::text AS n${i}`);
      const r = await this.client.query<Record<string, string>>(this.withBegin(`SELECT ${counts.join(', ')}`));
      const rows = (Array.isArray(r) ? r[r.length - 1] : r) as pg.QueryResult<Record<string, string>>;
      return tables.map((_, i) => Number(rows.rows[0]![`n${i}`]));
    } catch (error) {
      // The server's message names the table it could not read (permission denied for table …).
      throw mapQueryError(error, { table: tables.length === 1 ? tables[0]!.name : undefined, doing: 'Counting rows' });
    }
  }

  readTable(table: Table): Readable {
    if (this.failed) throw mapQueryError(this.failed, { table: table.name });
    this.beginAlone();
    const name = this.relation(table);
    const formed = formSelectList(table.columns);
    const columns = table.columns.map((c) => quoteIdent(c.name)).join(', ');
    // Date-time text goes back in the form it was written in (postgres-text-form.ts).
    const sql = formed ? `COPY (SELECT ${formed} FROM ${name}) TO STDOUT (FORMAT csv)` : `COPY ${name} (${columns}) TO STDOUT (FORMAT csv)`;
    const stream = this.client.query(copyOut(sql));
    let ended = false;
    stream.on('end', () => (ended = true));
    // A COPY cut short leaves the connection mid-protocol: it must be discarded, not reused.
    stream.on('close', () => {
      if (!ended) this.failed ??= new Error(`The read of "${table.name}" was interrupted.`);
    });
    return stream;
  }

  /**
   * hesap's record here as this snapshot sees it, for a merging pull (issue 23): the last
   * push's token and the tables' identities (as a push reads them), the snapshot, and the
   * identity map of `sourceId`. A role that may not read `_hesap` sees no token and no map:
   * the pull then merges by natural key alone, and the next push is a full one.
   */
  async syncView(sourceId: string): Promise<SyncView> {
    try {
      const query = async (sql: string, values?: unknown[]) => {
        const r = await this.client.query(this.withBegin(sql), values);
        return (Array.isArray(r) ? r[r.length - 1] : r) as pg.QueryResult<Record<string, unknown>>;
      };
      const state = await readSyncState(query, this.schema);
      // The map and the baseline in one query: each read through query_to_xml (its text runs
      // only where the table exists and may be read), as one JSON array.
      const readable = (name: string) =>
        `coalesce((SELECT has_table_privilege(c.oid, 'SELECT') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ${quoteLiteral(HESAP_SCHEMA)} AND c.relname = ${quoteLiteral(name)} AND has_schema_privilege(n.oid, 'USAGE')), false)`;
      const source = quoteLiteral(sourceId);
      const asJson = (name: string, row: string, where: string) => {
        const sql = `SELECT coalesce(json_agg(json_build_array(${row})), '[]')::text AS j FROM ${quoteQualified(HESAP_SCHEMA, name)} WHERE ${where}`;
        return `CASE WHEN ${readable(name)} THEN query_to_xml(${quoteLiteral(sql)}, false, true, '')::text END`;
      };
      const head = await query(
        `SELECT pg_current_snapshot()::text AS snapshot, ${asJson('identity_map', 'table_name, source_key, target_key', `source_id = ${source}`)} AS map,` +
          ` ${asJson('identity_baseline', 'table_name, max_key::text', `source_id = ${source}`)} AS baseline`,
      );
      const row = head.rows[0]!;
      const entries: SyncView['entries'] = {};
      const baselines: SyncView['baselines'] = {};
      for (const [t, s, k] of fromXml(row.map) as Array<[string, string, string]>) (entries[t] ??= []).push([s, k]);
      for (const [t, k] of fromXml(row.baseline) as Array<[string, string]>) baselines[t] = k;
      return { ...(state.token ? { token: state.token } : {}), snapshot: row.snapshot as string, tables: state.tables ?? {}, entries, baselines };
    } catch (error) {
      throw mapQueryError(error, { doing: 'Reading hesap\'s record' });
    }
  }

  /** The table's qualified SQL name: at its place when it came from another schema. */
  private relation(table: Table): string {
    return new Places(this.schema, [table]).quoted(table.name);
  }

  explain(error: unknown): HesapError | undefined {
    return explainDriverError(error);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      // Nothing was written: ending the connection ends the transaction, with no COMMIT to wait for.
      this.client.release(this.failed ?? true);
    } finally {
      await this.pool.end().catch(() => undefined);
    }
  }
}
