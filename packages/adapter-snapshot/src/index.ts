/** @hesap/adapter-snapshot: checksummed snapshots (gzip-compressed PostgreSQL CSV and a manifest) as a hesap source and target. */
export { SnapshotAdapter, snapshotAdapter, snapshotPath, type SnapshotOpenOptions } from './snapshot-adapter';
export { SnapshotSource } from './snapshot-source';
export { SnapshotTarget, packageVersion, type SnapshotTargetOptions } from './snapshot-target';
export { SnapshotInvalidError } from './snapshot-errors';
export {
  DEFAULT_MAX_TABLE_BYTES,
  MANIFEST_FILE,
  SNAPSHOT_FORMAT,
  SNAPSHOT_FORMAT_VERSION,
  dataFileName,
  encodeManifest,
  parseManifest,
  readManifest,
  type SnapshotLimits,
  type SnapshotManifest,
  type SnapshotSourceInfo,
  type SnapshotTableEntry,
} from './snapshot-manifest';
export { openTableData, type TableDataOptions, type TableDataStream } from './snapshot-reader';
export { verifySnapshot, type SnapshotCheck, type SnapshotProblem, type SnapshotTableCheck, type VerifySnapshotOptions } from './snapshot-verify';
export { describeSnapshot, listSnapshots, newSnapshotName, removeSnapshot, resolveSnapshot, type SnapshotInfo, type SnapshotListing } from './snapshot-store';
export { removeLeftovers, isTempDirName } from './snapshot-files';
