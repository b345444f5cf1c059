import { Flags } from '@oclif/core';
import {
  DEFAULTS,
  epochDatesSetting,
  migrationTablesSetting,
  naturalKeys,
  requireLocal,
  requireRemote,
  resolveLocations,
  type CommonOptions,
  type EpochDateOptions,
  type MergeOptions,
  type MigrationTableOptions,
  type TransferRunOptions,
} from '@hesap/api';
import type { DataPolicies } from '@hesap/core';

/**
 * The flag groups of the commands, each defined once, and the functions that turn a
 * group's flags into the API's options. Flags have no defaults of their own: an absent
 * flag is an absent option, which the API settles (the help names its default).
 */

/** Splits `a,b , c` into names. */
export function list(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  return names.length > 0 ? names : undefined;
}

/** The two databases, when not given by the environment, `.env` or hesap.config.json. */
export const locationFlags = {
  local: Flags.string({
    description: 'Local SQLite file (default: HESAP_LOCAL_DB, "local" in hesap.config.json, or a SQLite DATABASE_URL such as Prisma\'s file:./dev.db).',
    helpValue: '<file>',
  }),
  remote: Flags.string({
    description: 'PostgreSQL URL or libpq connection string (default: HESAP_REMOTE_URL, RENDER_DATABASE_URL, then DATABASE_URL, from the environment or .env). Prefer .env: other users see command lines in `ps`.',
    helpValue: '<url>',
  }),
  target: Flags.string({ description: 'A target named in hesap.config.json ("targets"), whose variable holds the remote URL.', helpValue: '<name>', exclusive: ['remote'] }),
};

/** The database `local` or `remote` names: its flag, else the configuration; CONFIG_MISSING without one. */
export function locationOf(side: 'local' | 'remote', flags: { local?: string; remote?: string; target?: string }): string {
  return side === 'local' ? requireLocal(flags.local) : requireRemote(flags.remote, flags.target);
}

/** The target of hesap.config.json that chose the remote (--target, or its "defaultTarget"); undefined when --remote did. */
export function targetOf(flags: { local?: string; remote?: string; target?: string }): string | undefined {
  return flags.remote ? undefined : resolveLocations({ local: flags.local, target: flags.target }).target;
}

/** Which tables a command works on. */
export const tableFlags = {
  tables: Flags.string({ description: 'Only these tables, comma-separated.', helpValue: 'a,b' }),
  exclude: Flags.string({ description: 'Leave these tables out, comma-separated.', helpValue: 'c' }),
};

export function tablesFrom(flags: { tables?: string; exclude?: string }): Pick<CommonOptions, 'tables' | 'exclude'> {
  return { tables: list(flags.tables), exclude: list(flags.exclude) };
}

/** The tables a push, pull or copy moves: the flags, and hesap.config.json's `migrationTables`. */
export function movedTablesFrom(flags: { tables?: string; exclude?: string }): Pick<CommonOptions, 'tables' | 'exclude'> & MigrationTableOptions {
  return { ...tablesFrom(flags), migrationTables: migrationTablesSetting() };
}

/** Which integers are dates, for the commands that read a SQLite app's dates (push, pull, verify, copy). */
export const epochDatesFlag = {
  'epoch-dates': Flags.string({
    description:
      'Integers that are dates: ms or s for every column declared as a date and time that holds only integers (Knex and Prisma store epoch milliseconds), ' +
      'table.column=ms|s for one column, whatever its declaration (Drizzle: seconds). Repeatable. Also "epochDates" in hesap.config.json. Default: integers stay integers.',
    multiple: true,
    helpValue: 'ms|s|table.column=ms',
  }),
};

/** `--epoch-dates` over hesap.config.json's `epochDates`. */
export function epochDatesFrom(flags: { 'epoch-dates'?: string[] }): EpochDateOptions {
  return { epochDates: epochDatesSetting(flags['epoch-dates']) };
}

export const connectTimeoutFlag = {
  'connect-timeout': Flags.integer({ description: `Seconds to wait for a PostgreSQL connection (default ${DEFAULTS.connectTimeoutSeconds}).`, min: 1 }),
};

export const lockTimeoutFlag = {
  'lock-timeout': Flags.integer({ description: `Seconds to wait for a table lock before failing (default ${DEFAULTS.lockTimeoutSeconds}).`, min: 1 }),
};

export const idleTimeoutFlag = {
  'idle-timeout': Flags.integer({
    description: `Seconds without a byte moving before a transfer counts as stalled (it is then retried; default ${DEFAULTS.idleTimeoutSeconds}).`,
    min: 1,
  }),
};

/** Every timeout, for the commands that move rows into a target and retry. */
export const timeoutFlags = { ...connectTimeoutFlag, ...lockTimeoutFlag, ...idleTimeoutFlag };

export function timeoutsFrom(flags: {
  'connect-timeout'?: number;
  'lock-timeout'?: number;
  'idle-timeout'?: number;
}): Pick<CommonOptions & TransferRunOptions, 'connectTimeoutSeconds' | 'lockTimeoutSeconds' | 'idleTimeoutSeconds'> {
  return { connectTimeoutSeconds: flags['connect-timeout'], lockTimeoutSeconds: flags['lock-timeout'], idleTimeoutSeconds: flags['idle-timeout'] };
}

/** How a push or copy meets the rows already in the target. */
export function mergeFlags(verb: 'push' | 'copy', sourceIdDefault: string) {
  return {
    key: Flags.string({ description: 'Natural key of a table for merge: table=col[,col]. Repeatable. Also "keys" in hesap.config.json.', multiple: true, helpValue: 'table=col' }),
    update: Flags.boolean({
      allowNo: true,
      description:
        'Merge: update matched rows whose other columns differ (default: leave them; rows this file pushed before and edited since are updated all the same). --no-update: those too are left as the target has them, counted as differing.',
    }),
    'skip-orphans': Flags.boolean({
      description: `Leave out and list new rows whose parent row exists nowhere (SQLite let them in), instead of refusing the ${verb}. Exit code 3 says rows were left out.`,
    }),
    strict: Flags.boolean({ description: `Fail the whole ${verb} when any row would be skipped.` }),
    'source-id': Flags.string({ description: `Who is ${verb === 'push' ? 'pushing' : 'copying'}, for the identity map${verb === 'push' ? '' : ' of merges'} (default: ${sourceIdDefault}).` }),
    'dry-run': Flags.boolean({ description: 'Do everything inside the transaction, report, then roll back.' }),
  };
}

export function mergeFrom(flags: { key?: string[]; update: boolean; 'skip-orphans': boolean; strict: boolean; 'source-id'?: string; 'dry-run': boolean }): MergeOptions & { dryRun: boolean } {
  return {
    keys: naturalKeys(flags.key),
    update: flags.update,
    skipOrphans: flags['skip-orphans'],
    strict: flags.strict,
    sourceId: flags['source-id'],
    dryRun: flags['dry-run'],
  };
}

/** Opt-in policies for data a target cannot hold as it is; each absent flag is the API's `error`. */
/** How an incremental push meets rows changed or deleted on either side (`db push`, `db watch`). */
export const syncFlags = {
  'on-conflict': Flags.option({
    options: ['keep-remote', 'keep-local', 'fail'] as const,
    description:
      'Incremental merges: a row changed here and in the target since the last push is kept as the target has it and listed (keep-remote, default; exit 4), written over (keep-local), or refuses the push (fail).',
  })(),
  deletes: Flags.boolean({
    description:
      'Incremental merges: delete in the target the rows deleted here since the last push that the target inserted for this file (never rows it held before). A row changed there since, or pointed at there, stays and is listed as a conflict (exit 4).',
  }),
};

export function syncFrom(flags: { 'on-conflict'?: 'keep-remote' | 'keep-local' | 'fail'; deletes: boolean }): { onConflict?: 'keep-remote' | 'keep-local' | 'fail'; deletes: boolean } {
  return { onConflict: flags['on-conflict'], deletes: flags.deletes };
}

export const policyFlags = {
  'on-type-mismatch': Flags.option({
    options: ['error', 'text'] as const,
    description: 'A value whose type contradicts its column (text in an INTEGER column): fail (default), or load the column as text.',
  })(),
  'on-invalid-text': Flags.option({
    options: ['error', 'replace'] as const,
    description: 'Text that is not valid UTF-8 or holds NUL: fail (default), or replace the bad bytes with U+FFFD.',
  })(),
  'long-names': Flags.option({
    options: ['error', 'shorten'] as const,
    description: 'Names longer than PostgreSQL keeps (63 bytes): fail (default), or give them deterministic short names.',
  })(),
};

/** Only the policies a flag chose: an absent one stays absent for the API to settle. */
export function policiesFrom(flags: { 'on-type-mismatch'?: 'error' | 'text'; 'on-invalid-text'?: 'error' | 'replace'; 'long-names'?: 'error' | 'shorten' }): Partial<DataPolicies> {
  const chosen: Partial<DataPolicies> = {};
  if (flags['on-type-mismatch']) chosen.typeMismatch = flags['on-type-mismatch'];
  if (flags['on-invalid-text']) chosen.invalidText = flags['on-invalid-text'];
  if (flags['long-names']) chosen.longNames = flags['long-names'];
  return chosen;
}

/** The snapshot folder flag of every snapshot command. */
export const snapshotDirFlag = {
  dir: Flags.string({
    description: 'The snapshot folder (default: HESAP_SNAPSHOT_DIR, else .hesap/snapshots in the current directory).',
    helpValue: '<dir>',
  }),
};

/**
 * The flag of each API option that library messages name. The API speaks of its options
 * in backticks (`` `exclude` ``, `` `mode: 'replace'` ``, `` `policies.longNames: 'shorten'` ``);
 * the CLI shows the flag that sets it (`--exclude`, `--mode replace`, `--long-names shorten`).
 */
const OPTION_FLAGS: Record<string, string> = {
  local: '--local',
  remote: '--remote',
  target: '--target',
  skipOrphans: '--skip-orphans',
  tables: '--tables',
  exclude: '--exclude',
  mode: '--mode',
  keys: '--key',
  update: '--update',
  strict: '--strict',
  sourceId: '--source-id',
  dryRun: '--dry-run',
  connectTimeoutSeconds: '--connect-timeout',
  lockTimeoutSeconds: '--lock-timeout',
  idleTimeoutSeconds: '--idle-timeout',
  maxDifferences: '--max-differences',
  epochDates: '--epoch-dates',
  'policies.typeMismatch': '--on-type-mismatch',
  'policies.invalidText': '--on-invalid-text',
  'policies.longNames': '--long-names',
  dir: '--dir',
  out: '--out',
  keep: '--keep',
  olderThan: '--older-than',
  deletes: '--deletes',
};

/** A value as it would be typed in a shell: with a space or a quote, in single quotes. */
function shellWord(value: string): string {
  return /^[\w.,:/@=-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A library message with each option it names shown as the flag that sets it. */
export function inFlags(text: string): string {
  return text
    .replace(/`epochDates: \{ '([^`]+)': '(ms|s)' \}`/g, (_whole, column: string, unit: string) => `${OPTION_FLAGS.epochDates} ${shellWord(`${column}=${unit}`)}`)
    .replace(/`([A-Za-z.]+)(?:: ([^`]+))?`/g, (whole, option: string, value: string | undefined) => {
      const flag = OPTION_FLAGS[option];
      if (!flag) return whole;
      if (value === undefined || value === 'true') return flag;
      // 'replace' → replace, ['users'] → users, 5 → 5
      const shown = value.replace(/^\[|\]$/g, '').split(',').map((v) => v.trim().replace(/^'(.*)'$/, '$1')).join(',');
      return `${flag} ${shellWord(shown)}`;
    });
}
