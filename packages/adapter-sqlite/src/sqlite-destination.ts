import * as fs from 'node:fs';
import * as path from 'node:path';
import { HesapError } from '@hesap/core';

/**
 * The local file a pull or restore writes, checked before anything is read from the
 * source: it stays the app's file. A symlink is followed (the link stays, its target gets
 * the content); a folder, or a file that is not a SQLite database, is refused and left as
 * it is; a file or folder hesap may not write is refused with the reason.
 */
export interface Destination {
  /** The file that receives the content: the path given, or the file its symlinks lead to. */
  file: string;
  exists: boolean;
  /** The text encoding in the file's header, when it has one (`PRAGMA encoding` names). */
  encoding?: 'UTF-8' | 'UTF-16le' | 'UTF-16be';
}

const HEADER = Buffer.from('SQLite format 3\0', 'latin1');
const ENCODINGS = { 1: 'UTF-8', 2: 'UTF-16le', 3: 'UTF-16be' } as const;

/** Follows symlinks, also to a target that does not exist yet (a link made before the first pull). */
export function followLinks(given: string): string {
  let current = path.resolve(given);
  for (let hops = 0; hops < 40; hops++) {
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(current);
    } catch {
      // Missing: the folders above it may still be links.
      return path.join(realFolder(path.dirname(current)), path.basename(current));
    }
    if (!stat.isSymbolicLink()) return fs.realpathSync(current);
    current = path.resolve(path.dirname(current), fs.readlinkSync(current));
  }
  throw new HesapError('CONFIG_INVALID', `${given}: too many levels of symbolic links.`, { hints: ['Point --local at the database file itself.'] });
}

function realFolder(dir: string): string {
  try {
    return fs.realpathSync(dir);
  } catch {
    return dir;
  }
}

/** Checks the local path; throws a HesapError naming what is wrong with it. */
export function inspectDestination(given: string): Destination {
  const file = followLinks(given);
  const shown = file === path.resolve(given) ? given : `${given} (a link to ${file})`;
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw fileSystemError(error, 'reading', { file, shown });
  }
  const dir = path.dirname(file);
  if (!stat) {
    if (!fs.existsSync(dir)) {
      throw new HesapError('CONFIG_INVALID', `The folder for the local database does not exist: ${dir}`, {
        hints: ['Create the folder first, or point --local at a file in an existing folder.'],
      });
    }
    writable(dir, `${dir} (the folder for ${shown})`);
    return { file, exists: false };
  }
  if (stat.isDirectory()) {
    throw new HesapError('NOT_A_DATABASE', `${shown} is a folder, not a SQLite database file; nothing was written.`, {
      hints: ['Point --local at a file (a new name to create one), for example --local ' + path.join(given, 'app.db') + '.'],
    });
  }
  if (!stat.isFile()) throw notSqlite(shown, 'is not a regular file');
  const header = readHeader(file, shown);
  if (stat.size > 0 && (header.length < 100 || !header.subarray(0, 16).equals(HEADER))) throw notSqlite(shown, 'does not start with the SQLite header');
  // Both the file and its folder: SQLite writes its rollback journal beside the file.
  writable(file, shown);
  writable(dir, `${dir} (the folder of ${shown}, where SQLite keeps its journal)`);
  const code = header.length >= 60 ? header.readUInt32BE(56) : 0;
  return { file, exists: true, encoding: ENCODINGS[code as keyof typeof ENCODINGS] };
}

function readHeader(file: string, shown: string): Buffer {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const buffer = Buffer.alloc(100);
    const n = fs.readSync(fd, buffer, 0, 100, 0);
    return buffer.subarray(0, n);
  } catch (error) {
    throw fileSystemError(error, 'reading', { file, shown });
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function writable(target: string, shown: string): void {
  try {
    fs.accessSync(target, fs.constants.W_OK);
  } catch (error) {
    throw fileSystemError(error, 'writing', { file: target, shown });
  }
}

function notSqlite(shown: string, why: string): HesapError {
  return new HesapError('NOT_A_DATABASE', `${shown} exists and is not a SQLite database (it ${why}); it was left as it is.`, {
    hints: ['hesap replaces only SQLite databases. Move the file away, or point --local at another path.'],
  });
}

/** Free bytes on the file system holding `file`, when the system says. */
export function freeBytes(file: string): number | undefined {
  try {
    const s = fs.statfsSync(path.dirname(file));
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}

const MB = 1024 * 1024;
const megabytes = (n: number) => `${(n / MB).toFixed(n < 10 * MB ? 1 : 0)} MB`;

/** Where a file error happened: the file (for its disk's free space) and how to name it. */
export interface FileContext {
  file: string;
  /** The name shown to the user (the path given, with the link it follows). Default: `file`. */
  shown?: string;
  /** The bytes the step needs, when known. */
  needed?: number;
}

/**
 * A file-system failure (Node's errno or SQLite's result code) as a HesapError that says
 * what to do; undefined for anything else.
 */
export function explainFileError(error: unknown, doing: string, context: FileContext): HesapError | undefined {
  if (error instanceof HesapError) return error;
  const code = (error as { code?: string })?.code ?? '';
  const message = (error as Error)?.message ?? String(error);
  const shown = context.shown ?? context.file;
  const needed = context.needed;
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL') {
    const free = freeBytes(context.file);
    const amounts = [needed !== undefined ? `it needs about ${megabytes(needed)}` : undefined, free !== undefined ? `${megabytes(free)} free` : undefined]
      .filter(Boolean)
      .join(', ');
    return new HesapError('DISK_FULL', `The disk is full: ${doing} ${shown} failed${amounts ? ` (${amounts})` : ''}; the local database was left as it was.`, {
      cause: error,
      hints: ['Free some space on that disk (or pull to a file on another disk) and run the command again.'],
    });
  }
  if (code === 'EROFS' || code === 'SQLITE_READONLY' || code.startsWith('SQLITE_READONLY_')) {
    const readOnlyFs = code === 'EROFS' || /read-only file system/i.test(message);
    return new HesapError('PERMISSION_DENIED', `${shown} cannot be written: ${readOnlyFs ? 'the file system is mounted read-only' : message}; nothing was changed.`, {
      cause: error,
      hints: [readOnlyFs ? 'Pull to a file on a writable disk.' : 'Check the permissions of the file and its folder.'],
    });
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_PERM') {
    return new HesapError('PERMISSION_DENIED', `No permission: ${doing} ${shown} was refused; nothing was changed.`, {
      cause: error,
      hints: ['Run hesap as the user that owns the file (often the app\'s user), or give that user write access to the file and its folder.'],
    });
  }
  if (code === 'EISDIR') return new HesapError('NOT_A_DATABASE', `${shown} is a folder, not a SQLite database file; nothing was written.`, { cause: error });
  if (code === 'SQLITE_NOTADB') return notSqlite(shown, 'is not a database SQLite can read');
  return undefined;
}

/** {@link explainFileError}, or the error itself wrapped as INTERNAL. */
export function fileSystemError(error: unknown, doing: string, context: FileContext): HesapError {
  return (
    explainFileError(error, doing, context) ??
    new HesapError('INTERNAL', `${doing[0]!.toUpperCase()}${doing.slice(1)} ${context.shown ?? context.file} failed: ${(error as Error)?.message ?? String(error)}`, {
      cause: error,
    })
  );
}
