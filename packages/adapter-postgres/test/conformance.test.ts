import * as path from 'node:path';
import { runAdapterConformance, type ConformanceLocation } from '@hesap/core/testing';
import { sqliteAdapter } from '@hesap/adapter-sqlite';
import { createTestDatabase, tempDir } from '@hesap/test-support';
import { postgresAdapter } from '@hesap/adapter-postgres';

// The conformance kit of @hesap/core against the PostgreSQL adapter, directly and through SQLite.
async function newPostgresDatabase(): Promise<ConformanceLocation> {
  const db = await createTestDatabase('conformance');
  return { location: db.url, cleanup: db.drop };
}

let next = 0;
async function newSqliteFile(): Promise<ConformanceLocation> {
  const { dir, cleanup } = tempDir('hesap-conformance');
  return { location: path.join(dir, `db-${++next}.sqlite`), cleanup };
}

runAdapterConformance({
  name: 'postgres',
  adapter: postgresAdapter,
  newLocation: newPostgresDatabase,
  peers: [{ name: 'sqlite', adapter: sqliteAdapter, newLocation: newSqliteFile }],
});
