import { grantStatements, parsePostgresLocation } from '@hesap/adapter-postgres';
import type { PushMode } from '@hesap/core';
import { DEFAULT_MODES } from './settings';

export interface GrantsOptions {
  /** The PostgreSQL location (its database and schema are named in the statements; nothing is connected to). */
  remote: string;
  /** The role that will push. */
  role: string;
  /** The mode it will push in (default: push's default). */
  mode?: PushMode;
}

export interface GrantsResult {
  role: string;
  database: string;
  schema: string;
  mode: PushMode;
  /** The statements an administrator runs, in order (lines starting with `--` explain). */
  statements: string[];
}

/**
 * The least an administrator grants so that `role` may push in `mode`: connect, use the
 * schema, the table privileges the mode needs, the sequences, and the identity map.
 *
 * @example
 * const { statements } = grants({ remote: process.env.DATABASE_URL!, role: 'app', mode: 'merge' });
 */
export function grants(options: GrantsOptions): GrantsResult {
  const location = parsePostgresLocation(options.remote);
  const mode = options.mode ?? DEFAULT_MODES.push;
  return {
    role: options.role,
    database: location.database,
    schema: location.schema,
    mode,
    statements: grantStatements({ role: options.role, database: location.database, schema: location.schema, mode }),
  };
}
