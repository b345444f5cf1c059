import { runAdapterConformance, type ConformanceLocation } from '@hesap/core/testing';
import { postgresAdapter } from '@hesap/adapter-postgres';
import { createMysqlDatabase, createTestDatabase, describeMysql, mysqlAvailable } from '@hesap/test-support';
import { mysqlAdapter } from '@hesap/adapter-mysql';

// The conformance kit of @hesap/core against this adapter: every fixture written and
// read back, keys compared, the round trip through PostgreSQL, and a failure in the
// middle that must leave nothing.
async function newMysqlDatabase(): Promise<ConformanceLocation> {
  const db = await createMysqlDatabase('conformance');
  return { location: db.url, cleanup: db.drop };
}

async function newPostgresDatabase(): Promise<ConformanceLocation> {
  const db = await createTestDatabase('conformance');
  return { location: db.url, cleanup: db.drop };
}

if (mysqlAvailable()) {
  runAdapterConformance({
    name: 'mysql',
    adapter: mysqlAdapter,
    newLocation: newMysqlDatabase,
    peers: [{ name: 'postgres', adapter: postgresAdapter, newLocation: newPostgresDatabase }],
  });
} else {
  describeMysql('mysql adapter conformance', () => undefined);
}
