import * as fs from 'node:fs';
import * as path from 'node:path';
import { createTestDatabase, pgFingerprint, tempDir, writeSqlite, type TestDatabase } from '@hesap/test-support';
import { preview, push } from '@hesap/api';

/**
 * `preview`: what an operation would overwrite, chosen as the operation chooses its tables,
 * read without writing anything, from a real PostgreSQL database and real SQLite files.
 */
describe('preview', () => {
  const tmp = tempDir('hesap-preview');
  const local = path.join(tmp.dir, 'app.db');
  let pg: TestDatabase;

  beforeAll(async () => {
    pg = await createTestDatabase('preview');
    writeSqlite(
      local,
      `CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);
       CREATE TABLE _prisma_migrations (id TEXT PRIMARY KEY, migration_name TEXT NOT NULL);
       INSERT INTO users VALUES (1, 'ali@example.com'), (2, 'ayse@example.com');
       INSERT INTO _prisma_migrations VALUES ('a', 'init');`,
    );
    await push({ local, remote: pg.url });
    await pg.query(`INSERT INTO users VALUES (3, 'can@example.com')`);
  });
  afterAll(async () => {
    await pg?.drop();
    tmp.cleanup();
  });

  it('a push leaves the migration table home, as the push does, and writes nothing', async () => {
    const before = await pgFingerprint(pg);
    const found = await preview({ operation: 'push', options: { local, remote: pg.url, mode: 'replace' } });
    expect(found.incoming).toEqual({ tables: [{ table: 'users', rows: 2 }], rows: 2 });
    expect(found.existing).toEqual({ tables: [{ table: 'users', rows: 3 }], rows: 3 });
    expect(found.to).toMatchObject({ host: '127.0.0.1', database: pg.name });
    expect(await pgFingerprint(pg)).toEqual(before);
  });

  it('a libpq keyword string names its host and database, never its password', async () => {
    const u = new URL(pg.url);
    const keywords = `host=${u.hostname} port=${u.port || 5432} dbname=${pg.name} user=${decodeURIComponent(u.username)} password='Kw-S3cret pw'`;
    const found = await preview({ operation: 'push', options: { local, remote: keywords, mode: 'replace', tables: ['users'] } });
    expect(found.to).toMatchObject({ host: u.port && u.port !== '5432' ? `${u.hostname}:${u.port}` : u.hostname, database: pg.name });
    expect(JSON.stringify(found)).not.toContain('Kw-S3cret');
  });

  it('a pull into a file that does not exist yet overwrites nothing, and creates no file', async () => {
    const missing = path.join(tmp.dir, 'new.db');
    const found = await preview({ operation: 'pull', options: { local: missing, remote: pg.url } });
    expect(found.existing).toEqual({ tables: [], rows: 0 });
    expect(found.incoming.rows).toBe(4);
    expect(fs.existsSync(missing)).toBe(false);
  });
});
