/**
 * @hesap/api: move a whole database between a local SQLite file and PostgreSQL (or any
 * adapter's database) from Node. Everything is wired here once: the adapters, plugins
 * named in hesap.config.json, the project's configuration and every default. The CLI is
 * a thin shell over these functions.
 */
export { push, pull, type PushResult, type PullResult } from './push';
// The error class, its codes, and the types that results and callbacks are made of, so a
// program needs no import from hesap's internal packages.
export { HesapError, HESAP_ERROR_CODES, isHesapError } from '@hesap/core';
export type {
  HesapErrorCode,
  ProgressEvent,
  PushMode,
  MergeMode,
  DataPolicies,
  EpochUnit,
  RetryRecord,
  TableReport,
  TransferReport,
  SkippedRow,
  Note,
} from '@hesap/core';
export type { RestoreMode } from './snapshot';
export { copy, type CopyResult } from './copy';
export { preview, type PreviewRequest, type PreviewResult, type PreviewTable, type PreviewSide } from './preview';
export { DEFAULTS, DEFAULT_MODES, defaultSourceId } from './settings';
export { defaultRegistry, listAdapters, type AdapterInfo } from './registry';
export { loadAdapterPlugins, adapterFromModule } from './plugins';
export {
  readDotEnv,
  readProjectConfig,
  findProjectFiles,
  projectRoot,
  resolveLocations,
  localDatabaseUrl,
  naturalKeys,
  migrationTablesSetting,
  epochDatesSetting,
  resolveLocal,
  resolveRemote,
  requireLocal,
  requireRemote,
  LOCAL_VARIABLES,
  REMOTE_VARIABLES,
  type ProjectConfig,
  type ProjectFiles,
  type ProjectLocations,
  type LocationFlags,
  type ResolvedSetting,
} from './project-config';
export { readState, type SyncState, type SyncRecord } from './state';
export type {
  CommonOptions,
  TransferRunOptions,
  AttemptOptions,
  CopyOptions,
  PushOptions,
  MergeOptions,
  MigrationTableOptions,
  EpochDateOptions,
  EpochDatesOption,
  PullOptions,
  StatusOptions,
  VerifyOptions,
  LogFunction,
} from './options';
export { status, type StatusResult, type SideStatus, type ConfigurationReport, type TableComparison } from './status';
export { verify, type VerifyResult, type TableVerification, type RowDifference } from './verify';
export { snapshot, snapshotDir, parseDuration } from './snapshot';
export type {
  SnapshotCreateOptions,
  SnapshotCreateResult,
  SnapshotTableSummary,
  SnapshotListResult,
  SnapshotVerifyOptions,
  SnapshotVerifyResult,
  SnapshotRestoreOptions,
  SnapshotRestoreResult,
  RestoredTableCheck,
  SnapshotPruneOptions,
  SnapshotPruneResult,
  SnapshotInfo,
  SnapshotProblem,
  SnapshotTableCheck,
} from './snapshot';
export { grants, type GrantsOptions, type GrantsResult } from './grants';
export { init, dotEnvLine, type InitOptions, type InitResult } from './init';
export {
  watch,
  watchRetries,
  conflictsOf,
  WATCH_DEFAULTS,
  type WatchOptions,
  type WatchHandle,
  type WatchEvents,
  type WatchStatus,
  type WatchState,
  type WatchTrigger,
  type WatchPush,
  type WatchRows,
  type WatchFailure,
  type WatchChange,
} from './watch';
