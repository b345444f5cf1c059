import { maskConnectionTextsIn } from './conninfo';

/**
 * Stable error codes. Scripts match on these, so a code is never renamed; new
 * ones are added instead.
 */
export const HESAP_ERROR_CODES = [
  'CONFIG_MISSING',
  'CONFIG_INVALID',
  'USAGE',
  'LOCAL_FILE_MISSING',
  /** The local path exists but is not a SQLite database (a text file, a folder). */
  'NOT_A_DATABASE',
  'CONNECTION_REFUSED',
  'CONNECTION_LOST',
  'CONNECTION_TIMEOUT',
  'AUTH_FAILED',
  'PASSWORD_REQUIRED',
  'PERMISSION_DENIED',
  'HOST_UNKNOWN',
  'TLS_REQUIRED',
  'TLS_REJECTED',
  'SERVER_TOO_OLD',
  'DATABASE_MISSING',
  'TABLE_MISSING',
  'SCHEMA_INCOMPATIBLE',
  'IDENTIFIER_INVALID',
  'IDENTIFIER_COLLISION',
  'TYPE_MISMATCH',
  'INVALID_TEXT',
  'VALUE_UNREPRESENTABLE',
  'CONSTRAINT_VIOLATION',
  'TARGET_NOT_EMPTY',
  'TARGET_CHANGED',
  'CONFLICT',
  'LOCK_TIMEOUT',
  /** The file system is full (ENOSPC, SQLITE_FULL). */
  'DISK_FULL',
  'INTERRUPTED',
  'COMMIT_UNKNOWN',
  'SNAPSHOT_INVALID',
  'SNAPSHOT_MISSING',
  'UNSUPPORTED',
  'VERIFY_DIFFERENT',
  'INTERNAL',
] as const;

/** One of {@link HESAP_ERROR_CODES}. */
export type HesapErrorCode = (typeof HESAP_ERROR_CODES)[number];

/** Where in the data an error happened, as far as it is known. */
export interface ErrorLocation {
  table?: string;
  column?: string;
  /** How the row is identified: its primary key (`id=2`) or its position (`line 5`). */
  row?: string;
  constraint?: string;
  /** The server's SQLSTATE when the cause was a database error. */
  sqlstate?: string;
}

export interface HesapErrorOptions extends ErrorLocation {
  /** What the user can do next, one short sentence each. */
  hints?: string[];
  cause?: unknown;
  /** True when repeating the same operation may succeed (network, restarts, serialization). */
  retriable?: boolean;
}

/**
 * The one error type hesap throws on purpose. It carries a stable `code`, a one-line
 * message, and hints that say what to do next.
 *
 * @example
 * throw new HesapError('TABLE_MISSING', 'Table "orders" does not exist in the target.', {
 *   table: 'orders',
 *   hints: ['Run `hesap db push` first, or leave the table out with --exclude orders.'],
 * });
 */
export class HesapError extends Error {
  readonly code: HesapErrorCode;
  readonly hints: string[];
  readonly retriable: boolean;
  readonly table?: string;
  readonly column?: string;
  readonly row?: string;
  readonly constraint?: string;
  readonly sqlstate?: string;

  constructor(code: HesapErrorCode, message: string, options: HesapErrorOptions = {}) {
    // A message may quote a driver's, which may quote a connection text: its secrets go before it is thrown.
    super(maskConnectionTextsIn(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HesapError';
    this.code = code;
    this.hints = options.hints ?? [];
    this.retriable = options.retriable ?? false;
    for (const key of ['table', 'column', 'row', 'constraint', 'sqlstate'] as const) {
      if (options[key] !== undefined) this[key] = options[key];
    }
  }

  /** A plain object for `--json` output and logs. The cause is reduced to its message. */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { code: this.code, message: this.message };
    for (const key of ['table', 'column', 'row', 'constraint', 'sqlstate'] as const) {
      if (this[key] !== undefined) out[key] = this[key];
    }
    if (this.hints.length > 0) out.hints = this.hints;
    if (this.retriable) out.retriable = true;
    return out;
  }
}

export function isHesapError(error: unknown): error is HesapError {
  return error instanceof HesapError;
}

/**
 * The connection went quiet: nothing moved, or no answer came, for the idle timeout.
 * Retriable (the next attempt opens a new connection).
 */
export function connectionStalled(message: string, table?: string): HesapError {
  return new HesapError('CONNECTION_TIMEOUT', `${message}: the connection stalled.`, {
    table,
    retriable: true,
    hints: ['Check the network to the server; raise `idleTimeoutSeconds` if the server is just slow.'],
  });
}

/** Adds table context to an error that happened while one table was moving. */
export function withTable(error: unknown, table: string): HesapError {
  if (error instanceof HesapError) {
    if (error.table !== undefined) return error;
    const located = new HesapError(error.code, `${error.message} (table "${table}")`, {
      ...locationOf(error),
      table,
      hints: error.hints,
      retriable: error.retriable,
      cause: error.cause,
    });
    located.stack = error.stack;
    return located;
  }
  const message = error instanceof Error ? error.message : String(error);
  return new HesapError('INTERNAL', `Table "${table}": ${message}`, { table, cause: error });
}

function locationOf(error: HesapError): ErrorLocation {
  const { column, row, constraint, sqlstate } = error;
  return { column, row, constraint, sqlstate };
}
