import { transfer, withRetries, type Adapter, type AdapterRegistry, type RetryRecord, type SourceSession, type TargetSession, type TransferReport } from '@hesap/core';
import type { CopyOptions } from './options';
import { defaultRegistry } from './registry';
import { ConnectBudget } from './connect-budget';
import { withSessions, type Sessions } from './sessions';
import { copySettings, type CopySettings } from './settings';
import { forgetShadows } from './state';

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
  const { value: report, retries } = await withCopySessions(settings, registry, ({ source, target, toAdapter }) =>
    transfer({ source, target, targetCapabilities: toAdapter.capabilities, ...settings.engine }),
  );
  // A file written by a pull, copy or restore holds other rows now: its shadows no longer tell what changed since a push.
  // (A merging pull keeps them: what it changed is a change here for the other remotes, and its own remote's it wrote itself.)
  if (!report.dryRun && registry.forLocation(settings.to).name === 'sqlite' && settings.engine.syncView === undefined) forgetShadows(registry.forLocation(settings.to).describe(settings.to));
  return { ...report, retries, from: registry.forLocation(settings.from).describe(settings.from), to: registry.forLocation(settings.to).describe(settings.to) };
}

/** The sessions of one attempt of a settled copy, open. */
export interface CopySessions {
  source: SourceSession;
  target: TargetSession;
  fromAdapter: Adapter;
  toAdapter: Adapter;
  /** Opens more sessions of the attempt (closed with the others). */
  open: Sessions;
}

/**
 * Runs `work` with the copy's source and target open, as a copy opens them. A transient
 * failure before the work ends redoes it from the start with new sessions (never half a
 * COPY); failures to connect share one connect timeout. `quick`: the source is only looked
 * at, not profiled (see `OpenOptions.profile`).
 */
export async function withCopySessions<R>(
  settings: CopySettings,
  registry: AdapterRegistry,
  work: (sessions: CopySessions) => Promise<R>,
  options: { quick?: boolean } = {},
): Promise<{ value: R; retries: RetryRecord[] }> {
  const { from, to, session, engine } = settings;
  const fromAdapter = registry.forLocation(from);
  const toAdapter = registry.forLocation(to);
  const budget = new ConnectBudget(session.connectTimeoutSeconds);
  const profile = options.quick ? { profile: false } : {};
  const attempt = () =>
    withSessions(session, async (open) => {
      const shadow = settings.shadow ? { shadow: settings.shadow } : {};
      const source = await budget.connect((seconds) => open.source(fromAdapter, from, { ...profile, ...shadow, connectTimeoutSeconds: seconds }));
      const target = await budget.connect((seconds) => open.target(toAdapter, to, { ...settings.targetOptions, fresh: settings.fresh, keep: engine.exclude, connectTimeoutSeconds: seconds }));
      budget.connected();
      return work({ source, target, fromAdapter, toAdapter, open });
    });
  // A transient failure before COMMIT redoes the whole transfer (never half a COPY);
  // failures to connect share one connect timeout.
  return withRetries(attempt, {
    attempts: settings.attempts,
    signal: engine.signal,
    mayRetry: (_error, waitMs) => budget.allowsRetry(waitMs),
    onRetry: (r) => session.log?.('warn', `Attempt ${r.attempt} failed (${r.code}: ${r.reason}); nothing was committed. Trying again in ${r.waitedMs} ms.`),
  });
}
