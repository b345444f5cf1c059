import type { Readable } from 'node:stream';
import type pg from 'pg';
import { HesapError, quoteIdent, type EpochDates, type IntrospectOptions, type Schema, type ServerInfo, type SourceSession, type Table } from '@hesap/core';
import { explainDriverError, mapQueryError } from './postgres-errors';
import { PostgresIntrospector } from './postgres-introspector';
import { Places } from './postgres-places';
import { copyOut } from './copy-out';
import { markEpochColumns } from './postgres-epoch';
import { formSelectList } from './postgres-text-form';
import { chooseAppForms } from './postgres-app-forms';

/**
 * Reads PostgreSQL tables with `COPY ... TO STDOUT (FORMAT csv)`, all inside one
 * REPEATABLE READ, READ ONLY transaction: one consistent snapshot, so foreign keys
 * resolve even while other sessions write.
 */
export class PostgresSource implements SourceSession {
  private closed = false;
  private failed?: Error;

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

  static async open(pool: pg.Pool, schema: string, server: ServerInfo = {}, epochDates?: EpochDates): Promise<PostgresSource> {
    const client = await pool.connect();
    try {
      // The snapshot is taken by the first statement of the transaction; both go in one message (one round trip).
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SELECT 1');
    } catch (error) {
      client.release(error as Error);
      throw mapQueryError(error, { doing: 'Starting the read transaction' });
    }
    return new PostgresSource(pool, client, schema, server, epochDates);
  }

  async introspect(options?: IntrospectOptions): Promise<Schema> {
    try {
      const schema = markEpochColumns(await new PostgresIntrospector(this.client, this.schema).introspect(options), this.epochDates);
      // Profiled for a load: the forms an app reads where PostgreSQL recorded none (postgres-app-forms.ts).
      if (options?.profile) await chooseAppForms(this.client, schema.tables, (table) => this.relation(table));
      return schema;
    } catch (error) {
      throw mapQueryError(error, { doing: 'Reading the schema' });
    }
  }

  async countRows(table: Table): Promise<number> {
    try {
      const r = await this.client.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${this.relation(table)}`);
      return Number(r.rows[0]!.n);
    } catch (error) {
      throw mapQueryError(error, { table: table.name, doing: 'Counting rows' });
    }
  }

  async countRowsOf(tables: readonly Table[]): Promise<number[]> {
    if (tables.length === 0) return [];
    try {
      const counts = tables.map((t, i) => `(SELECT count(*) FROM ${this.relation(t)})::text AS n${i}`);
      const r = await this.client.query<Record<string, string>>(`SELECT ${counts.join(', ')}`);
      return tables.map((_, i) => Number(r.rows[0]![`n${i}`]));
    } catch (error) {
      // The server's message names the table it could not read (permission denied for table …).
      throw mapQueryError(error, { table: tables.length === 1 ? tables[0]!.name : undefined, doing: 'Counting rows' });
    }
  }

  readTable(table: Table): Readable {
    if (this.failed) throw mapQueryError(this.failed, { table: table.name });
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
      if (this.failed) throw this.failed;
      await this.client.query('COMMIT');
      this.client.release();
    } catch (error) {
      this.client.release(error as Error);
    } finally {
      await this.pool.end().catch(() => undefined);
    }
  }
}
