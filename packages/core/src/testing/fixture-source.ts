import { Readable } from 'node:stream';
import type { IntrospectOptions, SourceSession } from '../contract';
import { ChunkBuilder, encodeRow } from '../csv/csv-encoder';
import type { Schema, Table } from '../schema';
import type { Fixture } from './fixtures';

/**
 * A source session that serves a fixture's rows as PostgreSQL CSV, encoded with the
 * core codec: what any real source would send. With `fail`, the stream of one table
 * breaks after some rows, as a dropped connection would.
 *
 * @example
 * const source = new FixtureSource(fixtureNamed('unicode'));
 * await transfer({ source, target, targetCapabilities: adapter.capabilities, mode: 'create', policies: DEFAULT_POLICIES, dryRun: false, strict: false, progressIntervalMs: 200, idleTimeoutSeconds: 60 });
 */
export class FixtureSource implements SourceSession {
  constructor(
    private readonly fixture: Fixture,
    private readonly options: { fail?: { table: string; afterRows: number } } = {},
  ) {}

  async introspect(options?: IntrospectOptions): Promise<Schema> {
    const wanted = options?.tables ? new Set(options.tables) : undefined;
    const tables = this.fixture.tables.map((t) => t.table).filter((t) => !wanted || wanted.has(t.name));
    return { dialect: 'fixture', tables: structuredClone(tables), views: [], notes: [] };
  }

  async countRows(table: Table): Promise<number> {
    return this.rowsOf(table).length;
  }

  readTable(table: Table): Readable {
    const rows = this.rowsOf(table);
    const types = table.columns.map((c) => c.type);
    const failAfter = this.options.fail?.table === table.name ? this.options.fail.afterRows : undefined;
    return Readable.from(
      (function* () {
        const chunks = new ChunkBuilder(4096);
        for (const [i, row] of rows.entries()) {
          if (failAfter !== undefined && i === failAfter) {
            const pending = chunks.take();
            if (pending) yield pending;
            throw new Error(`The fixture stream of "${table.name}" broke after ${failAfter} rows (on purpose).`);
          }
          const full = chunks.add(encodeRow(row, types));
          if (full) yield full;
        }
        const rest = chunks.take();
        if (rest) yield rest;
      })(),
      { objectMode: false },
    );
  }

  async close(): Promise<void> {}

  private rowsOf(table: Table) {
    const found = this.fixture.tables.find((t) => t.table.name === table.name);
    if (!found) throw new Error(`Fixture "${this.fixture.name}" has no table "${table.name}".`);
    return found.rows;
  }
}
