import type { Readable } from 'node:stream';
import { HesapError, type IntrospectOptions, type Schema, type ServerInfo, type SourceSession, type Table } from '@hesap/core';
import type { SnapshotLimits, SnapshotManifest, SnapshotTableEntry } from './snapshot-manifest';
import { openTableData } from './snapshot-reader';

/**
 * Reads a snapshot as a source: the schema is the manifest's, row counts are the
 * manifest's, and each table is its data file inflated, checked as it streams (a
 * mismatch fails the read, so the target rolls back). A snapshot never changes, so
 * every read is consistent by construction.
 */
export class SnapshotSource implements SourceSession {
  readonly server: ServerInfo;
  private readonly entries: Map<string, SnapshotTableEntry>;

  constructor(
    readonly dir: string,
    readonly manifest: SnapshotManifest,
    private readonly limits: SnapshotLimits = {},
  ) {
    this.entries = new Map(manifest.tables.map((e) => [e.table, e]));
    this.server = { version: `hesap snapshot, format ${manifest.formatVersion}, taken ${manifest.createdAt} by hesap ${manifest.hesapVersion}` };
  }

  /** The manifest's schema (a copy each time: callers may change what they get). */
  async introspect(options?: IntrospectOptions): Promise<Schema> {
    const wanted = options?.tables && options.tables.length > 0 ? new Set(options.tables) : undefined;
    const schema = structuredClone(this.manifest.schema);
    if (wanted) schema.tables = schema.tables.filter((t) => wanted.has(t.name));
    return schema;
  }

  async countRows(table: Table): Promise<number> {
    return this.entry(table.name).rows;
  }

  /** The table's CSV, in `table.columns` order (the stored bytes as they are when that is the stored order). */
  readTable(table: Table): Readable {
    const entry = this.entry(table.name);
    const stored = this.manifest.schema.tables.find((t) => t.name === table.name)!;
    return openTableData(this.dir, entry, stored, { ...this.limits, columns: table.columns.map((c) => c.name), checksumVersion: this.manifest.checksumVersion });
  }

  async close(): Promise<void> {
    // Nothing stays open between reads.
  }

  private entry(name: string): SnapshotTableEntry {
    const entry = this.entries.get(name);
    if (!entry) throw new HesapError('TABLE_MISSING', `The snapshot holds no table "${name}".`, { table: name });
    return entry;
  }
}
