import type { DataPolicies, ProgressEvent, PushMode } from '@hesap/core';

/** Called for log lines worth keeping (connections, TLS in use, retries). */
export type LogFunction = (level: 'debug' | 'info' | 'warn', message: string) => void;

/** Options every operation takes. */
export interface CommonOptions {
  /** Only these tables (exact names); all when absent or empty. */
  tables?: readonly string[];
  /** Leave these tables out. */
  exclude?: readonly string[];
  /** Seconds to wait for a PostgreSQL connection (default 30). */
  connectTimeoutSeconds?: number;
  /** Seconds to wait for a table lock in PostgreSQL before failing (default 10). */
  lockTimeoutSeconds?: number;
  /** Progress of each table while rows move. */
  onProgress?: (event: ProgressEvent) => void;
  /** Least milliseconds between two progress events of a table (default 200). */
  progressIntervalMs?: number;
  log?: LogFunction;
  /** Aborting stops the operation and rolls the target back. */
  signal?: AbortSignal;
}

export interface CopyOptions extends CommonOptions {
  /** Where rows come from: a SQLite path, `sqlite:` or `postgres://` URL. */
  from: string;
  /** Where rows go. */
  to: string;
  mode?: PushMode;
  policies?: Partial<DataPolicies>;
  dryRun?: boolean;
  /** For SQLite targets: start from an empty file (default) instead of a copy of the current one. */
  fresh?: boolean;
}

export interface PushOptions extends CommonOptions {
  /** The local SQLite file. */
  local: string;
  /** The PostgreSQL URL. */
  remote: string;
  /** Default `create`: only into missing or empty tables. */
  mode?: PushMode;
  policies?: Partial<DataPolicies>;
  /** Do everything inside the transaction, report, then roll back. */
  dryRun?: boolean;
}

export interface PullOptions extends CommonOptions {
  remote: string;
  /** The SQLite file to write; replaced atomically when complete. */
  local: string;
}

export interface StatusOptions extends CommonOptions {
  local?: string;
  remote?: string;
}

export interface VerifyOptions extends CommonOptions {
  local: string;
  remote: string;
  /** How many differing keys to list per table (default 10). */
  maxDifferences?: number;
}
