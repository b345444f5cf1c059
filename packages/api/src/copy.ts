import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { redactUrl, transfer, withRetries, type OpenOptions, type RetryRecord, type SourceSession, type TargetSession, type TransferReport } from '@hesap/core';
import type { CopyOptions } from './options';
import { defaultRegistry } from './registry';

/**
 * The identity of a source for the identity map: host name and real path for files, the
 * redacted URL otherwise. Two copies of one file on two machines are two sources.
 */
export function defaultSourceId(location: string): string {
  if (/^[a-z][a-z0-9+.-]+:\/\//i.test(location)) return redactUrl(location);
  const file = location.replace(/^(sqlite3?|file):(\/\/)?/i, '');
  let real = path.resolve(file);
  try {
    real = fs.realpathSync(file);
  } catch {
    // a missing file fails later, with its own error
  }
  return `${os.hostname()}:${real}`;
}

export interface CopyResult extends TransferReport {
  from: string;
  to: string;
  /** Attempts that failed on a transient error and were redone from the start. */
  retries: RetryRecord[];
}

/**
 * Copies tables from any adapter to any adapter, in one transaction on the target.
 * `push` and `pull` are this with the local file and the remote URL in their places.
 *
 * @example
 * await copy({ from: 'app.db', to: 'postgresql://localhost/app', mode: 'replace' });
 */
export async function copy(options: CopyOptions, registry = defaultRegistry): Promise<CopyResult> {
  const fromAdapter = registry.forLocation(options.from);
  const toAdapter = registry.forLocation(options.to);
  const open: OpenOptions & { fresh?: boolean } = {
    policies: options.policies,
    connectTimeoutSeconds: options.connectTimeoutSeconds,
    lockTimeoutSeconds: options.lockTimeoutSeconds,
    idleTimeoutSeconds: options.idleTimeoutSeconds,
    log: options.log,
    fresh: options.fresh,
  };
  const attempt = async (): Promise<TransferReport> => {
    let source: SourceSession | undefined;
    let target: TargetSession | undefined;
    try {
      source = await fromAdapter.openSource(options.from, open);
      target = await toAdapter.openTarget(options.to, open);
      return await transfer({
        source,
        target,
        targetCapabilities: toAdapter.capabilities,
        tables: options.tables,
        exclude: options.exclude,
        migrationTables: options.migrationTables,
        mode: options.mode,
        policies: options.policies,
        dryRun: options.dryRun,
        keys: options.keys,
        merge: {
          sourceId: options.sourceId ?? defaultSourceId(options.from),
          update: options.update ?? false,
          strict: options.strict ?? false,
          skipOrphans: options.skipOrphans ?? false,
        },
        onProgress: options.onProgress,
        progressIntervalMs: options.progressIntervalMs,
        signal: options.signal,
        idleTimeoutMs: options.idleTimeoutSeconds === undefined ? undefined : options.idleTimeoutSeconds * 1000,
      });
    } finally {
      await target?.close().catch(() => undefined);
      await source?.close().catch(() => undefined);
    }
  };
  // A transient failure before COMMIT redoes the whole transfer (never half a COPY).
  const { value: report, retries } = await withRetries(attempt, {
    attempts: options.attempts ?? 4,
    signal: options.signal,
    onRetry: (r) => options.log?.('warn', `Attempt ${r.attempt} failed (${r.code}: ${r.reason}); nothing was committed. Trying again in ${r.waitedMs} ms.`),
  });
  return { ...report, retries, from: fromAdapter.describe(options.from), to: toAdapter.describe(options.to) };
}
