import { HesapError } from '@hesap/core';
import { runCopy, type CopyResult } from './copy';
import type { PullOptions, PushOptions } from './options';
import { copySettings, defaultSourceId, type CopySettings } from './settings';
import { recordSync, shadowFile } from './state';
import { defaultRegistry } from './registry';

export type PushResult = CopyResult;
export type PullResult = CopyResult;

const totalRows = (r: CopyResult) => r.tables.reduce((n, t) => n + t.received, 0);

/** A push, settled: the local file to the remote, merging by default. */
export function pushSettings(options: PushOptions): CopySettings {
  const settings = copySettings({ ...options, from: options.local, to: options.remote }, 'push');
  if (options.incremental === false || !['merge', 'upsert', 'append'].includes(settings.engine.mode)) return settings;
  const remote = defaultRegistry.forLocation(options.remote).describe(options.remote);
  return { ...settings, engine: { ...settings.engine, incremental: true, onConflict: options.onConflict ?? 'keep-remote', deletes: options.deletes === true }, shadow: shadowFile(options.local, remote, settings.engine.merge!.sourceId) };
}

/**
 * A pull, settled: a replace (without `tables` the file's tables become the remote's), or a
 * merge into the file (`mode: 'merge'`, see sqlite-pull-merge.ts in the SQLite adapter).
 */
export function pullSettings(options: PullOptions): CopySettings {
  if (options.mode === 'merge') {
    const settings = copySettings({ ...options, from: options.remote, to: options.local, mode: 'replace', fresh: false }, 'copy');
    const sourceId = options.sourceId ?? defaultSourceId(options.local);
    const remote = defaultRegistry.forLocation(options.remote).describe(options.remote);
    const pullMerge = {
      shadow: shadowFile(options.local, remote, sourceId),
      onConflict: options.onConflict ?? 'keep-local',
      update: options.update === true,
      deletes: options.deletes === true,
      ...(options.keys ? { keys: options.keys } : {}),
    };
    return { ...settings, engine: { ...settings.engine, syncView: sourceId }, targetOptions: { pullMerge } };
  }
  if (options.deletes) throw new HesapError('USAGE', '`deletes` is for a merging pull (`mode: \'merge\'`): a pull that replaces makes the file\'s tables the remote\'s, deleted rows included.');
  const partial = (options.tables?.length ?? 0) > 0;
  return copySettings({ ...options, from: options.remote, to: options.local, mode: 'replace', fresh: !partial }, 'copy');
}

/**
 * Local SQLite → PostgreSQL, in one transaction: the target ends fully pushed or untouched.
 * Missing tables are created with their keys. By default rows are merged by meaning:
 * a source row whose natural key (a user's email) or remembered identity exists in the
 * target is that row; new rows are added (with a new id if theirs is taken); foreign keys
 * are rewritten so children follow their parents; rows that cannot go in are skipped and
 * reported with the reason.
 *
 * @example
 * const result = await push({ local: 'app.db', remote: process.env.DATABASE_URL!, keys: { users: ['email'] } });
 * for (const t of result.tables) console.log(`${t.table}: +${t.inserted}, ${t.skipped.length} skipped`);
 */
export async function push(options: PushOptions): Promise<PushResult> {
  const result = await runCopy(pushSettings(options));
  if (!result.dryRun) {
    recordSync(options.local, 'lastPush', { at: new Date().toISOString(), remote: result.to, tables: result.tables.length, rows: totalRows(result) });
  }
  return result;
}

/**
 * PostgreSQL → local SQLite, as a backup. The tables are built complete in a temporary
 * database, then installed into the file in one SQLite transaction (waiting up to
 * `lockTimeoutSeconds` for the app's lock), so an app with the file open keeps working;
 * a new file is the temporary one renamed. Without `tables` the file's tables become the
 * remote's (those left out with `exclude` stay); with `tables` the other local tables stay.
 * Views, triggers and `user_version` stay.
 *
 * `mode: 'merge'`: the remote's rows meet the file's instead (production's new and changed
 * rows come in, work here stays, conflicts are listed; see sqlite-pull-merge.ts).
 */
export async function pull(options: PullOptions): Promise<PullResult> {
  const result = await runCopy(pullSettings(options));
  recordSync(options.local, 'lastPull', { at: new Date().toISOString(), remote: result.from, tables: result.tables.length, rows: totalRows(result) });
  return result;
}
