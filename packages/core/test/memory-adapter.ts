import { Readable, Writable } from 'node:stream';
import {
  AdapterBase,
  CsvParser,
  DEFAULT_CAPABILITIES,
  HesapError,
  quoteCsvText,
  type AdapterCapabilities,
  type CsvRow,
  type LoadPlan,
  type Note,
  type Schema,
  type SourceSession,
  type Table,
  type TablePlan,
  type TableWrite,
  type TargetSession,
} from '@hesap/core';

/**
 * An adapter that keeps tables in memory, as parsed CSV fields: the smallest complete
 * implementation of the contract, for testing the kit without a database. Its `flaw`
 * makes it wrong on purpose, the way real adapters go wrong.
 */
export type Flaw = 'empty-string-becomes-null' | 'loses-last-row' | 'abort-keeps-rows' | 'forgets-indexes' | 'dry-run-commits';

interface Stored {
  table: Table;
  rows: CsvRow[];
}

type Store = Map<string, Stored>;

function encodeFields(row: CsvRow): string {
  return row.map((f) => (f === null ? '' : quoteCsvText(f))).join(',') + '\n';
}

class MemorySource implements SourceSession {
  constructor(private readonly store: Store) {}

  async introspect(): Promise<Schema> {
    return { dialect: 'memory', tables: [...this.store.values()].map((s) => structuredClone(s.table)), views: [], notes: [] };
  }

  async countRows(table: Table): Promise<number> {
    return this.store.get(table.name)?.rows.length ?? 0;
  }

  readTable(table: Table): Readable {
    const stored = this.store.get(table.name);
    if (!stored) throw new HesapError('TABLE_MISSING', `No table "${table.name}".`);
    const order = table.columns.map((c) => stored.table.columns.findIndex((s) => s.name === c.name));
    return Readable.from(stored.rows.map((row) => Buffer.from(encodeFields(order.map((i) => row[i] ?? null)))));
  }

  async close(): Promise<void> {}
}

class MemoryTarget implements TargetSession {
  private staged?: Store;
  private plan?: LoadPlan;

  constructor(
    private readonly databases: Map<string, Store>,
    private readonly location: string,
    private readonly flaw?: Flaw,
  ) {}

  async introspect(): Promise<Schema> {
    return new MemorySource(this.databases.get(this.location) ?? new Map()).introspect();
  }

  async begin(plan: LoadPlan): Promise<void> {
    this.plan = plan;
    this.staged = new Map(this.databases.get(this.location) ?? []);
    for (const t of plan.tables) {
      if (t.action !== 'load' && t.action !== 'replace') throw new HesapError('UNSUPPORTED', `Memory targets do not support --mode ${t.action}.`);
      const existing = this.staged.get(t.target.name);
      if (t.action === 'load' && existing && existing.rows.length > 0) throw new HesapError('TARGET_NOT_EMPTY', `Table "${t.target.name}" holds rows.`);
      const table = this.flaw === 'forgets-indexes' ? { ...t.target, indexes: [] } : structuredClone(t.target);
      this.staged.set(t.target.name, { table: t.create ? table : existing!.table, rows: [] });
    }
    if (this.flaw === 'abort-keeps-rows') this.databases.set(this.location, this.staged);
  }

  writeTable(plan: TablePlan): TableWrite {
    const stored = this.staged!.get(plan.target.name)!;
    const rows: CsvRow[] = [];
    const parser = new CsvParser((row) => rows.push(this.flaw === 'empty-string-becomes-null' ? row.map((f) => (f === '' ? null : f)) : row));
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        parser.write(chunk);
        callback();
      },
      final(callback) {
        parser.end();
        callback();
      },
    });
    return {
      stream,
      complete: async () => {
        const kept = this.flaw === 'loses-last-row' ? rows.slice(0, -1) : rows;
        stored.rows.push(...kept);
        return { table: plan.source.name, received: rows.length, inserted: kept.length, updated: 0, unchanged: 0, remapped: 0, skipped: [] };
      },
    };
  }

  async finish(): Promise<{ notes: Note[] }> {
    if (!this.plan!.dryRun || this.flaw === 'dry-run-commits') this.databases.set(this.location, this.staged!);
    this.staged = undefined;
    return { notes: [] };
  }

  async abort(): Promise<void> {
    this.staged = undefined;
  }

  async close(): Promise<void> {
    await this.abort();
  }
}

/** Locations are `memory:<name>`; each adapter instance has its own databases. */
export class MemoryAdapter extends AdapterBase {
  readonly name: string;
  readonly schemes = ['memory'] as const;
  readonly databases = new Map<string, Store>();

  constructor(private readonly flaw?: Flaw) {
    super();
    this.name = flaw ? `memory (${flaw})` : 'memory';
  }

  override get capabilities(): AdapterCapabilities {
    return { ...DEFAULT_CAPABILITIES, source: true, target: true, atomicLoad: true, consistentRead: true };
  }

  override async openSource(location: string): Promise<SourceSession> {
    const store = this.databases.get(location);
    if (!store) throw new HesapError('DATABASE_MISSING', `Nothing at ${location}.`);
    return new MemorySource(store);
  }

  override async openTarget(location: string): Promise<TargetSession> {
    return new MemoryTarget(this.databases, location, this.flaw);
  }
}
