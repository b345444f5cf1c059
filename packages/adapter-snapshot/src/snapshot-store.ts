import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HesapError } from '@hesap/core';
import { SnapshotInvalidError } from './snapshot-errors';
import { isTempDirName, removeDirectoryAtomically } from './snapshot-files';
import { MANIFEST_FILE, readManifest, type SnapshotManifest, type SnapshotSourceInfo } from './snapshot-manifest';

/**
 * A folder of snapshots (`.hesap/snapshots` by default): one sub-folder per snapshot,
 * named so that names sort by time. Temporary folders (a create in progress, or one
 * that died) are never listed.
 */

/** What `list` shows about one snapshot. */
export interface SnapshotInfo {
  /** The folder's name. */
  name: string;
  path: string;
  createdAt: string;
  source: SnapshotSourceInfo;
  tables: number;
  rows: number;
  /** CSV bytes once inflated. */
  bytes: number;
  /** Bytes on disk (data files and manifest). */
  size: number;
  hesapVersion: string;
  formatVersion: number;
}

export interface SnapshotListing {
  dir: string;
  /** Newest first. */
  snapshots: SnapshotInfo[];
  /** Folders with a manifest that cannot be read; they are never pruned. */
  invalid: Array<{ name: string; path: string; problem: string }>;
}

/** The summary of a snapshot whose manifest has been read. */
export function describeSnapshot(dir: string, manifest: SnapshotManifest): SnapshotInfo {
  let manifestBytes = 0;
  try {
    manifestBytes = fs.statSync(path.join(dir, MANIFEST_FILE)).size;
  } catch {
    // listed from a manifest just read; a race with prune only makes the size smaller
  }
  return {
    name: path.basename(dir),
    path: dir,
    createdAt: manifest.createdAt,
    source: manifest.source,
    tables: manifest.tables.length,
    rows: manifest.tables.reduce((n, t) => n + t.rows, 0),
    bytes: manifest.tables.reduce((n, t) => n + t.bytes, 0),
    size: manifest.tables.reduce((n, t) => n + t.compressedBytes, manifestBytes),
    hesapVersion: manifest.hesapVersion,
    formatVersion: manifest.formatVersion,
  };
}

const newestFirst = (a: SnapshotInfo, b: SnapshotInfo) =>
  Date.parse(b.createdAt) - Date.parse(a.createdAt) || (a.name < b.name ? 1 : a.name > b.name ? -1 : 0);

/** The snapshots in `dir`, newest first. A missing folder holds none. */
export function listSnapshots(dir: string): SnapshotListing {
  const listing: SnapshotListing = { dir, snapshots: [], invalid: [] };
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return listing;
  }
  for (const name of names) {
    if (name.startsWith('.') || isTempDirName(name)) continue;
    const full = path.join(dir, name);
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(full);
    } catch {
      continue;
    }
    if (!stat.isDirectory() || !fs.existsSync(path.join(full, MANIFEST_FILE))) continue;
    try {
      listing.snapshots.push(describeSnapshot(full, readManifest(full)));
    } catch (error) {
      listing.invalid.push({ name, path: full, problem: error instanceof Error ? error.message : String(error) });
    }
  }
  listing.snapshots.sort(newestFirst);
  listing.invalid.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return listing;
}

/** A new snapshot's folder name: time first (so names sort by time), the source kind, a random tail. */
export function newSnapshotName(kind: string, at = new Date()): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace('T', '-').replace('.', '-').replace('Z', '');
  const label = kind.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 24) || 'snapshot';
  return `${stamp}-${label}-${randomBytes(2).toString('hex')}`;
}

/**
 * The folder a user means by `ref`: `latest`, a name in `dir`, or a path to a snapshot
 * folder. Fails with SNAPSHOT_MISSING naming what exists.
 */
export function resolveSnapshot(ref: string, dir: string): string {
  if (ref === 'latest') {
    const newest = listSnapshots(dir).snapshots[0];
    if (!newest) throw missing(`There are no snapshots in ${dir}.`, dir);
    return newest.path;
  }
  const named = !ref.includes('/') && !ref.includes(path.sep) && ref !== '.' && ref !== '..';
  const candidates = named ? [path.join(dir, ref), path.resolve(ref)] : [path.resolve(ref)];
  for (const candidate of candidates) {
    if (isTempDirName(path.basename(candidate))) continue;
    if (fs.existsSync(candidate) && fs.statSync(candidate).isDirectory()) return candidate;
  }
  throw missing(`There is no snapshot "${ref}"${named ? ` in ${dir}` : ''}.`, dir);
}

function missing(message: string, dir: string): HesapError {
  const names = listSnapshots(dir).snapshots.slice(0, 5).map((s) => s.name);
  return new HesapError('SNAPSHOT_MISSING', message, {
    hints: [
      names.length > 0 ? `Snapshots in ${dir}, newest first: ${names.join(', ')}.` : 'Take one first (a snapshot of the local or the remote database).',
      'Give `dir` (or set HESAP_SNAPSHOT_DIR) when the snapshots are elsewhere.',
    ],
  });
}

/** Removes a snapshot folder at once (it is renamed away first, so it is never half-listed). */
export function removeSnapshot(snapshotPath: string): void {
  if (!fs.existsSync(path.join(snapshotPath, MANIFEST_FILE))) {
    throw new SnapshotInvalidError(MANIFEST_FILE, `${snapshotPath} is not a snapshot folder; it was not removed.`, { hints: [] });
  }
  removeDirectoryAtomically(snapshotPath);
}
