import * as path from 'node:path';
import { runAdapterConformance, type ConformanceLocation } from '@hesap/core/testing';
import { postgresAdapter } from '@hesap/adapter-postgres';
import { createTestDatabase, tempDir } from '@hesap/test-support';
import { sqliteAdapter } from '@hesap/adapter-sqlite';

// The conformance kit of @hesap/core against the SQLite adapter, directly and through PostgreSQL.
let next = 0;
async function newSqliteFile(): Promise<ConformanceLocation> {
  const { dir, cleanup } = tempDir('hesap-conformance');
  return { location: path.join(dir, `db-${++next}.sqlite`), cleanup };
}

async function newPostgresDatabase(): Promise<ConformanceLocation> {
  const db = await createTestDatabase('conformance');
  return { location: db.url, cleanup: db.drop };
}

runAdapterConformance({
  name: 'sqlite',
  adapter: sqliteAdapter,
  newLocation: newSqliteFile,
  peers: [{ name: 'postgres', adapter: postgresAdapter, newLocation: newPostgresDatabase }],
});
