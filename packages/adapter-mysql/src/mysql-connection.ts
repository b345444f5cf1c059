import type { Connection as StreamingConnection } from 'mysql2';
import mysql from 'mysql2/promise';
import { HesapError, redactUrl, type OpenOptions } from '@hesap/core';
import { mapMysqlError } from './mysql-errors';

/** A mysql2 promise connection. */
export type MysqlConnection = mysql.Connection;

/**
 * The callback connection under a promise connection, whose queries can be streamed
 * row by row with backpressure (mysql2 keeps it as `.connection`; its typings omit it).
 */
export function streamingConnection(connection: MysqlConnection): StreamingConnection {
  return (connection as unknown as { connection: StreamingConnection }).connection;
}

export interface MysqlLocation {
  host: string;
  port: number;
  user?: string;
  password?: string;
  database: string;
  /** `ssl-mode` as the mysql client reads it. */
  sslMode: 'DISABLED' | 'REQUIRED' | 'VERIFY_CA' | 'VERIFY_IDENTITY';
  /** The URL for display: password masked. */
  display: string;
}

const SSL_MODES = ['DISABLED', 'REQUIRED', 'VERIFY_CA', 'VERIFY_IDENTITY'] as const;

/**
 * Reads `mysql://user:password@host:3306/database` (or `mariadb://`). `ssl-mode` takes
 * the mysql client's values: DISABLED (default), REQUIRED (encrypted, certificate not
 * checked), VERIFY_CA and VERIFY_IDENTITY. Errors never include the password.
 */
export function parseMysqlUrl(url: string): MysqlLocation {
  const display = redactUrl(url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new HesapError('CONFIG_INVALID', `The MySQL URL is not valid: ${display}`, {
      hints: ['Use the form mysql://user:password@host:3306/database; characters such as @ or / in the password must be percent-encoded.'],
    });
  }
  if (parsed.protocol !== 'mysql:' && parsed.protocol !== 'mariadb:') {
    throw new HesapError('CONFIG_INVALID', `Not a MySQL URL: ${display}`, { hints: ['It must start with mysql:// or mariadb://.'] });
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (database === '') {
    throw new HesapError('CONFIG_INVALID', `The MySQL URL names no database: ${display}`, { hints: ['Add it after the host: mysql://user@host:3306/database.'] });
  }
  const mode = (parsed.searchParams.get('ssl-mode') ?? parsed.searchParams.get('sslmode') ?? 'DISABLED').toUpperCase().replace(/-/g, '_');
  if (!(SSL_MODES as readonly string[]).includes(mode)) {
    throw new HesapError('CONFIG_INVALID', `Unknown ssl-mode "${mode}" in ${display}`, { hints: [`Use one of: ${SSL_MODES.join(', ')}.`] });
  }
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, '') || 'localhost',
    port: Number(parsed.port || 3306),
    user: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    database,
    sslMode: mode as MysqlLocation['sslMode'],
    display,
  };
}

/**
 * Statements every session starts with: UTF-8 throughout, UTC, strict values (a value
 * that does not fit fails instead of being cut), an explicit 0 in an AUTO_INCREMENT
 * column stays 0, backslash escapes as the driver expects them.
 */
const SESSION_SETUP = [
  "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION,ERROR_FOR_DIVISION_BY_ZERO'",
  "SET SESSION time_zone = '+00:00'",
];
/** Settings only some servers have (MySQL 8 caches information_schema; MariaDB has no such setting). */
const OPTIONAL_SETUP = ['SET SESSION information_schema_stats_expiry = 0', 'SET SESSION explicit_defaults_for_timestamp = 1'];

export interface OpenedConnection {
  connection: MysqlConnection;
  location: MysqlLocation;
  /** `MariaDB 10.11.19` or `MySQL 8.0.40`. */
  serverVersion: string;
  mariadb: boolean;
  latencyMs: number;
}

/** Opens one connection and sets the session up. */
export async function connectMysql(url: string, options: OpenOptions = {}): Promise<OpenedConnection> {
  const location = parseMysqlUrl(url);
  const started = Date.now();
  let connection: MysqlConnection;
  try {
    connection = await mysql.createConnection({
      host: location.host,
      port: location.port,
      user: location.user,
      password: location.password,
      database: location.database,
      charset: 'utf8mb4',
      // Without a limit given, mysql2's own applies.
      connectTimeout: options.connectTimeoutSeconds === undefined ? undefined : options.connectTimeoutSeconds * 1000,
      supportBigNumbers: true,
      bigNumberStrings: true,
      dateStrings: true,
      decimalNumbers: false,
      multipleStatements: false,
      ssl: location.sslMode === 'DISABLED' ? undefined : { rejectUnauthorized: location.sslMode !== 'REQUIRED' },
    });
  } catch (error) {
    throw mapMysqlError(error, { doing: `Connecting to ${location.display}` });
  }
  try {
    for (const sql of SESSION_SETUP) await connection.query(sql);
    for (const sql of OPTIONAL_SETUP) await connection.query(sql).catch(() => undefined);
    if (options.lockTimeoutSeconds !== undefined) {
      const seconds = Math.max(1, Math.round(options.lockTimeoutSeconds));
      await connection.query('SET SESSION lock_wait_timeout = ?', [seconds]);
      await connection.query('SET SESSION innodb_lock_wait_timeout = ?', [seconds]);
    }
    const [rows] = await connection.query<mysql.RowDataPacket[]>('SELECT VERSION() AS version');
    const version = String(rows[0]?.version ?? '');
    const mariadb = /mariadb/i.test(version);
    const number = /^[\d.]+/.exec(version)?.[0] ?? version;
    options.log?.('debug', `Connected to ${location.display} (${mariadb ? 'MariaDB' : 'MySQL'} ${number}).`);
    return { connection, location, serverVersion: `${mariadb ? 'MariaDB' : 'MySQL'} ${number}`, mariadb, latencyMs: Date.now() - started };
  } catch (error) {
    connection.destroy();
    throw mapMysqlError(error, { doing: 'Setting up the session' });
  }
}
