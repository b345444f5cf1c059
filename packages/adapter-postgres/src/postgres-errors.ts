import { HesapError, type HesapErrorCode } from '@hesap/core';
import { isTransient } from './postgres-connection';

/** The fields node-postgres copies from the server's ErrorResponse. */
interface ServerError {
  code?: string;
  message?: string;
  detail?: string;
  where?: string;
  table?: string;
  column?: string;
  constraint?: string;
}

function codeFor(sqlstate: string, error: unknown): HesapErrorCode {
  if (sqlstate.startsWith('23')) return 'CONSTRAINT_VIOLATION';
  if (sqlstate.startsWith('22')) return 'VALUE_UNREPRESENTABLE';
  if (sqlstate === '55P03') return 'LOCK_TIMEOUT';
  if (sqlstate === '57014') return 'INTERRUPTED';
  if (sqlstate === '42P01') return 'TABLE_MISSING';
  if (sqlstate.startsWith('28')) return 'AUTH_FAILED';
  // insufficient_privilege, "must be owner of table …" included
  if (sqlstate === '42501') return 'PERMISSION_DENIED';
  if (isTransient(error)) return 'CONNECTION_LOST';
  return 'INTERNAL';
}

/**
 * A server or connection error during a query, as a HesapError that keeps the
 * SQLSTATE, table, column, constraint and (for COPY) the line of the failing row.
 */
export function mapQueryError(error: unknown, context: { table?: string; doing?: string } = {}): HesapError {
  if (error instanceof HesapError) return error;
  const e = (error ?? {}) as ServerError;
  const sqlstate = e.code && /^[0-9A-Z]{5}$/.test(e.code) ? e.code : undefined;
  const copy = /COPY ([^,]+), line (\d+)(?:, column ([^:]+))?/.exec(e.where ?? '');
  // A COPY into a merge's staging table is about the table being merged (the caller's).
  const copied = copy?.[1] && !copy[1].startsWith('hesap_stage_') ? copy[1] : undefined;
  const table = e.table ?? context.table ?? copied;
  const column = e.column ?? copy?.[3];
  const row = copy ? `line ${copy[2]}` : undefined;
  const parts = [e.message ?? String(error)];
  if (e.detail) parts.push(e.detail);
  const located = [table && `table "${table}"`, column && `column "${column}"`, row && `row ${row}`].filter(Boolean).join(', ');
  const message = `${context.doing ? `${context.doing}: ` : ''}${parts.join(' ')}${located ? ` (${located})` : ''}`;
  const code = sqlstate ? codeFor(sqlstate, error) : isTransient(error) ? 'CONNECTION_LOST' : 'INTERNAL';
  const hints: string[] = [];
  if (code === 'LOCK_TIMEOUT') hints.push('Another session holds a lock on the table; wait for it or raise `lockTimeoutSeconds`.');
  if (code === 'CONNECTION_LOST') hints.push('The connection to the server was lost; nothing was committed. Run the command again.');
  if (code === 'PERMISSION_DENIED') hints.push('Nothing was committed. An administrator can grant what is missing: `hesap db grants --role <role>` prints the statements each mode needs.');
  return new HesapError(code, message, {
    cause: error,
    sqlstate,
    table,
    column,
    row,
    constraint: e.constraint,
    retriable: isTransient(error),
    hints,
  });
}

/**
 * What an adapter's explain() answers for PostgreSQL: a server error (it has a severity), a
 * socket error (an E* code), or the driver's own word that the connection ended (a plain
 * Error 'Connection terminated unexpectedly' when the socket closes before the server's
 * ErrorResponse is read), as a HesapError. Anything else is not the connection's doing.
 */
export function explainDriverError(error: unknown): HesapError | undefined {
  const e = error as { severity?: string; code?: string } | undefined;
  if (error instanceof HesapError || !e) return undefined;
  if (e.severity || /^E[A-Z]+$/.test(e.code ?? '') || isTransient(error)) return mapQueryError(error);
  return undefined;
}
