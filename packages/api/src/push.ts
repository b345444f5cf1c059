import { copy, type CopyResult } from './copy';
import type { PullOptions, PushOptions } from './options';
import { recordSync } from './state';

export type PushResult = CopyResult;
export type PullResult = CopyResult;

const totalRows = (r: CopyResult) => r.tables.reduce((n, t) => n + t.received, 0);

/**
 * Local SQLite → PostgreSQL. Creates missing tables with their keys and loads them; with
 * `mode: 'replace'` the target tables end holding exactly the local rows. One transaction:
 * the target ends fully pushed or untouched.
 *
 * @example
 * const result = await push({ local: 'app.db', remote: process.env.DATABASE_URL!, mode: 'replace' });
 * console.log(result.tables.map((t) => `${t.table}: ${t.inserted}`));
 */
export async function push(options: PushOptions): Promise<PushResult> {
  const result = await copy({ ...options, from: options.local, to: options.remote, mode: options.mode ?? 'create' });
  if (!result.dryRun) {
    recordSync(options.local, 'lastPush', { at: new Date().toISOString(), remote: result.to, tables: result.tables.length, rows: totalRows(result) });
  }
  return result;
}

/**
 * PostgreSQL → local SQLite, as a backup. The file is written under a temporary name and
 * renamed over the old one only when complete. Without `tables` the new file holds
 * exactly the remote tables; with `tables` the other local tables are kept.
 */
export async function pull(options: PullOptions): Promise<PullResult> {
  const partial = (options.tables?.length ?? 0) > 0;
  const result = await copy({
    ...options,
    from: options.remote,
    to: options.local,
    mode: 'replace',
    fresh: !partial,
  });
  recordSync(options.local, 'lastPull', { at: new Date().toISOString(), remote: result.from, tables: result.tables.length, rows: totalRows(result) });
  return result;
}
