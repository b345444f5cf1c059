import * as path from 'node:path';
import {
  CONTENT_CHECKSUM_VERSIONS,
  HesapError,
  checksumStream,
  findTable,
  transfer,
  type AdapterRegistry,
  type Column,
  type DataPolicies,
  type MergeMode,
  type Note,
  type ProgressEvent,
  type SourceSession,
  type Table,
} from '@hesap/core';
import {
  SnapshotInvalidError,
  describeSnapshot,
  listSnapshots,
  newSnapshotName,
  removeSnapshot,
  resolveSnapshot,
  snapshotAdapter,
  verifySnapshot,
  type SnapshotCheck,
  type SnapshotInfo,
  type SnapshotManifest,
  type SnapshotProblem,
  type SnapshotTableCheck,
  type SnapshotTarget,
} from '@hesap/adapter-snapshot';
import { runCopy, type CopyResult } from './copy';
import type { AttemptOptions, CommonOptions, LogFunction, TransferRunOptions } from './options';
import { defaultRegistry } from './registry';
import { withSessions } from './sessions';
import { copySettings, DEFAULT_MODES, READ_BACK_POLICIES, snapshotCreateSettings, type CopySettings, type SessionSettings } from './settings';

export type { SnapshotInfo, SnapshotProblem, SnapshotTableCheck } from '@hesap/adapter-snapshot';

/** Where snapshots live: `dir`, else `$HESAP_SNAPSHOT_DIR`, else `.hesap/snapshots` in the current directory. */
export function snapshotDir(dir?: string): string {
  return path.resolve(dir ?? process.env.HESAP_SNAPSHOT_DIR ?? path.join(process.cwd(), '.hesap', 'snapshots'));
}

interface SnapshotDirOption {
  /** The snapshot folder (default `$HESAP_SNAPSHOT_DIR`, else `.hesap/snapshots` in the current directory). */
  dir?: string;
}

export interface SnapshotCreateOptions extends CommonOptions, TransferRunOptions, SnapshotDirOption {
  /** The database to snapshot: a SQLite path or a `postgres://` URL. */
  from: string;
  /** What the source is to the user (`local`, `remote`); shown by `list`. Default: the adapter's name. */
  kind?: string;
  /** The new snapshot's own folder (must not exist). Default: a new name in `dir`. */
  out?: string;
  policies?: Partial<DataPolicies>;
  /** gzip level, 1 (fast, the default) to 9 (small). */
  compressionLevel?: number;
}

export interface SnapshotTableSummary {
  table: string;
  file: string;
  rows: number;
  /** CSV bytes. */
  bytes: number;
  /** Bytes on disk. */
  compressedBytes: number;
}

export interface SnapshotCreateResult {
  snapshot: SnapshotInfo;
  tables: SnapshotTableSummary[];
  /** Views of the source: listed, never copied. */
  views: string[];
  notes: Note[];
  durationMs: number;
}

export interface SnapshotListResult {
  dir: string;
  /** Newest first. */
  snapshots: SnapshotInfo[];
  /** Folders whose manifest cannot be read. */
  invalid: Array<{ name: string; path: string; problem: string }>;
}

export interface SnapshotVerifyOptions extends SnapshotDirOption {
  /** A snapshot's name in `dir`, a path to its folder, or `latest`. */
  snapshot: string;
  /** After each table is checked (`phase: 'done'`). */
  onProgress?: (event: ProgressEvent) => void;
  log?: LogFunction;
  signal?: AbortSignal;
}

export interface SnapshotVerifyResult {
  snapshot: string;
  path: string;
  /** Every file matches the manifest. */
  ok: boolean;
  createdAt?: string;
  tables: SnapshotTableCheck[];
  /** Each damaged file, named. */
  problems: SnapshotProblem[];
}

/** How a restore meets the rows already in the target: `replace` (the default) or a merge mode. */
export type RestoreMode = 'replace' | MergeMode;

export interface SnapshotRestoreOptions extends CommonOptions, TransferRunOptions, AttemptOptions, SnapshotDirOption {
  /** A snapshot's name in `dir`, a path to its folder, or `latest`. */
  snapshot: string;
  /** Where to restore: a SQLite path or a `postgres://` URL. */
  to: string;
  /**
   * `replace` (default): the snapshot's tables end holding exactly the snapshot's rows (a
   * SQLite file is replaced whole). Merge modes: rows meet the rows already there.
   */
  mode?: RestoreMode;
  policies?: Partial<DataPolicies>;
}

/** How one restored table compares with the snapshot. */
export interface RestoredTableCheck {
  table: string;
  /** `same`: the rows read back have the manifest's checksum. `merged`: rows met existing rows, so only counted. */
  status: 'same' | 'different' | 'missing' | 'merged';
  expectedRows: number;
  rows?: number;
  expectedChecksum: string;
  checksum?: string;
}

export interface SnapshotRestoreResult extends CopyResult {
  snapshot: string;
  path: string;
  createdAt: string;
  /** The restored content read back and compared with the manifest. */
  check: { ok: boolean; tables: RestoredTableCheck[] };
}

export interface SnapshotPruneOptions extends SnapshotDirOption {
  /** Keep the newest `keep` snapshots (at least 1). */
  keep?: number;
  /** Remove snapshots older than this: `7d`, `12h`, `30m`, `2w`, or milliseconds. */
  olderThan?: string | number;
  /** Say what would go, remove nothing. */
  dryRun?: boolean;
  /** The present moment, for `olderThan` (tests). */
  now?: Date;
}

export interface SnapshotPruneResult {
  dir: string;
  dryRun: boolean;
  /** Newest first. */
  removed: SnapshotInfo[];
  kept: SnapshotInfo[];
}

/** A described location as an absolute path when it is a relative path (a manifest is read from anywhere). */
function absolute(described: string): string {
  return /^[a-z][a-z0-9+.-]*:/i.test(described) || path.isAbsolute(described) ? described : path.resolve(described);
}

/** A source session that hands the schema it reads to the snapshot target too (views, dialect and notes are not in a load plan). */
function sharingSchema(source: SourceSession, target: SnapshotTarget): SourceSession {
  return {
    server: source.server,
    introspect: async (options) => {
      const schema = await source.introspect(options);
      target.describeSource(schema);
      return schema;
    },
    countRows: (table) => source.countRows(table),
    readTable: (table) => source.readTable(table),
    close: () => source.close(),
    explain: (error) => source.explain?.(error),
  };
}

/**
 * Takes a snapshot: every table read from one consistent snapshot of the source, written
 * as one gzip-compressed CSV file per table with a manifest of checksums. The snapshot
 * folder appears complete or not at all.
 *
 * @example
 * const { snapshot: s } = await snapshot.create({ from: 'app.db', kind: 'local' });
 * console.log(`${s.name}: ${s.tables} tables, ${s.rows} rows`);
 */
async function create(options: SnapshotCreateOptions, registry: AdapterRegistry = defaultRegistry): Promise<SnapshotCreateResult> {
  const started = Date.now();
  const fromAdapter = registry.forLocation(options.from);
  const kind = options.kind ?? fromAdapter.name;
  const out = path.resolve(options.out ?? path.join(snapshotDir(options.dir), newSnapshotName(kind)));
  const { session, engine } = snapshotCreateSettings(options);
  return withSessions(session, async (open) => {
    const source = await open.source(fromAdapter, options.from);
    const target = await open.target(snapshotAdapter, `snapshot:${out}`, {
      source: { kind, adapter: fromAdapter.name, location: absolute(fromAdapter.describe(options.from)) },
      compressionLevel: options.compressionLevel,
    });
    options.log?.('info', `Writing snapshot ${out}`);
    const report = await transfer({ source: sharingSchema(source, target), target, targetCapabilities: snapshotAdapter.capabilities, ...engine });
    const manifest = target.manifest!;
    return {
      snapshot: describeSnapshot(out, manifest),
      tables: manifest.tables.map((t) => ({ table: t.table, file: t.file, rows: t.rows, bytes: t.bytes, compressedBytes: t.compressedBytes })),
      views: report.views,
      notes: report.notes,
      durationMs: Date.now() - started,
    };
  });
}

/** The snapshots in the snapshot folder, newest first. */
async function list(options: SnapshotDirOption = {}): Promise<SnapshotListResult> {
  return listSnapshots(snapshotDir(options.dir));
}

async function check(where: string, options: Pick<SnapshotVerifyOptions, 'onProgress' | 'signal'>, contents = true): Promise<SnapshotCheck> {
  return verifySnapshot(where, {
    contents,
    signal: options.signal,
    onTable: (t, index, count) =>
      options.onProgress?.({ table: t.table, phase: 'done', rowsDone: t.status === 'ok' ? t.rows : 0, rowsTotal: t.rows, bytes: 0, index, count }),
  });
}

/**
 * Recomputes every checksum of a snapshot: the manifest's own, and for each data file
 * its SHA-256, size, row count and content checksum (by parsing the CSV). `ok` is false,
 * with each damaged file named in `problems`, on any mismatch.
 *
 * @example
 * const result = await snapshot.verify({ snapshot: 'latest' });
 * if (!result.ok) for (const p of result.problems) console.error(`${p.file}: ${p.message}`);
 */
async function verify(options: SnapshotVerifyOptions): Promise<SnapshotVerifyResult> {
  const where = resolveSnapshot(options.snapshot, snapshotDir(options.dir));
  options.log?.('info', `Verifying snapshot ${where}`);
  const result = await check(where, options);
  return {
    snapshot: path.basename(where),
    path: where,
    ok: result.ok,
    ...(result.manifest ? { createdAt: result.manifest.createdAt } : {}),
    tables: result.tables,
    problems: result.problems,
  };
}

/**
 * Restores a snapshot: checks the manifest and every file as stored first (size and
 * SHA-256: a damaged snapshot is refused before the target is touched), loads it through
 * the transfer engine (one transaction on PostgreSQL; on SQLite, installed into the file in
 * one SQLite transaction) while the load recomputes each file's size, row count and content checksum (a
 * manifest that lies about them rolls the load back), then reads the restored tables back
 * and compares their content checksums with the manifest's.
 *
 * @example
 * const result = await snapshot.restore({ snapshot: 'latest', to: process.env.DATABASE_URL! });
 * if (!result.check.ok) process.exitCode = 1;
 */
async function restore(options: SnapshotRestoreOptions, registry: AdapterRegistry = defaultRegistry): Promise<SnapshotRestoreResult> {
  const where = resolveSnapshot(options.snapshot, snapshotDir(options.dir));
  const name = path.basename(where);
  options.log?.('info', `Checking snapshot ${where} before restoring it`);
  // The files as stored, not inflated: the load below inflates and checks them anyway.
  const verified = await check(where, { signal: options.signal }, false);
  if (!verified.ok || !verified.manifest) throw refused(name, verified.problems);
  const manifest = verified.manifest;
  const settings = restoreSettings(options, where);
  const result = await runCopy(settings, registry).catch((error: unknown) => {
    // A file whose rows disagree with the manifest failed the load, which was rolled back.
    if (error instanceof SnapshotInvalidError) throw refused(name, [{ file: error.file, ...(error.table ? { table: error.table } : {}), message: error.message }]);
    throw error;
  });
  const restoredCheck = await readBack(options.to, { ...settings.session, policies: READ_BACK_POLICIES }, manifest, result, registry);
  return { ...result, snapshot: name, path: where, createdAt: manifest.createdAt, check: restoredCheck };
}

/** A restore of the snapshot at `where`, settled. */
export function restoreSettings(options: SnapshotRestoreOptions, where: string): CopySettings {
  const partial = (options.tables?.length ?? 0) > 0 || (options.exclude?.length ?? 0) > 0;
  const mode = options.mode ?? DEFAULT_MODES.restore;
  // A whole restore into SQLite is the snapshot's file, nothing else.
  return copySettings({ ...options, from: `snapshot:${where}`, mode, fresh: mode === 'replace' && !partial }, 'restore');
}

/**
 * What a restore says when the snapshot at `where` cannot be read for it: the damaged files,
 * found as the restore finds them, or else `error` itself.
 */
export async function restoreRefusal(where: string, error: unknown): Promise<never> {
  const verified = await check(where, {}, false).catch(() => undefined);
  if (verified && (!verified.ok || !verified.manifest)) throw refused(path.basename(where), verified.problems);
  throw error;
}

function refused(name: string, problems: SnapshotProblem[]): SnapshotInvalidError {
  const first = problems[0] ?? { file: 'manifest.json', message: 'The snapshot cannot be read.' };
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more damaged file${problems.length > 2 ? 's' : ''}: ${problems.slice(1).map((p) => p.file).join(', ')})` : '';
  return new SnapshotInvalidError(first.file, `Snapshot ${name} is damaged; nothing was restored. ${first.message}${more}`, {
    table: first.table,
    hints: [`\`hesap db snapshot verify ${name}\` lists every damaged file.`, 'Restore another snapshot (`hesap db snapshot list`).'],
  });
}

/** The restored table's columns in the snapshot's order (by name; by position when names were shortened). */
function columnsLike(stored: Table, restored: Table): Table | undefined {
  const byName = stored.columns.map((c) => restored.columns.find((r) => r.name === c.name));
  if (byName.every((c): c is Column => c !== undefined)) return { ...restored, columns: byName };
  return restored.columns.length === stored.columns.length ? restored : undefined;
}

/** Reads the restored tables back and compares each with the manifest, with the manifest's column types. */
async function readBack(
  to: string,
  settings: SessionSettings,
  manifest: SnapshotManifest,
  result: CopyResult,
  registry: AdapterRegistry,
): Promise<SnapshotRestoreResult['check']> {
  // Tables this restore created hold only values hesap wrote for their declared types: no
  // need to profile them (the whole database scanned once more), nor to start the adapter's
  // helpers for a profile. Tables that existed may hold anything, so then the tables are
  // profiled as any source is.
  const created = result.tables.every((t) => t.action === 'create');
  return withSessions(settings, async (open) => {
    const session = await open.source(registry.forLocation(to), to, { profile: !created });
    const names = result.tables.map((t) => t.targetName ?? t.table);
    const places = manifest.schema.tables.flatMap((t) => (t.place && result.tables.some((r) => r.table === t.name) ? [t.place] : []));
    const schema = await session.introspect({ profile: !created, tables: names, places });
    const tables: RestoredTableCheck[] = [];
    for (const report of result.tables) {
      const entry = manifest.tables.find((e) => e.table === report.table)!;
      const stored = manifest.schema.tables.find((t) => t.name === report.table)!;
      const base = { table: report.table, expectedRows: entry.rows, expectedChecksum: entry.checksum };
      const found = findTable(schema, report.targetName ?? report.table);
      const restored = found && columnsLike(stored, found);
      if (!restored) {
        tables.push({ ...base, status: 'missing' });
        continue;
      }
      // The manifest's own canonical form when this hesap knows it; else only the row count decides.
      const comparable = CONTENT_CHECKSUM_VERSIONS.includes(manifest.checksumVersion ?? -1);
      const sum = await checksumStream(session.readTable(restored), {
        types: stored.columns.map((c) => c.type),
        version: comparable ? manifest.checksumVersion : undefined,
        expectedBytes: entry.bytes,
      });
      const merged = report.action !== 'create' && report.action !== 'replace' && report.action !== 'load';
      const status = merged ? 'merged' : (comparable ? sum.digest === entry.checksum : sum.rows === entry.rows) ? 'same' : 'different';
      tables.push({ ...base, status, rows: sum.rows, checksum: sum.digest });
    }
    return { ok: tables.every((t) => t.status === 'same' || t.status === 'merged'), tables };
  });
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Milliseconds in a duration like `7d`, `12h`, `30m`, `90s`, `2w`. */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$/i.exec(text);
  if (!m) {
    throw new HesapError('USAGE', `"${text}" is not a duration.`, { hints: ['Write a number and a unit: 30m, 12h, 7d, 2w.'] });
  }
  return Number(m[1]) * UNITS[m[2]!.toLowerCase()]!;
}

/**
 * Removes old snapshots: those beyond the newest `keep`, and/or older than `olderThan`
 * (both must hold when both are given). The newest snapshot is never removed, so the
 * only one never is. A removed snapshot disappears at once (renamed away, then deleted).
 *
 * @example
 * await snapshot.prune({ keep: 5, olderThan: '7d' });
 */
async function prune(options: SnapshotPruneOptions): Promise<SnapshotPruneResult> {
  if (options.keep === undefined && options.olderThan === undefined) {
    throw new HesapError('USAGE', 'Say which snapshots to keep: keep (a count) and/or olderThan (a duration).', {
      hints: ["For example `keep: 5`, or `olderThan: '7d'`."],
    });
  }
  if (options.keep !== undefined && (!Number.isInteger(options.keep) || options.keep < 1)) {
    throw new HesapError('USAGE', `keep must be a whole number of at least 1 (the newest snapshot is never removed), not ${options.keep}.`);
  }
  const maxAge = options.olderThan === undefined ? undefined : typeof options.olderThan === 'number' ? options.olderThan : parseDuration(options.olderThan);
  const dir = snapshotDir(options.dir);
  const now = (options.now ?? new Date()).getTime();
  const removed: SnapshotInfo[] = [];
  const kept: SnapshotInfo[] = [];
  listSnapshots(dir).snapshots.forEach((s, i) => {
    const beyondKeep = options.keep === undefined || i >= options.keep;
    const old = maxAge === undefined || now - Date.parse(s.createdAt) > maxAge;
    (i > 0 && beyondKeep && old ? removed : kept).push(s);
  });
  if (!options.dryRun) for (const s of removed) removeSnapshot(s.path);
  return { dir, dryRun: options.dryRun ?? false, removed, kept };
}

/**
 * Snapshots: checksummed dumps of a whole database, one folder each.
 *
 * @example
 * import { snapshot } from '@hesap/api';
 * const { snapshot: s } = await snapshot.create({ from: process.env.DATABASE_URL!, kind: 'remote' });
 * const check = await snapshot.verify({ snapshot: s.name });
 * await snapshot.restore({ snapshot: s.name, to: 'copy.db' });
 * await snapshot.prune({ keep: 10 });
 */
export const snapshot = { create, list, verify, restore, prune };
