import { HesapError, type HesapErrorCode } from '@hesap/core';

/** The fields of a mysql2 error that say what happened (the driver's own type, structurally). */
export interface MysqlDriverError {
  code?: string;
  errno?: number;
  sqlState?: string;
  sqlMessage?: string;
  message?: string;
  fatal?: boolean;
}

const CODES: Record<string, { code: HesapErrorCode; retriable?: boolean; hint?: string }> = {
  ECONNREFUSED: { code: 'CONNECTION_REFUSED', retriable: true, hint: 'Check that the MySQL/MariaDB server is running and that host and port in the URL are right.' },
  ENOTFOUND: { code: 'HOST_UNKNOWN', hint: 'The host name cannot be resolved; check the host in the URL and your network connection.' },
  ETIMEDOUT: { code: 'CONNECTION_TIMEOUT', retriable: true, hint: 'The server did not answer in time; check the network to it.' },
  PROTOCOL_SEQUENCE_TIMEOUT: { code: 'CONNECTION_TIMEOUT', retriable: true },
  PROTOCOL_CONNECTION_LOST: { code: 'CONNECTION_LOST', retriable: true },
  ECONNRESET: { code: 'CONNECTION_LOST', retriable: true },
  EPIPE: { code: 'CONNECTION_LOST', retriable: true },
  ER_ACCESS_DENIED_ERROR: { code: 'AUTH_FAILED', hint: 'Check the user name and password in the URL (characters such as @ or / must be percent-encoded).' },
  ER_DBACCESS_DENIED_ERROR: { code: 'AUTH_FAILED', hint: 'The user may not use this database; grant it, or use another user.' },
  ER_BAD_DB_ERROR: { code: 'DATABASE_MISSING', hint: 'Create it first (CREATE DATABASE name CHARACTER SET utf8mb4), or fix the database name in the URL.' },
  ER_NO_SUCH_TABLE: { code: 'TABLE_MISSING' },
  ER_DUP_ENTRY: { code: 'CONSTRAINT_VIOLATION' },
  ER_NO_REFERENCED_ROW_2: { code: 'CONSTRAINT_VIOLATION' },
  ER_ROW_IS_REFERENCED_2: { code: 'CONSTRAINT_VIOLATION' },
  ER_BAD_NULL_ERROR: { code: 'CONSTRAINT_VIOLATION' },
  ER_CONSTRAINT_FAILED: { code: 'CONSTRAINT_VIOLATION' },
  ER_CHECK_CONSTRAINT_VIOLATED: { code: 'CONSTRAINT_VIOLATION' },
  ER_DATA_TOO_LONG: { code: 'VALUE_UNREPRESENTABLE', hint: 'A value is longer than its MySQL column holds (key columns made from text are VARCHAR).' },
  ER_WARN_DATA_OUT_OF_RANGE: { code: 'VALUE_UNREPRESENTABLE' },
  ER_TRUNCATED_WRONG_VALUE: { code: 'VALUE_UNREPRESENTABLE' },
  ER_TRUNCATED_WRONG_VALUE_FOR_FIELD: { code: 'VALUE_UNREPRESENTABLE' },
  WARN_DATA_TRUNCATED: { code: 'VALUE_UNREPRESENTABLE' },
  ER_INVALID_JSON_TEXT: { code: 'VALUE_UNREPRESENTABLE' },
  ER_LOCK_WAIT_TIMEOUT: { code: 'LOCK_TIMEOUT', retriable: true, hint: 'Another session holds a lock on the table; try again, or raise `lockTimeoutSeconds`.' },
  ER_LOCK_DEADLOCK: { code: 'LOCK_TIMEOUT', retriable: true },
  ER_WRONG_TABLE_NAME: { code: 'IDENTIFIER_INVALID', hint: 'MySQL names cannot end with a space or hold characters outside the Basic Multilingual Plane.' },
  ER_WRONG_COLUMN_NAME: { code: 'IDENTIFIER_INVALID', hint: 'MySQL names cannot end with a space or hold characters outside the Basic Multilingual Plane.' },
  ER_WRONG_FIELD_SPEC: { code: 'SCHEMA_INCOMPATIBLE' },
  ER_TOO_LONG_IDENT: { code: 'IDENTIFIER_INVALID', hint: "MySQL names hold at most 64 characters; pass `policies.longNames: 'shorten'`." },
  ER_INVALID_CHARACTER_STRING: { code: 'IDENTIFIER_INVALID', hint: 'MySQL names cannot hold characters outside the Basic Multilingual Plane (emoji).' },
  ER_WRONG_DB_NAME: { code: 'IDENTIFIER_INVALID' },
  ER_TOO_LONG_KEY: { code: 'SCHEMA_INCOMPATIBLE', hint: 'The key is longer than InnoDB allows (3072 bytes).' },
  ER_TABLE_EXISTS_ERROR: { code: 'SCHEMA_INCOMPATIBLE' },
};

/** True for errors of the driver or the server (as opposed to hesap's own). */
export function isMysqlError(error: unknown): error is MysqlDriverError {
  const e = error as MysqlDriverError | undefined;
  return !!e && !(error instanceof HesapError) && typeof e.code === 'string' && (e.sqlState !== undefined || e.code in CODES);
}

/** A HesapError for a driver or server error: the code and a remedy, the SQLSTATE and where it happened. */
export function mapMysqlError(error: unknown, context: { table?: string; doing?: string } = {}): HesapError {
  if (error instanceof HesapError) return error;
  const e = (error ?? {}) as MysqlDriverError;
  const known = CODES[e.code ?? ''];
  const text = e.sqlMessage ?? e.message ?? String(error);
  return new HesapError(known?.code ?? 'INTERNAL', context.doing ? `${context.doing}: ${text}` : text, {
    table: context.table,
    sqlstate: e.sqlState,
    cause: error,
    retriable: known?.retriable ?? false,
    hints: known?.hint ? [known.hint] : [],
  });
}
