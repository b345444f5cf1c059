import { transfer, type OpenOptions, type SourceSession, type TargetSession, type TransferReport } from '@hesap/core';
import type { CopyOptions } from './options';
import { defaultRegistry } from './registry';

export interface CopyResult extends TransferReport {
  from: string;
  to: string;
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
    log: options.log,
    fresh: options.fresh,
  };
  let source: SourceSession | undefined;
  let target: TargetSession | undefined;
  try {
    source = await fromAdapter.openSource(options.from, open);
    target = await toAdapter.openTarget(options.to, open);
    const report = await transfer({
      source,
      target,
      targetCapabilities: toAdapter.capabilities,
      tables: options.tables,
      exclude: options.exclude,
      mode: options.mode,
      policies: options.policies,
      dryRun: options.dryRun,
      onProgress: options.onProgress,
      progressIntervalMs: options.progressIntervalMs,
      signal: options.signal,
    });
    return { ...report, from: fromAdapter.describe(options.from), to: toAdapter.describe(options.to) };
  } finally {
    await target?.close().catch(() => undefined);
    await source?.close().catch(() => undefined);
  }
}
