import { Writable } from 'node:stream';
import type { RowDataPacket } from 'mysql2/promise';
import {
  canonicalField,
  CsvParser,
  findTable,
  HesapError,
  parseBooleanField,
  parseBytesField,
  parseFloatField,
  type Column,
  type CsvRow,
  type ForeignKey,
  type IntrospectOptions,
  type LoadPlan,
  type Note,
  type OpenOptions,
  type RowCounting,
  type Schema,
  type Table,
  type TablePlan,
  type TableWrite,
  type TableWriteResult,
  type TargetSession,
} from '@hesap/core';
import { connectMysql, type MysqlConnection } from './mysql-connection';
import { createTableSql } from './mysql-ddl';
import { isMysqlError, mapMysqlError } from './mysql-errors';
import { quoteMysqlIdent } from './mysql-identifiers';
import { MysqlIntrospector } from './mysql-introspector';
import { decimalBounds } from './mysql-types';

type Decoder = (text: string) => unknown;

const refuse = (message: string) => new HesapError('VALUE_UNREPRESENTABLE', message);

const TIMESTAMPTZ = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?(?:(Z)|([+-])(\d{2})(?::?(\d{2}))?(?::?(\d{2}))?)?$/;

/** `2024-01-01 14:00:00.5+02` → `2024-01-01 12:00:00.5`: TIMESTAMP values go in as UTC, the session's time zone. */
export function toUtc(text: string): string {
  const m = TIMESTAMPTZ.exec(text.trim());
  if (!m) throw refuse(`"${text}" is not a timestamp MySQL can hold.`);
  const offset = m[9] ? (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 3600 + Number(m[11] ?? 0) * 60 + Number(m[12] ?? 0)) : 0;
  const date = new Date(0);
  date.setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  date.setUTCHours(Number(m[4]), Number(m[5]), Number(m[6]) - offset, 0);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return (
    `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}${m[7] ?? ''}`
  );
}

/** How CSV text becomes a parameter for a column: exact, or refused (MySQL would otherwise round or zero it quietly). */
export function decoderFor(column: Column): Decoder {
  switch (column.type) {
    case 'integer':
      return (t) => {
        if (!/^[+-]?\d+$/.test(t)) throw refuse(`"${t}" is not an integer.`);
        return t;
      };
    case 'float':
      return (t) => {
        const n = parseFloatField(t);
        if (!Number.isFinite(n) || Object.is(n, -0)) throw refuse(`${t} cannot be stored in a MySQL DOUBLE (no NaN, infinities or negative zero).`);
        return n;
      };
    case 'decimal': {
      const { scale } = decimalBounds(column);
      return (t) => {
        const plain = canonicalField(t, 'decimal');
        if (!/^-?\d+(\.\d+)?$/.test(plain)) throw refuse(`${t} cannot be stored in a MySQL DECIMAL.`);
        const fraction = plain.split('.')[1]?.length ?? 0;
        if (fraction > scale) throw refuse(`${t} has ${fraction} digits after the point; the MySQL column keeps ${scale} and would round it.`);
        return plain;
      };
    }
    case 'boolean':
      return (t) => (parseBooleanField(t) ? 1 : 0);
    case 'bytes':
      return parseBytesField;
    case 'timestamptz':
      return toUtc;
    default:
      return (t) => t;
  }
}

/** Rows per INSERT and bytes per INSERT: well under max_allowed_packet (16 MiB on MariaDB, 64 MiB on MySQL 8). */
const BATCH_ROWS = 2000;
const BATCH_BYTES = 4 * 1024 * 1024;

/** Parses CSV and inserts rows in multi-row INSERTs with parameters, inside the session's transaction. */
class MysqlTableWriter extends Writable implements RowCounting {
  rowCount = 0;
  private readonly parser: CsvParser;
  private readonly decoders: Decoder[];
  private readonly insert: string;
  private pending: CsvRow[] = [];
  private pendingBytes = 0;

  constructor(
    private readonly connection: MysqlConnection,
    private readonly table: Table,
  ) {
    super({ decodeStrings: true });
    this.decoders = table.columns.map(decoderFor);
    this.insert = `INSERT INTO ${quoteMysqlIdent(table.name)} (${table.columns.map((c) => quoteMysqlIdent(c.name)).join(', ')}) VALUES ?`;
    this.parser = new CsvParser((row) => {
      this.pending.push(row);
      for (const field of row) this.pendingBytes += field === null ? 4 : field.length + 2;
    });
  }

  private decode(row: CsvRow): unknown[] {
    if (row.length !== this.decoders.length) {
      throw new HesapError('INTERNAL', `Table "${this.table.name}", line ${this.rowCount + 1}: ${row.length} fields for ${this.decoders.length} columns.`, { table: this.table.name });
    }
    return row.map((text, i) => {
      if (text === null) return null;
      try {
        return this.decoders[i]!(text);
      } catch (error) {
        throw this.rowError(error, row, this.table.columns[i]!.name);
      }
    });
  }

  private rowError(error: unknown, row: CsvRow, column?: string): HesapError {
    const pk = this.table.primaryKey?.columns ?? [];
    const label = pk.length > 0 ? pk.map((c) => `${c}=${row[this.table.columns.findIndex((x) => x.name === c)] ?? 'NULL'}`).join(', ') : `line ${this.rowCount + 1}`;
    const cause = error instanceof HesapError ? error : mapMysqlError(error);
    return new HesapError(cause.code, `Table "${this.table.name}"${column ? `, column "${column}"` : ''}, row ${label}: ${cause.message}`, {
      table: this.table.name,
      column,
      row: label,
      sqlstate: cause.sqlstate,
      hints: cause.hints,
      retriable: cause.retriable,
      cause: error,
    });
  }

  private async flush(): Promise<void> {
    const rows = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    if (rows.length === 0) return;
    const values = rows.map((row) => this.decode(row));
    try {
      await this.connection.query(this.insert, [values]);
      this.rowCount += rows.length;
    } catch (error) {
      if (!isMysqlError(error) || (error as { fatal?: boolean }).fatal) throw mapMysqlError(error, { table: this.table.name });
      // InnoDB undid the whole statement: insert row by row to name the row that fails.
      for (const [i, row] of rows.entries()) {
        try {
          await this.connection.query(this.insert, [[values[i]]]);
          this.rowCount++;
        } catch (single) {
          throw this.rowError(single, row);
        }
      }
      throw mapMysqlError(error, { table: this.table.name });
    }
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    try {
      this.parser.write(chunk);
    } catch (error) {
      callback(error as Error);
      return;
    }
    if (this.pending.length < BATCH_ROWS && this.pendingBytes < BATCH_BYTES) {
      callback();
      return;
    }
    this.flush().then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    try {
      this.parser.end();
    } catch (error) {
      callback(error as Error);
      return;
    }
    this.flush().then(() => callback(), callback);
  }

  result(source: string): TableWriteResult {
    return { table: source, received: this.rowCount, inserted: this.rowCount, updated: 0, unchanged: 0, remapped: 0, skipped: [] };
  }
}

/** The collations that compare text byte for byte without padding, best first. */
const BINARY_COLLATIONS = ['utf8mb4_nopad_bin', 'utf8mb4_0900_bin', 'utf8mb4_bin'];

/**
 * Loads tables into MySQL/MariaDB. MySQL commits DDL on its own, so a load has two
 * phases: `begin` creates the missing tables first (with their keys and foreign keys,
 * foreign_key_checks off) and remembers them; then one transaction deletes replaced
 * rows and inserts every row. `finish` checks the foreign keys itself, then commits.
 * `abort` rolls the rows back and drops the tables it created, so a failure hesap sees
 * leaves the database as it was; a process killed between the two phases can leave
 * empty new tables behind.
 */
export class MysqlTarget implements TargetSession {
  private plan?: LoadPlan;
  private current?: Schema;
  private readonly created: string[] = [];
  /** The foreign keys each table of the load must satisfy at the end, by table. */
  private readonly foreignKeys = new Map<string, ForeignKey[]>();
  private inTransaction = false;
  private finished = false;
  private broken = false;

  private constructor(
    private readonly connection: MysqlConnection,
    private readonly location: string,
    private readonly database: string,
    private readonly mariadb: boolean,
    private readonly options: OpenOptions,
  ) {
    connection.on('error', () => {
      this.broken = true;
    });
  }

  static async open(location: string, options: OpenOptions): Promise<MysqlTarget> {
    const { connection, location: parsed, mariadb } = await connectMysql(location, options);
    return new MysqlTarget(connection, location, parsed.database, mariadb, options);
  }

  private async run(sql: string, context: { table?: string; doing?: string } = {}, values?: unknown[]): Promise<RowDataPacket[]> {
    try {
      const [rows] = await this.connection.query<RowDataPacket[]>(sql, values);
      return rows;
    } catch (error) {
      if ((error as { fatal?: boolean }).fatal) this.broken = true;
      throw mapMysqlError(error, context);
    }
  }

  async introspect(options?: IntrospectOptions): Promise<Schema> {
    try {
      this.current = await new MysqlIntrospector(this.connection, this.database, this.mariadb).introspect({ ...options, profile: false });
      return this.current;
    } catch (error) {
      throw mapMysqlError(error, { doing: 'Reading the target schema' });
    }
  }

  async begin(plan: LoadPlan): Promise<void> {
    this.plan = plan;
    this.current ??= await this.introspect();
    await this.run('SET SESSION foreign_key_checks = 0');
    const collations = await this.run('SELECT COLLATION_NAME AS name FROM information_schema.COLLATIONS WHERE COLLATION_NAME IN (?)', {}, [BINARY_COLLATIONS]);
    const textCollation = BINARY_COLLATIONS.find((c) => collations.some((r) => r.name === c)) ?? 'utf8mb4_bin';
    // Foreign key names are unique per database in InnoDB.
    const taken = new Set((await this.run('SELECT CONSTRAINT_NAME AS name FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?', {}, [this.database])).map((r) => String(r.name).toLowerCase()));
    const kept = new Map<string, ForeignKey[]>();
    for (const t of plan.tables.filter((p) => p.create)) {
      kept.set(
        t.target.name,
        t.target.foreignKeys.flatMap((fk) => {
          const problem = this.foreignKeyProblem(t.target, fk);
          if (problem) {
            plan.notes.push({ level: 'warning', code: 'FOREIGN_KEY_SKIPPED', table: t.target.name, message: problem });
            return [];
          }
          let name = fk.name ?? `${t.target.name}_fkey`;
          for (let n = 2; taken.has(name.toLowerCase()); n++) name = `${(fk.name ?? t.target.name).slice(0, 58)}_${n}`;
          taken.add(name.toLowerCase());
          return [{ ...fk, name }];
        }),
      );
    }
    for (const t of plan.tables) this.foreignKeys.set(t.target.name, t.create ? kept.get(t.target.name)! : (t.existing?.foreignKeys ?? []));
    const notes: Note[] = [];
    for (const t of plan.tables.filter((p) => p.create)) {
      const referenced = new Set([...kept.values()].flat().filter((fk) => fk.references.table === t.target.name).flatMap((fk) => fk.references.columns));
      const sql = createTableSql(t.target, { textCollation, foreignKeys: kept.get(t.target.name)!, referenced, notes });
      await this.run(sql, { table: t.target.name, doing: `Creating table "${t.target.name}"` });
      this.created.push(t.target.name);
    }
    plan.notes.push(...notes);
    await this.run('START TRANSACTION');
    this.inTransaction = true;
    for (const t of plan.tables) {
      const name = quoteMysqlIdent(t.target.name);
      if (t.action === 'replace' && !t.create) {
        await this.run(`DELETE FROM ${name}`, { table: t.target.name, doing: `Emptying "${t.target.name}"` });
      } else if (t.action === 'load' && !t.create) {
        if ((await this.run(`SELECT 1 FROM ${name} LIMIT 1`, { table: t.target.name })).length > 0) {
          throw new HesapError('TARGET_NOT_EMPTY', `Table "${t.target.name}" already holds rows in the target.`, {
            table: t.target.name,
            hints: ["Use `mode: 'replace'` to make the table hold exactly the source rows."],
          });
        }
      } else if (t.action !== 'load' && t.action !== 'replace') {
        throw new HesapError('UNSUPPORTED', `MySQL targets do not support \`mode: '${t.action}'\`.`, { hints: ["Use `mode: 'create'` or `mode: 'replace'`."] });
      }
    }
  }

  /** Why InnoDB could not hold a foreign key, or undefined when it can. */
  private foreignKeyProblem(table: Table, fk: ForeignKey): string | undefined {
    const parent = this.plan!.tables.find((p) => p.target.name === fk.references.table)?.target ?? (this.current ? findTable(this.current, fk.references.table) : undefined);
    if (!parent) return `Foreign key ${table.name}(${fk.columns.join(', ')}) points at "${fk.references.table}", which is not in the target; it is left out.`;
    const keys = [parent.primaryKey?.columns, ...parent.uniques.map((u) => u.columns), ...parent.indexes.filter((i) => i.unique).map((i) => i.columns)];
    const wanted = [...fk.references.columns].sort().join('\u0000');
    if (!keys.some((k) => k && [...k].sort().join('\u0000') === wanted)) {
      return `Foreign key ${table.name}(${fk.columns.join(', ')}) points at ${fk.references.table}(${fk.references.columns.join(', ')}), which is not a primary key or unique there; it is left out.`;
    }
    return undefined;
  }

  writeTable(table: TablePlan): TableWrite {
    if (!this.inTransaction) throw new Error('begin() must come before writeTable()');
    const writer = new MysqlTableWriter(this.connection, table.target);
    return { stream: writer, complete: async () => writer.result(table.source.name) };
  }

  /** The load ran with foreign_key_checks off: every foreign key is checked here, before COMMIT, as PostgreSQL would at the end. */
  private async checkForeignKeys(): Promise<void> {
    for (const [table, fks] of this.foreignKeys) {
      for (const fk of fks) {
        const child = fk.columns.map((c) => `c.${quoteMysqlIdent(c)}`);
        const match = fk.references.columns.map((p, i) => `p.${quoteMysqlIdent(p)} = ${child[i]}`).join(' AND ');
        const rows = await this.run(
          `SELECT ${child.join(', ')} FROM ${quoteMysqlIdent(table)} c WHERE ${child.map((c) => `${c} IS NOT NULL`).join(' AND ')}` +
            ` AND NOT EXISTS (SELECT 1 FROM ${quoteMysqlIdent(fk.references.table)} p WHERE ${match}) LIMIT 1`,
          { table, doing: `Checking foreign key "${fk.name}"` },
        );
        if (rows.length > 0) {
          const values = fk.columns.map((c) => `${c}=${String(rows[0]![c])}`).join(', ');
          throw new HesapError('CONSTRAINT_VIOLATION', `Table "${table}": a row (${values}) has no parent in "${fk.references.table}" (foreign key "${fk.name}"); nothing was committed.`, {
            table,
            constraint: fk.name,
            row: values,
            hints: ['Fix the rows in the source, or leave the table out with `exclude`.'],
          });
        }
      }
    }
  }

  async finish(): Promise<{ notes: Note[] }> {
    await this.checkForeignKeys();
    if (this.plan!.dryRun) {
      await this.abort(undefined);
      return { notes: [] };
    }
    await this.run('COMMIT', { doing: 'Committing' });
    this.inTransaction = false;
    this.finished = true;
    this.created.length = 0;
    // Tables that existed keep AUTO_INCREMENT past the source's counter too (DDL: after the commit).
    for (const t of this.plan!.tables.filter((p) => !p.create)) {
      const last = t.source.sequence?.lastValue;
      if (last !== null && last !== undefined && t.existing?.sequence) {
        await this.run(`ALTER TABLE ${quoteMysqlIdent(t.target.name)} AUTO_INCREMENT = ${(last + 1n).toString()}`, { table: t.target.name });
      }
    }
    return { notes: [] };
  }

  explain(error: unknown): HesapError | undefined {
    return isMysqlError(error) ? mapMysqlError(error) : undefined;
  }

  async abort(_reason: unknown): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    let connection: MysqlConnection | undefined = this.broken ? undefined : this.connection;
    try {
      if (connection && this.inTransaction) await connection.query('ROLLBACK');
    } catch {
      connection = undefined;
    }
    this.inTransaction = false;
    if (this.created.length === 0) return;
    // The tables were committed by MySQL when they were created: drop them, on a new connection if this one broke.
    let own = false;
    try {
      if (!connection) {
        connection = (await connectMysql(this.location, this.options)).connection;
        own = true;
      }
      await connection.query('SET SESSION foreign_key_checks = 0');
      await connection.query(`DROP TABLE IF EXISTS ${this.created.map(quoteMysqlIdent).join(', ')}`);
      this.created.length = 0;
    } catch (error) {
      this.options.log?.('warn', `Could not drop the tables created by the failed load (${this.created.join(', ')}): ${(error as Error).message}`);
    } finally {
      if (own) connection?.destroy();
    }
  }

  async close(): Promise<void> {
    await this.abort(new Error('closed'));
    try {
      if (this.broken) this.connection.destroy();
      else await this.connection.end();
    } catch {
      this.connection.destroy();
    }
  }
}
