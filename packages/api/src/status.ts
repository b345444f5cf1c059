import { checkTableNames, findTable, HesapError, samePlace, selectTables, type Adapter, type Schema } from '@hesap/core';
import type { StatusOptions } from './options';
import type { ProjectLocations } from './project-config';
import { defaultRegistry } from './registry';
import { withSessions } from './sessions';
import { sessionSettings, type SessionSettings } from './settings';
import { readState, type SyncRecord } from './state';

export interface SideStatus {
  configured: boolean;
  /** The file path or the URL with its password masked. */
  location?: string;
  reachable: boolean;
  latencyMs?: number;
  serverVersion?: string;
  /** How the connection is secured (PostgreSQL). */
  tls?: string;
  error?: { code: string; message: string; hints: string[] };
  /** Row count per table, when reachable. */
  tables?: Record<string, number>;
}

export interface TableComparison {
  table: string;
  local?: number;
  remote?: number;
  /** Missing on one side, or different row counts. */
  differs: boolean;
}

/** Where the two locations were read from (no values: those are in `local` and `remote`, masked). */
export interface ConfigurationReport {
  /** The `.env` file read, if any. */
  envFile?: string;
  configFile?: string;
  target?: string;
  local: { source?: string; notes: string[] };
  remote: { source?: string; notes: string[] };
}

export interface StatusResult {
  /** Present when the options said where the locations came from (`configuration`). */
  configuration?: ConfigurationReport;
  local: SideStatus;
  remote: SideStatus;
  tables: TableComparison[];
  /** Both sides reachable and every table with the same row count. */
  inSync: boolean;
  lastPush?: SyncRecord;
  lastPull?: SyncRecord;
}

/** One side's status, and its schema when it could be read (to check the table names given against both sides). */
interface SideLook {
  status: SideStatus;
  schema?: Schema;
}

async function side(adapter: Adapter, location: string | undefined, options: StatusOptions, settings: SessionSettings): Promise<SideLook> {
  if (!location) return { status: { configured: false, reachable: false } };
  const shown = adapter.describe(location);
  const started = Date.now();
  let schema: Schema | undefined;
  try {
    const status = await withSessions(settings, async (open): Promise<SideStatus> => {
      const session = await open.source(adapter, location, { profile: false });
      const latencyMs = Date.now() - started;
      // Every schema: a table nobody looked at must not count as in sync. The row counts come
      // with the catalog where the side can (PostgreSQL: one query, one round trip).
      const counts = { tables: options.tables && options.tables.length > 0 ? options.tables : undefined, exclude: options.exclude };
      schema = await session.introspect({ profile: false, allSchemas: true, counts });
      const tables: Record<string, number> = {};
      const selected = selectTables(schema, undefined, undefined).filter((t) => wanted(t.name, options));
      if (session.countRowsOf) {
        // One request for every table: a server far away is asked once.
        const counts = await session.countRowsOf(selected);
        selected.forEach((table, i) => (tables[table.name] = counts[i]!));
      } else {
        for (const table of selected) {
          tables[table.name] = await session.countRows(table);
          // SQLite counts on this thread: between tables, the other side's replies get read
          // and its next query sent, so the server counts while SQLite does.
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
      return { configured: true, location: shown, reachable: true, latencyMs, serverVersion: session.server?.version, tls: session.server?.tls, tables };
    });
    return { status, schema };
  } catch (error) {
    const e = error instanceof HesapError ? error : new HesapError('INTERNAL', String((error as Error)?.message ?? error), { cause: error });
    return { status: { configured: true, location: shown, reachable: false, error: { code: e.code, message: e.message, hints: e.hints } } };
  }
}

function configurationReport(where: ProjectLocations): ConfigurationReport {
  const { envFile, configFile, target, local, remote } = where;
  return { envFile, configFile, target, local: { source: local.source, notes: local.notes }, remote: { source: remote.source, notes: remote.notes } };
}

function wanted(name: string, options: StatusOptions): boolean {
  if (options.tables && options.tables.length > 0 && !options.tables.includes(name)) return false;
  return !(options.exclude ?? []).includes(name);
}

/**
 * Both sides at a glance: configured, reachable (latency, server version, TLS), and each
 * table's row count side by side. Never throws for an unreachable side: it is reported.
 * A name in `tables` or `exclude` that is a table on neither side is a USAGE error.
 *
 * @example
 * const s = await status({ local: 'app.db', remote: process.env.DATABASE_URL });
 * for (const t of s.tables) if (t.differs) console.log(t.table, t.local, t.remote);
 */
export async function status(options: StatusOptions): Promise<StatusResult> {
  const settings = sessionSettings(options);
  const localAdapter = options.local ? defaultRegistry.forLocation(options.local) : undefined;
  const remoteAdapter = options.remote ? defaultRegistry.forLocation(options.remote) : undefined;
  // The remote first: its connection is on its way while the local file is read.
  const unconfigured: SideLook = { status: { configured: false, reachable: false } };
  const remotePending = remoteAdapter ? side(remoteAdapter, options.remote, options, settings) : Promise.resolve(unconfigured);
  const looks = await Promise.all([remotePending, localAdapter ? side(localAdapter, options.local, options, settings) : Promise.resolve(unconfigured)]);
  // Table names are checked only when every configured side could be read: a side that is
  // down may hold the table.
  const read = looks.filter((l) => l.status.configured);
  if (read.length > 0 && read.every((l) => l.schema)) checkTableNames(options, ...read.map((l) => l.schema!));
  const [remote, local] = looks.map((l) => l.status) as [SideStatus, SideStatus];
  const names = [...new Set([...Object.keys(local.tables ?? {}), ...Object.keys(remote.tables ?? {})])].sort();
  const [remoteLook, localLook] = looks as [SideLook, SideLook];
  const tables = names.flatMap((table): TableComparison[] => {
    const l = local.tables?.[table];
    const r = remote.tables?.[table];
    // Named alike but not the same table (a local name with a dot, a remote table of that schema): each is on one side only.
    if (l !== undefined && r !== undefined && !samePlace(findTable(localLook.schema!, table)!, findTable(remoteLook.schema!, table)!)) {
      return [{ table, local: l, remote: undefined, differs: true }, { table, local: undefined, remote: r, differs: true }];
    }
    return [{ table, local: l, remote: r, differs: l !== r }];
  });
  const state = options.local ? readState(options.local) : {};
  return {
    ...(options.configuration ? { configuration: configurationReport(options.configuration) } : {}),
    local,
    remote,
    tables,
    inSync: local.reachable && remote.reachable && tables.every((t) => !t.differs),
    lastPush: state.lastPush,
    lastPull: state.lastPull,
  };
}
