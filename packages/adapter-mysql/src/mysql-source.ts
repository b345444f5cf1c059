import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type { RowDataPacket } from 'mysql2/promise';
import {
  ChunkBuilder,
  CHUNK_BYTES,
  encodeField,
  HesapError,
  withTable,
  type Column,
  type IntrospectOptions,
  type OpenOptions,
  type RowCounting,
  type Schema,
  type ServerInfo,
  type SourceSession,
  type Table,
  type WireValue,
} from '@hesap/core';
import { connectMysql, streamingConnection, type MysqlConnection } from './mysql-connection';
import { isMysqlError, mapMysqlError } from './mysql-errors';
import { quoteMysqlIdent } from './mysql-identifiers';
import { MysqlIntrospector } from './mysql-introspector';
import { readsAsBytes } from './mysql-types';

/** `12:00:00.500000` → `12:00:00.5`, `12:00:00.000000` → `12:00:00`: the shortest form, as PostgreSQL prints it. */
export function shortestFraction(text: string): string {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

/** Server text (or bytes) of one column → a value for the core encoder, exactly. */
type Converter = (value: string | Buffer) => WireValue;

function converterFor(column: Column): Converter {
  switch (column.type) {
    case 'float':
      // The server prints doubles in their shortest exact form, so the double read back is the one stored.
      return (v) => Number(v);
    case 'boolean':
      return (v) => v !== '0';
    case 'time':
    case 'timestamp':
      return (v) => shortestFraction(String(v));
    case 'timestamptz':
      // TIMESTAMP is read in the session's time zone, which is UTC.
      return (v) => `${shortestFraction(String(v))}+00`;
    default:
      return (v) => v;
  }
}

/** Rows of one query (arrays of text or bytes) → PostgreSQL CSV chunks. */
class MysqlTableReader extends Transform implements RowCounting {
  rowCount = 0;
  private readonly chunks = new ChunkBuilder();
  private readonly converters: Converter[];
  private readonly types: Column['type'][];

  constructor(private readonly table: Table) {
    super({ writableObjectMode: true, readableHighWaterMark: 4 * CHUNK_BYTES });
    this.converters = table.columns.map(converterFor);
    this.types = table.columns.map((c) => c.type);
  }

  override _transform(row: Array<string | Buffer | null>, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      let line = '';
      for (let i = 0; i < this.types.length; i++) {
        if (i > 0) line += ',';
        const value = row[i];
        line += value === null || value === undefined ? '' : encodeField(this.converters[i]!(value), this.types[i]!);
      }
      this.rowCount++;
      const chunk = this.chunks.add(line + '\n');
      callback(null, chunk);
    } catch (error) {
      callback(withTable(error, this.table.name));
    }
  }

  override _flush(callback: TransformCallback): void {
    callback(null, this.chunks.take());
  }
}

/**
 * Reads MySQL/MariaDB tables as PostgreSQL CSV, every table from one consistent
 * snapshot: `START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY` at REPEATABLE READ,
 * on one connection. Values are read as the server's own text (exact decimals, 64-bit
 * integers, datetimes) or as bytes, never through JavaScript numbers.
 */
export class MysqlSource implements SourceSession {
  private closed = false;
  private failed = false;
  private readonly introspector: MysqlIntrospector;

  private constructor(
    private readonly connection: MysqlConnection,
    database: string,
    mariadb: boolean,
    readonly server: ServerInfo,
  ) {
    this.introspector = new MysqlIntrospector(connection, database, mariadb);
  }

  static async open(location: string, options: OpenOptions): Promise<MysqlSource> {
    const { connection, location: parsed, serverVersion, mariadb } = await connectMysql(location, options);
    try {
      await connection.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
      await connection.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
    } catch (error) {
      connection.destroy();
      throw mapMysqlError(error, { doing: 'Starting the read snapshot' });
    }
    return new MysqlSource(connection, parsed.database, mariadb, { version: serverVersion, tls: parsed.sslMode === 'DISABLED' ? 'none' : parsed.sslMode });
  }

  async introspect(options?: IntrospectOptions): Promise<Schema> {
    try {
      return await this.introspector.introspect(options);
    } catch (error) {
      throw mapMysqlError(error, { doing: 'Reading the schema' });
    }
  }

  async countRows(table: Table): Promise<number> {
    try {
      const [rows] = await this.connection.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${quoteMysqlIdent(table.name)}`);
      return Number(rows[0]!.n);
    } catch (error) {
      throw mapMysqlError(error, { table: table.name, doing: 'Counting rows' });
    }
  }

  readTable(table: Table): Readable {
    if (this.failed) throw new HesapError('CONNECTION_LOST', `The read connection broke before "${table.name}" was read.`, { table: table.name, retriable: true });
    const bytes = new Set(table.columns.filter((c) => readsAsBytes(c.type)).map((c) => c.name));
    const columns = table.columns.map((c) => quoteMysqlIdent(c.name)).join(', ');
    const reader = new MysqlTableReader(table);
    const rows = streamingConnection(this.connection)
      .query({
        sql: `SELECT ${columns} FROM ${quoteMysqlIdent(table.name)}`,
        rowsAsArray: true,
        // Everything as the server's text (utf8), bytes as bytes: no value passes through a JavaScript number.
        typeCast: (field) => (bytes.has(field.name) ? field.buffer() : field.string('utf8')),
      })
      .stream({ highWaterMark: 256 });
    rows.on('error', (error: unknown) => {
      this.failed = true;
      reader.destroy(mapMysqlError(error, { table: table.name, doing: `Reading "${table.name}"` }));
    });
    reader.on('close', () => {
      // A read cut short leaves rows in flight on the connection: it cannot be used again.
      if (!reader.writableFinished) {
        this.failed = true;
        rows.destroy();
      }
    });
    rows.pipe(reader);
    return reader;
  }

  explain(error: unknown): HesapError | undefined {
    return isMysqlError(error) ? mapMysqlError(error) : undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.failed) {
      this.connection.destroy();
      return;
    }
    try {
      await this.connection.query('COMMIT');
      await this.connection.end();
    } catch {
      this.connection.destroy();
    }
  }
}
