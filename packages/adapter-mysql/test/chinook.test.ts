import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ContentChecksum, CsvParser, type Adapter, type Table } from '@hesap/core';
import { keyProblems } from '@hesap/core/testing';
import { mysqlAdapter } from '@hesap/adapter-mysql';
import { createMysqlDatabase, createTestDatabase, describeMysql, describePeerData, dumpSqlite, type MysqlTestDatabase, repoRoot, tempDir, type TestDatabase } from '@hesap/test-support';

/**
 * The Chinook database (../shared/peer-data, read in place) through MariaDB and
 * PostgreSQL with `hesap db copy`, the adapter loaded as a plugin from hesap.config.json:
 * SQLite → MySQL → PostgreSQL → MySQL → SQLite. Every row and every key must survive.
 */

const BIN = path.join(repoRoot(), 'apps', 'cli', 'bin', 'run.js');

interface TableContent {
  table: Table;
  rows: number;
  checksum: string;
}

/** Every table of a database: its schema as introspected and an order-independent checksum of its rows. */
async function contents(adapter: Adapter, location: string): Promise<Map<string, TableContent>> {
  const source = await adapter.openSource(location, {});
  try {
    const schema = await source.introspect({ profile: true });
    const out = new Map<string, TableContent>();
    for (const table of schema.tables) {
      const checksum = new ContentChecksum(table.columns.map((c) => c.type));
      const parser = new CsvParser((row) => checksum.add(row));
      await pipeline(source.readTable(table), async (chunks: AsyncIterable<Buffer>) => {
        for await (const chunk of chunks) parser.write(chunk);
        parser.end();
      });
      out.set(table.name, { table, rows: checksum.rows, checksum: checksum.digest() });
    }
    return out;
  } finally {
    await source.close();
  }
}

describePeerData('Chinook through MariaDB and PostgreSQL', (peerData) => {
  describeMysql('hesap db copy with the mysql adapter as a plugin', () => {
    const chinook = path.join(peerData, 'chinook', 'Chinook_Sqlite.sqlite');
    const project = tempDir('hesap-chinook-mysql');
    let first: MysqlTestDatabase;
    let second: MysqlTestDatabase;
    let pg: TestDatabase;

    function hesap(...args: string[]) {
      const run = spawnSync(process.execPath, [BIN, 'db', 'copy', ...args, '--json'], { cwd: project.dir, encoding: 'utf8', timeout: 120_000 });
      if (run.status !== 0) throw new Error(`hesap db copy ${args.join(' ')} exited ${run.status}: ${run.stdout}${run.stderr}`);
      return JSON.parse(run.stdout) as { tables: Array<{ table: string; inserted: number }> };
    }

    beforeAll(async () => {
      fs.writeFileSync(path.join(project.dir, 'hesap.config.json'), JSON.stringify({ adapters: ['@hesap/adapter-mysql'] }));
      [first, second, pg] = await Promise.all([createMysqlDatabase('chinook'), createMysqlDatabase('chinook_back'), createTestDatabase('chinook_mysql')]);
    });
    afterAll(async () => {
      await Promise.all([first?.drop(), second?.drop(), pg?.drop()]);
      project.cleanup();
    });

    it('moves every row and key SQLite → MySQL → PostgreSQL → MySQL → SQLite', async () => {
      const original = dumpSqlite(chinook);
      const loaded = hesap('--from', chinook, '--to', first.url);
      expect(loaded.tables.reduce((n, t) => n + t.inserted, 0)).toBe(15607);
      hesap('--from', first.url, '--to', pg.url);
      hesap('--from', pg.url, '--to', second.url);
      const back = path.join(project.dir, 'back.sqlite');
      hesap('--from', second.url, '--to', back);

      // MySQL before and after the trip through PostgreSQL: the same rows, keys and counters.
      const before = await contents(mysqlAdapter, first.url);
      const after = await contents(mysqlAdapter, second.url);
      expect([...after.keys()].sort()).toEqual(Object.keys(original.tables).sort());
      for (const [name, was] of before) {
        const now = after.get(name)!;
        expect({ name, rows: now.rows, checksum: now.checksum }).toEqual({ name, rows: was.rows, checksum: was.checksum });
        expect(keyProblems(was.table, now.table, [])).toEqual([]);
        expect(now.table.sequence).toEqual(was.table.sequence);
        expect(now.table.columns.map((c) => c.declaredType)).toEqual(was.table.columns.map((c) => c.declaredType));
      }
      expect(before.get('Track')!.table.sequence?.lastValue).toBe(3503n);
      expect(before.get('Track')!.table.foreignKeys.map((fk) => `${fk.columns}->${fk.references.table}`).sort()).toEqual([
        'AlbumId->Album',
        'GenreId->Genre',
        'MediaTypeId->MediaType',
      ]);

      // And back in SQLite: every value with its storage class, every key, as in the original file.
      const final = dumpSqlite(back);
      for (const [name, table] of Object.entries(original.tables)) {
        expect({ name, ...final.tables[name] }).toEqual({ name, ...table });
      }
    });
  });
});
