import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_POLICIES, EPOCH_UNITS, HesapError, isKeywordText, isUrlText, redactUrl, resolvePolicies, type DataPolicies, type EpochDates, type EpochUnit, type TransferOptions } from '@hesap/core';
import type { CommonOptions, CopyOptions, EpochDatesOption, LogFunction, TransferRunOptions } from './options';
import type { SnapshotCreateOptions } from './snapshot';

/**
 * Every default of the API, in one place. Each operation turns its options into
 * finished settings here, at its entry; the adapters and the transfer engine receive
 * those values and keep no defaults of their own.
 */
export const DEFAULTS = Object.freeze({
  /** Seconds to wait for a connection. */
  connectTimeoutSeconds: 30,
  /** Seconds to wait for a lock. */
  lockTimeoutSeconds: 10,
  /** Seconds without a byte moving, or a short statement unanswered, before a transfer counts as stalled. */
  idleTimeoutSeconds: 60,
  /** Attempts in all when a transfer fails on a transient error before COMMIT. */
  attempts: 4,
  /** Least milliseconds between two progress events of a table. */
  progressIntervalMs: 200,
  /** Differing keys that verify lists per table. */
  maxDifferences: 10,
});

/**
 * The mode of each operation when none is given. A push merges by meaning: the target
 * is production, with rows of its own. A general copy only creates, so it never meets
 * rows already there unless asked to. A restore replaces. (A pull always replaces.)
 */
export const DEFAULT_MODES = Object.freeze({ push: 'merge', copy: 'create', restore: 'replace' } as const);

/** Reading a database back to compare it (verify, the check after a restore): every value taken as it is, none refused. */
export const READ_BACK_POLICIES: DataPolicies = Object.freeze(resolvePolicies({ typeMismatch: 'text', invalidText: 'replace' }));

/**
 * The identity of a source for the identity map: host name and real path for files, the
 * connection text, masked, otherwise. Two copies of one file on two machines are two sources.
 */
export function defaultSourceId(location: string): string {
  // Stored in the target's identity map: a connection text goes in masked.
  if (isUrlText(location) || isKeywordText(location)) return redactUrl(location);
  const file = location.replace(/^(sqlite3?|file):(\/\/)?/i, '');
  let real = path.resolve(file);
  try {
    real = fs.realpathSync(file);
  } catch {
    // a missing file fails later, with its own error
  }
  return `${os.hostname()}:${real}`;
}

/**
 * `epochDates` settled: `'ms'` is `{ '*': 'ms' }`; each unit is `ms` or `s`, each other name
 * `table.column`. Undefined when no integer is a date.
 */
export function epochDatesOf(option: EpochDatesOption | undefined): EpochDates | undefined {
  if (option === undefined) return undefined;
  const entries: Array<[string, unknown]> = typeof option === 'string' ? [['*', option]] : Object.entries(option ?? {});
  let declared: EpochUnit | undefined;
  const columns: Record<string, EpochUnit> = {};
  for (const [name, unit] of entries) {
    if (!EPOCH_UNITS.includes(unit as EpochUnit)) {
      throw new HesapError('USAGE', `\`epochDates\` gives ${JSON.stringify(unit)}${name === '*' ? '' : ` for ${name}`}; expected 'ms' (epoch milliseconds) or 's' (seconds).`);
    }
    if (name === '*') declared = unit as EpochUnit;
    else if (/^.+\..+$/s.test(name)) columns[name] = unit as EpochUnit;
    else throw new HesapError('USAGE', `\`epochDates\` names ${JSON.stringify(name)}; expected table.column, or '*' for every column declared as a date and time.`);
  }
  return { declared, columns };
}

/** The policies of an operation that moves rows, with its dates read as asked. */
function policiesOf(options: CopyOptions): DataPolicies {
  return resolvePolicies({ ...options.policies, epochDates: epochDatesOf(options.epochDates) });
}

/** What every session of an operation is opened with. */
export interface SessionSettings {
  connectTimeoutSeconds: number;
  lockTimeoutSeconds: number;
  idleTimeoutSeconds: number;
  policies: DataPolicies;
  log?: LogFunction;
}

/** The session settings of an operation, with the policies its sessions read and write under. */
export function sessionSettings(options: CommonOptions & Pick<TransferRunOptions, 'idleTimeoutSeconds'>, policies: DataPolicies = DEFAULT_POLICIES): SessionSettings {
  return {
    connectTimeoutSeconds: options.connectTimeoutSeconds ?? DEFAULTS.connectTimeoutSeconds,
    lockTimeoutSeconds: options.lockTimeoutSeconds ?? DEFAULTS.lockTimeoutSeconds,
    idleTimeoutSeconds: options.idleTimeoutSeconds ?? DEFAULTS.idleTimeoutSeconds,
    policies,
    log: options.log,
  };
}

/** What the transfer engine is given, every value decided. */
export type EngineSettings = Omit<TransferOptions, 'source' | 'target' | 'targetCapabilities'>;

/** What one load does with the rows: decided by the operation, not defaulted by the engine. */
type LoadChoices = Pick<EngineSettings, 'mode' | 'dryRun' | 'strict' | 'merge' | 'keys' | 'migrationTables'>;

function engineSettings(options: CommonOptions & TransferRunOptions, session: SessionSettings, load: LoadChoices): EngineSettings {
  return {
    tables: options.tables,
    exclude: options.exclude,
    policies: session.policies,
    idleTimeoutSeconds: session.idleTimeoutSeconds,
    progressIntervalMs: options.progressIntervalMs ?? DEFAULTS.progressIntervalMs,
    onProgress: options.onProgress,
    signal: options.signal,
    ...load,
  };
}

/** A copy, push, pull or restore, settled. */
export interface CopySettings {
  from: string;
  to: string;
  /** For a SQLite target: start from an empty file instead of a copy of the current one. */
  fresh: boolean;
  attempts: number;
  session: SessionSettings;
  engine: EngineSettings;
  /** The source's shadow of the last push to this target (an incremental push; see state.ts). */
  shadow?: string;
  /** Options the target session is opened with besides these (a merging pull's). */
  targetOptions?: Record<string, unknown>;
}

/**
 * Settles a copy. `operation` names whose default mode applies (push, copy, restore).
 * Merge settings are always given: a target that keeps an identity map also remembers
 * the ids a load or replace kept, for the merges that follow.
 */
export function copySettings(options: CopyOptions, operation: keyof typeof DEFAULT_MODES): CopySettings {
  const session = sessionSettings(options, policiesOf(options));
  return {
    from: options.from,
    to: options.to,
    fresh: options.fresh ?? true,
    attempts: options.attempts ?? DEFAULTS.attempts,
    session,
    engine: engineSettings(options, session, {
      mode: options.mode ?? DEFAULT_MODES[operation],
      dryRun: options.dryRun ?? false,
      keys: options.keys,
      merge: { sourceId: options.sourceId ?? defaultSourceId(options.from), update: options.update ?? false, localEdits: options.update !== false, skipOrphans: options.skipOrphans ?? false },
      strict: options.strict ?? false,
      migrationTables: options.migrationTables ?? 'auto',
    }),
  };
}

/** A snapshot's creation, settled: a plain create into a new folder, which keeps no identity map. */
export function snapshotCreateSettings(options: SnapshotCreateOptions): { session: SessionSettings; engine: EngineSettings } {
  const session = sessionSettings(options, resolvePolicies(options.policies));
  return { session, engine: engineSettings(options, session, { mode: 'create', dryRun: false, strict: false }) };
}
