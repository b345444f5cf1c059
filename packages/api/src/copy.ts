import { transfer, withRetries, type AdapterRegistry, type RetryRecord, type TransferReport } from '@hesap/core';
import type { CopyOptions } from './options';
import { defaultRegistry } from './registry';
import { ConnectBudget } from './connect-budget';
import { withSessions } from './sessions';
import { copySettings, type CopySettings } from './settings';

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
export async function copy(options: CopyOptions, registry: AdapterRegistry = defaultRegistry): Promise<CopyResult> {
  return runCopy(copySettings(options, 'copy'), registry);
}

/** A settled copy: push, pull and restore settle their own defaults, then run here. */
export async function runCopy(settings: CopySettings, registry: AdapterRegistry = defaultRegistry): Promise<CopyResult> {
  const { from, to, session, engine } = settings;
  const fromAdapter = registry.forLocation(from);
  const toAdapter = registry.forLocation(to);
  const budget = new ConnectBudget(session.connectTimeoutSeconds);
  const attempt = () =>
    withSessions(session, async (open) => {
      const source = await budget.connect((seconds) => open.source(fromAdapter, from, { connectTimeoutSeconds: seconds }));
      const target = await budget.connect((seconds) => open.target(toAdapter, to, { fresh: settings.fresh, keep: engine.exclude, connectTimeoutSeconds: seconds }));
      budget.connected();
      return transfer({ source, target, targetCapabilities: toAdapter.capabilities, ...engine });
    });
  // A transient failure before COMMIT redoes the whole transfer (never half a COPY);
  // failures to connect share one connect timeout.
  const { value: report, retries } = await withRetries(attempt, {
    attempts: settings.attempts,
    signal: engine.signal,
    mayRetry: (_error, waitMs) => budget.allowsRetry(waitMs),
    onRetry: (r) => session.log?.('warn', `Attempt ${r.attempt} failed (${r.code}: ${r.reason}); nothing was committed. Trying again in ${r.waitedMs} ms.`),
  });
  return { ...report, retries, from: fromAdapter.describe(from), to: toAdapter.describe(to) };
}
