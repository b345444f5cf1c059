import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { processAlive, syncDirectory, syncFile } from '@hesap/core';
import * as path from 'node:path';

/**
 * The file-system side of snapshots: folders are built under a temporary name and
 * renamed when complete, files are synced before they are renamed, and temporary
 * folders of processes that died are found and removed. Folders are 0700, files 0600.
 */

export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;

/** `.tmp-snapshot-<hex>-<pid>`: a snapshot being built (or removed) by process `pid`. */
const TEMP_DIR = /^\.tmp-snapshot-[0-9a-f]{8}-(\d+)$/;

/** A new temporary folder name for this process, next to the snapshots. */
export function tempDirName(): string {
  return `.tmp-snapshot-${randomBytes(4).toString('hex')}-${process.pid}`;
}

export function isTempDirName(name: string): boolean {
  return TEMP_DIR.test(name);
}


/**
 * Removes the temporary folders in `parent` whose process is gone (a create killed
 * halfway, even by SIGKILL). Folders of live processes are left alone: they are
 * another create at work. Returns what was removed.
 */
export function removeLeftovers(parent: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(parent);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = TEMP_DIR.exec(name);
    if (!m || processAlive(Number(m[1]))) continue;
    const full = path.join(parent, name);
    try {
      if (!fs.lstatSync(full).isDirectory()) continue;
      fs.rmSync(full, { recursive: true, force: true });
      removed.push(full);
    } catch {
      // Another process may be removing it at the same moment.
    }
  }
  return removed;
}

/** Creates `dir` (and its parents) with mode 0700; an existing `dir` keeps its mode. */
export function ensureDirectory(dir: string): void {
  if (fs.existsSync(dir)) return;
  fs.mkdirSync(dir, { recursive: true, mode: DIR_MODE });
  fs.chmodSync(dir, DIR_MODE);
}



/** Writes `file` under a temporary name, syncs it, and renames it into place (mode 0600). */
export function writeFileDurably(file: string, content: string): void {
  const temp = `${file}.part`;
  fs.writeFileSync(temp, content, { mode: FILE_MODE, flag: 'wx' });
  syncFile(temp);
  fs.renameSync(temp, file);
}

/**
 * Removes a whole snapshot folder so that it disappears at once: first renamed to a
 * temporary name (which `list` never shows), then deleted.
 */
export function removeDirectoryAtomically(dir: string): void {
  const parent = path.dirname(dir);
  const doomed = path.join(parent, tempDirName());
  fs.renameSync(dir, doomed);
  syncDirectory(parent);
  fs.rmSync(doomed, { recursive: true, force: true });
}

export { syncDirectory, syncFile };
