import * as fs from 'node:fs';

/**
 * Files that appear complete or not at all: write under a temporary name, sync, rename,
 * sync the folder. Shared by every adapter that writes files (SQLite, snapshots).
 */

/** Flushes a file's content to the disk. */
export function syncFile(file: string): void {
  const fd = fs.openSync(file, 'r+');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Flushes a folder's entries (a rename) to the disk, where the file system allows it. */
export function syncDirectory(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Some file systems cannot sync a folder; the rename itself is still atomic.
  }
}

/** True while a process with this id runs: its temporary files are not leftovers. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
