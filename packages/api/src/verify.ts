import type { Readable } from 'node:stream';
import {
  checkTableNames,
  CsvParser,
  checksumStream,
  canonicalField,
  ContentChecksum,
  DEFAULT_POLICIES,
  fitIdentifiers,
  readJsonText,
  samePlace,
  type AdapterCapabilities,
  type CsvChecksumResult,
  type CsvRow,
  type Column,
  type NeutralType,
  type SourceSession,
  type Table,
} from '@hesap/core';
import type { VerifyOptions } from './options';
import { defaultRegistry } from './registry';
import { withSessions } from './sessions';
import { DEFAULTS, epochDatesOf, READ_BACK_POLICIES, sessionSettings } from './settings';
import { epochReadAs } from './verify-epoch';

export interface RowDifference {
  /** The row's key as `col=value` pairs (or its whole content when the table has no key). */
  key: string;
  kind: 'only-local' | 'only-remote' | 'changed';
  /** For `changed`: the columns whose values differ. */
  columns?: string[];
}

export interface TableVerification {
  table: string;
  status: 'same' | 'different' | 'only-local' | 'only-remote';
  localRows?: number;
  remoteRows?: number;
  localChecksum?: string;
  remoteChecksum?: string;
  /** Columns on one side only; they are not compared. */
  unmatchedColumns?: string[];
  /** The first differing keys (up to `maxDifferences`). */
  differences: RowDifference[];
}

export interface VerifyResult {
  local: string;
  remote: string;
  same: boolean;
  tables: TableVerification[];
}

/** Parses a CSV stream, calling `onRow` for each row. */
export async function consume(stream: Readable, onRow: (row: (string | null)[]) => void): Promise<void> {
  const parser = new CsvParser(onRow);
  for await (const chunk of stream) parser.write(chunk as Buffer);
  parser.end();
}

/**
 * What a value means, where the remote column spells it its own way beyond what the checksum's
 * canonical form covers: `jsonb` prints its own spacing and key order. Undefined for columns
 * compared as the checksum compares them.
 */
type Meaning = ((text: string) => string) | undefined;

const jsonMeaning = (text: string) => readJsonText(text)?.canonical ?? text;

function meaningsOf(remote: Table): Meaning[] {
  return remote.columns.map((c) => (c.jsonParsed ? jsonMeaning : undefined));
}

function byMeaning(row: CsvRow, meanings: readonly Meaning[]): CsvRow {
  return meanings.some((m) => m) ? row.map((v, i) => (v === null || !meanings[i] ? v : meanings[i]!(v))) : row;
}

/**
 * One side's checksum; every table is read whole, so the checksum thread is worth its start.
 * Tables with columns compared by meaning are hashed here, each value made canonical first.
 */
async function checksum(session: SourceSession, table: Table, types: NeutralType[], meanings: readonly Meaning[]): Promise<CsvChecksumResult> {
  if (!meanings.some((m) => m)) return checksumStream(session.readTable(table), { types, run: 'thread' });
  const sum = new ContentChecksum(types);
  await consume(session.readTable(table), (row) => sum.add(byMeaning(row, meanings)));
  return { digest: sum.digest(), rows: sum.rows };
}

interface KeyedRow {
  /** Each value in canonical form. */
  fields: string[];
  label: string;
  count: number;
}

/** Every row of one side by its key (canonical text), with its canonical values. */
async function rowsByKey(session: SourceSession, table: Table, types: NeutralType[], key: number[], meanings: readonly Meaning[]): Promise<Map<string, KeyedRow>> {
  const out = new Map<string, KeyedRow>();
  await consume(session.readTable(table), (raw) => {
    const row = byMeaning(raw, meanings);
    const fields = types.map((type, i) => canonicalField(row[i] ?? null, type));
    const keyText = key.length > 0 ? key.map((i) => fields[i]!).join('\u0000') : fields.join('\u0000,');
    const seen = out.get(keyText);
    if (seen) {
      seen.count++;
      return;
    }
    const label =
      key.length > 0
        ? key.map((i) => `${table.columns[i]!.name}=${raw[i] ?? 'NULL'}`).join(', ')
        : `(${raw.map((v) => (v === null ? 'NULL' : v.length > 40 ? `${v.slice(0, 37)}...` : v)).join(', ')})`;
    out.set(keyText, { fields, label, count: 1 });
  });
  return out;
}

/**
 * The names each local table and column has on the remote side: the same, or the short
 * form `--long-names shorten` gave them. Unchanged when the names cannot be fitted at all.
 */
function remoteNames(tables: readonly Table[], capabilities: AdapterCapabilities): Map<string, { name: string; columns: Map<string, string> }> {
  const out = new Map<string, { name: string; columns: Map<string, string> }>();
  let fitted: Table[];
  try {
    fitted = fitIdentifiers(tables, capabilities, { ...DEFAULT_POLICIES, longNames: 'shorten' }).tables;
  } catch {
    return out;
  }
  tables.forEach((t, i) => {
    const f = fitted[i]!;
    out.set(t.name, { name: f.name, columns: new Map(t.columns.map((c, j) => [c.name, f.columns[j]!.name])) });
  });
  return out;
}

function subset(table: Table, names: string[]): Table {
  return { ...table, columns: names.map((n) => table.columns.find((c) => c.name === n) as Column) };
}

/**
 * Compares the content of every table on both sides with order-independent checksums
 * over canonical values, and for tables that differ, lists the first differing keys.
 * Both sides are read from consistent snapshots.
 *
 * @example
 * const result = await verify({ local: 'app.db', remote: url });
 * if (!result.same) console.log(result.tables.filter((t) => t.status !== 'same'));
 */
export async function verify(options: VerifyOptions): Promise<VerifyResult> {
  const localAdapter = defaultRegistry.forLocation(options.local);
  const remoteAdapter = defaultRegistry.forLocation(options.remote);
  const max = options.maxDifferences ?? DEFAULTS.maxDifferences;
  return withSessions(sessionSettings(options, { ...READ_BACK_POLICIES, epochDates: epochDatesOf(options.epochDates) }), async (open) => {
    const local = await open.source(localAdapter, options.local);
    const remote = await open.source(remoteAdapter, options.remote);
    // Every schema of the remote: a table left unread is listed, never counted as the same.
    const localSchema = await local.introspect({ profile: true });
    // Tables pulled from other schemas are compared with the tables they came from (see TablePlace).
    const places = localSchema.tables.flatMap((t) => (t.place ? [t.place] : []));
    const remoteSchema = await remote.introspect({ profile: false, allSchemas: true, places });
    checkTableNames(options, localSchema, remoteSchema);
    const wanted = (name: string) =>
      (!options.tables || options.tables.length === 0 || options.tables.includes(name)) && !(options.exclude ?? []).includes(name);
    // Names as a push gave them to the remote side (long names shortened, deterministically).
    const named = remoteNames(localSchema.tables, remoteAdapter.capabilities);
    const localByName = new Map(localSchema.tables.map((t) => [named.get(t.name)?.name ?? t.name, t]));
    const names = [...new Set([...localByName.keys(), ...remoteSchema.tables.map((t) => t.name)])]
      .filter((n) => wanted(n) || wanted(localByName.get(n)?.name ?? n))
      .sort();
    const tables: TableVerification[] = [];
    for (const name of names) {
      const l = localByName.get(name);
      // Named alike but not the same table (a local name with a dot, a remote table of that schema): each is on one side only.
      const alike = remoteSchema.tables.filter((t) => t.name === name);
      const r = l && alike.find((t) => samePlace(l, t));
      if (l && !r) tables.push({ table: name, status: 'only-local', localRows: await local.countRows(l), differences: [] });
      for (const other of alike.filter((t) => t !== r)) {
        tables.push({ table: name, status: 'only-remote', remoteRows: await remote.countRows(other), differences: [] });
      }
      if (!l || !r) continue;
      const remoteColumn = (local: string) => named.get(l.name)?.columns.get(local) ?? local;
      const common = l.columns.map((c) => c.name).filter((n) => r.columns.some((c) => c.name === remoteColumn(n)));
      const unmatched = [
        ...l.columns.map((c) => c.name).filter((n) => !common.includes(n)),
        ...r.columns.map((c) => c.name).filter((n) => !common.some((m) => remoteColumn(m) === n)),
      ];
      // Both sides are canonicalised by the remote column's type: it is what push chose.
      const types = common.map((n) => r.columns.find((c) => c.name === remoteColumn(n))!.type);
      const rt = subset(r, common.map(remoteColumn));
      // Epoch integers meet date-times as the instants they name.
      const lt = epochReadAs(subset(l, common), rt);
      // Both sides at once: the server reads while this process reads the file.
      const meanings = meaningsOf(rt);
      const [ls, rs] = await Promise.all([checksum(local, lt, types, meanings), checksum(remote, rt, types, meanings)]);
      const entry: TableVerification = {
        table: name,
        status: ls.digest === rs.digest ? 'same' : 'different',
        localRows: ls.rows,
        remoteRows: rs.rows,
        localChecksum: ls.digest,
        remoteChecksum: rs.digest,
        differences: [],
        ...(unmatched.length > 0 ? { unmatchedColumns: [...new Set(unmatched)] } : {}),
      };
      if (entry.status === 'different' && max > 0) {
        const keyColumns = r.primaryKey?.columns ?? l.primaryKey?.columns ?? [];
        const key = keyColumns.map((c) => common.indexOf(c)).filter((i) => i >= 0);
        const [lm, rm] = [await rowsByKey(local, lt, types, key, meanings), await rowsByKey(remote, rt, types, key, meanings)];
        for (const [k, mine] of lm) {
          if (entry.differences.length >= max) break;
          const theirs = rm.get(k);
          if (!theirs) {
            entry.differences.push({ key: mine.label, kind: 'only-local' });
            continue;
          }
          const columns = common.filter((_, i) => theirs.fields[i] !== mine.fields[i]);
          if (columns.length > 0) entry.differences.push({ key: mine.label, kind: 'changed', columns });
          else if (theirs.count !== mine.count) entry.differences.push({ key: mine.label, kind: 'changed' });
        }
        for (const [k, theirs] of rm) {
          if (entry.differences.length >= max) break;
          if (!lm.has(k)) entry.differences.push({ key: theirs.label, kind: 'only-remote' });
        }
      }
      tables.push(entry);
    }
    return {
      local: localAdapter.describe(options.local),
      remote: remoteAdapter.describe(options.remote),
      same: tables.every((t) => t.status === 'same'),
      tables,
    };
  });
}
