import { finished } from 'node:stream/promises';
import { HesapError } from '@hesap/core';
import { SnapshotInvalidError } from './snapshot-errors';
import { MANIFEST_FILE, readManifest, type SnapshotLimits, type SnapshotManifest } from './snapshot-manifest';
import { checkTableFile, openTableData } from './snapshot-reader';

/** One problem found in a snapshot, with the file it is in. */
export interface SnapshotProblem {
  file: string;
  table?: string;
  message: string;
}

export interface SnapshotTableCheck {
  table: string;
  file: string;
  rows: number;
  status: 'ok' | 'damaged';
  problem?: string;
}

export interface SnapshotCheck {
  /** Every file matches the manifest. */
  ok: boolean;
  /** Undefined when the manifest itself could not be read. */
  manifest?: SnapshotManifest;
  tables: SnapshotTableCheck[];
  problems: SnapshotProblem[];
}

export interface VerifySnapshotOptions extends SnapshotLimits {
  /**
   * Also inflate and parse every file to recompute its size, row count and content checksum
   * (default true). False checks the files as stored (plain file, size, SHA-256): fast, and
   * enough before a read that recomputes the rest as it goes.
   */
  contents?: boolean;
  /** After each table. */
  onTable?: (check: SnapshotTableCheck, index: number, count: number) => void;
  signal?: AbortSignal;
}

function problemOf(error: unknown, fallbackFile: string): SnapshotProblem {
  if (error instanceof SnapshotInvalidError) return { file: error.file, ...(error.table ? { table: error.table } : {}), message: error.message };
  const message = error instanceof Error ? error.message : String(error);
  return { file: fallbackFile, message };
}

/**
 * Recomputes every check of the snapshot in `dir`: the manifest's own checksum and
 * shape, then for each data file its SHA-256, inflated size, row count and content
 * checksum (by parsing the CSV). Reports every damaged file, not only the first.
 *
 * @example
 * const check = await verifySnapshot('.hesap/snapshots/20250101-120000-000-local-ab12');
 * if (!check.ok) console.error(check.problems.map((p) => `${p.file}: ${p.message}`));
 */
export async function verifySnapshot(dir: string, options: VerifySnapshotOptions = {}): Promise<SnapshotCheck> {
  let manifest: SnapshotManifest;
  try {
    manifest = readManifest(dir);
  } catch (error) {
    if (error instanceof HesapError && !(error instanceof SnapshotInvalidError)) throw error;
    return { ok: false, tables: [], problems: [problemOf(error, MANIFEST_FILE)] };
  }
  const tables: SnapshotTableCheck[] = [];
  const problems: SnapshotProblem[] = [];
  for (const [index, entry] of manifest.tables.entries()) {
    options.signal?.throwIfAborted();
    const table = manifest.schema.tables.find((t) => t.name === entry.table)!;
    let check: SnapshotTableCheck;
    try {
      if (options.contents === false) {
        await checkTableFile(dir, entry);
      } else {
        const stream = openTableData(dir, entry, table, { ...options, output: false, checksumVersion: manifest.checksumVersion });
        stream.resume();
        await finished(stream);
      }
      check = { table: entry.table, file: entry.file, rows: entry.rows, status: 'ok' };
    } catch (error) {
      const problem = problemOf(error, entry.file);
      problems.push(problem);
      check = { table: entry.table, file: entry.file, rows: entry.rows, status: 'damaged', problem: problem.message };
    }
    tables.push(check);
    options.onTable?.(check, index, manifest.tables.length);
  }
  return { ok: problems.length === 0, manifest, tables, problems };
}
