import * as path from 'node:path';
import { checkTableNames, isHesapError, findTable, fitIdentifiers, migrationTablesStayHome, selectTables, type AdapterRegistry, type HesapErrorCode, type Schema, type SourceSession, type Table } from '@hesap/core';
import { resolveSnapshot } from '@hesap/adapter-snapshot';
import { withCopySessions, type CopySessions } from './copy';
import type { CopyOptions, PullOptions, PushOptions } from './options';
import { pullSettings, pushSettings } from './push';
import { defaultRegistry } from './registry';
import { copySettings, type CopySettings } from './settings';
import { restoreRefusal, restoreSettings, snapshotDir, type SnapshotRestoreOptions } from './snapshot';

/** The operation to look at before it runs, with the options it will run with. */
export type PreviewRequest =
  | { operation: 'push'; options: PushOptions }
  | { operation: 'pull'; options: PullOptions }
  | { operation: 'copy'; options: CopyOptions }
  | { operation: 'restore'; options: SnapshotRestoreOptions };

/** A table and its rows. */
export interface PreviewTable {
  table: string;
  rows: number;
}

/** One side of the operation, as a question names it. */
export interface PreviewSide {
  /** Described: a file's path, a URL with its password masked. */
  location: string;
  /** The server, as connected to (PostgreSQL: the host, with its port when not 5432). Never a secret. */
  host?: string;
  /** The database on that server. */
  database?: string;
}

export interface PreviewResult {
  /** Where the rows come from. */
  from: PreviewSide;
  /** The database written to. */
  to: PreviewSide;
  /** For a restore: the snapshot's name. */
  snapshot?: string;
  /** The tables that move and their rows in the source. */
  incoming: { tables: PreviewTable[]; rows: number };
  /**
   * The target's tables that the operation writes into (replaces, or merges into) or drops,
   * with the rows each holds now. A table the operation creates is not here. Absent when the
   * target cannot be read (an adapter that only writes).
   */
  existing?: { tables: PreviewTable[]; rows: number };
}

/**
 * What a push, pull, copy or snapshot restore would overwrite, read before it runs and
 * without writing anything: the tables it moves with their rows, and the target's tables
 * it writes into or drops with the rows they hold now, chosen as the operation chooses
 * them (`tables`, `exclude`, migration tables, a pull that makes the file's tables the
 * remote's). It opens the databases as the operation does, so a location that cannot be
 * reached fails here with the operation's own error. For a question before destroying data.
 *
 * @example
 * const options = { local: 'app.db', remote: process.env.DATABASE_URL!, mode: 'replace' as const };
 * const p = await preview({ operation: 'push', options });
 * if (await ask(`Replace ${p.existing?.rows} rows of ${p.to.database} on ${p.to.host}?`)) await push(options);
 */
export async function preview(request: PreviewRequest, registry: AdapterRegistry = defaultRegistry): Promise<PreviewResult> {
  switch (request.operation) {
    case 'push':
      return look(pushSettings(request.options), registry);
    case 'pull':
      return look(pullSettings(request.options), registry);
    case 'copy':
      return look(copySettings(request.options, 'copy'), registry);
    case 'restore': {
      const where = resolveSnapshot(request.options.snapshot, snapshotDir(request.options.dir));
      // A snapshot that cannot be read is refused as the restore refuses it.
      const found = await look(restoreSettings(request.options, where), registry).catch((error: unknown) => restoreRefusal(where, error));
      return { ...found, snapshot: path.basename(where) };
    }
  }
}

async function look(settings: CopySettings, registry: AdapterRegistry): Promise<PreviewResult> {
  const { value } = await withCopySessions(settings, registry, (sessions) => lookWith(settings, sessions), { quick: true });
  return value;
}

/** What a location that does not exist yet fails to open with: the load creates it. */
const NOT_THERE_YET: readonly HesapErrorCode[] = ['LOCAL_FILE_MISSING', 'SNAPSHOT_MISSING'];

const total = (tables: PreviewTable[]) => ({ tables, rows: tables.reduce((n, t) => n + t.rows, 0) });

function side(location: string, session: SourceSession | undefined): PreviewSide {
  const { host, database } = session?.server ?? {};
  return { location, ...(host ? { host } : {}), ...(database ? { database } : {}) };
}

async function counted(session: SourceSession, tables: readonly Table[]): Promise<PreviewTable[]> {
  const counts: PreviewTable[] = [];
  for (const table of tables) counts.push({ table: table.name, rows: await session.countRows(table) });
  return counts;
}

/** The tables moving and the target's tables they meet, chosen as the transfer engine chooses them. */
async function lookWith(settings: CopySettings, { source, target, fromAdapter, toAdapter, open }: CopySessions): Promise<PreviewResult> {
  const { engine } = settings;
  const include = engine.tables && engine.tables.length > 0 ? engine.tables : undefined;
  const schema = await source.introspect({ profile: false, tables: include });
  // The target as the load sees it: a SQLite file replaced whole shows only the tables it keeps.
  const seen = await target.introspect({ profile: false });
  checkTableNames(engine, schema, seen);
  const moving = migrationTablesStayHome(selectTables(schema, include, engine.exclude), seen, { named: include, setting: engine.migrationTables }).tables;
  const incoming = await counted(source, moving);
  const keep = new Set(engine.exclude ?? []);
  // A whole replacement shows only the tables it keeps on purpose (--exclude).
  const whole = settings.fresh && seen.tables.every((t) => keep.has(t.name));
  const met = whole ? [] : fitIdentifiers(moving, toAdapter.capabilities, engine.policies).tables.filter((t) => findTable(seen, t.name));
  // The target read as it is now, for its rows (and its server's names). A target that does
  // not exist yet (a new file) has nothing to overwrite; one that cannot be read (an adapter
  // that only writes) has no counts.
  const reader = toAdapter.capabilities.source
    ? await open.source(toAdapter, settings.to, { profile: false }).catch((error: unknown) => {
        if (met.length === 0 && isHesapError(error) && NOT_THERE_YET.includes(error.code)) return undefined;
        throw error;
      })
    : undefined;
  const now: Schema | undefined = reader && (whole || met.length > 0) ? await reader.introspect({ profile: false }) : undefined;
  const existing = !now ? [] : whole ? now.tables.filter((t) => !keep.has(t.name)) : met.map((t) => findTable(now, t.name)).filter((t): t is Table => t !== undefined);
  return {
    from: side(fromAdapter.describe(settings.from), source),
    to: side(toAdapter.describe(settings.to), reader),
    incoming: total(incoming),
    ...(toAdapter.capabilities.source ? { existing: total(reader ? await counted(reader, existing) : []) } : {}),
  };
}
