import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { adminQuery, createTestDatabase, openSqlite, tempDir, testServerUrl, type TestDatabase } from '@hesap/test-support';
import { pull, status } from '@hesap/api';

/**
 * The source reads its catalog, and for `status` the row counts, in one query (issue 24).
 * What that query looks at is what each command asked for, no more: status counts only the
 * tables it shows (a table left out with --exclude is never read, so a table the role may
 * not read does not stop it), and a pull of some tables does not read what the others'
 * sequences hold. A table that is read, and whose sequence the role may not read, fails as
 * it did when every table was asked about alone: with the server's own error.
 */

const ROLE = `hesap_reader_${randomBytes(3).toString('hex')}`;

describe('what the one catalog query reads', () => {
  const tmp = tempDir('hesap-catalog-reads');
  const local = path.join(tmp.dir, 'app.db');
  let pg: TestDatabase;
  let remote: string;

  beforeAll(async () => {
    pg = await createTestDatabase('catalog_reads');
    await adminQuery(testServerUrl(), `CREATE ROLE ${ROLE} LOGIN PASSWORD 'reader-password'`);
    const u = new URL(pg.url);
    u.username = ROLE;
    u.password = 'reader-password';
    remote = u.toString();
    await pg.query(`CREATE TABLE a (id serial PRIMARY KEY, v text NOT NULL);
                    CREATE TABLE b (id serial PRIMARY KEY, w text);
                    CREATE TABLE secret (id integer PRIMARY KEY);
                    CREATE SCHEMA other;
                    CREATE TABLE other.c (id integer PRIMARY KEY);
                    INSERT INTO a (v) VALUES ('x'), ('y'), ('z');
                    INSERT INTO b (w) VALUES ('p'), (NULL);
                    INSERT INTO secret VALUES (1);
                    INSERT INTO other.c VALUES (1), (2), (3), (4);
                    GRANT SELECT ON a, b TO ${ROLE};
                    GRANT USAGE ON SCHEMA other TO ${ROLE};
                    GRANT SELECT ON other.c TO ${ROLE};
                    GRANT SELECT ON SEQUENCE a_id_seq, b_id_seq TO ${ROLE};`);
    const db = openSqlite(local);
    db.exec(`CREATE TABLE a (id INTEGER PRIMARY KEY, v TEXT NOT NULL); INSERT INTO a VALUES (1, 'x'), (2, 'y'), (3, 'z');
             CREATE TABLE b (id INTEGER PRIMARY KEY, w TEXT); INSERT INTO b VALUES (1, 'p');`);
    db.close();
  });
  afterAll(async () => {
    await pg?.drop();
    await adminQuery(testServerUrl(), `DROP ROLE IF EXISTS ${ROLE}`);
    tmp.cleanup();
  });

  it('status counts the tables it shows, in every schema, and never one left out', async () => {
    const all = await status({ local, remote, exclude: ['secret'] });
    expect(all.remote.reachable).toBe(true);
    expect(all.remote.tables).toEqual({ a: 3, b: 2, 'other.c': 4 });
    expect(all.tables.find((t) => t.table === 'b')).toEqual({ table: 'b', local: 1, remote: 2, differs: true });
    const some = await status({ local, remote, tables: ['a', 'other.c'] });
    expect(some.remote.tables).toEqual({ a: 3, 'other.c': 4 });
    expect(some.local.tables).toEqual({ a: 3 });
    // Counting `secret` is what the role may not do: asked for, it is the server's error.
    const denied = await status({ local, remote });
    expect(denied.remote.reachable).toBe(false);
    expect(denied.remote.error?.message).toMatch(/permission denied for table secret/);
  });

  it("a pull of some tables reads nothing of the others' sequences; a table read whose sequence is closed fails as before", async () => {
    await pg.query(`REVOKE SELECT ON SEQUENCE b_id_seq FROM ${ROLE}`);
    try {
      const into = path.join(tmp.dir, 'some.db');
      await pull({ remote, local: into, tables: ['a'] });
      const db = openSqlite(into);
      expect(db.prepare('SELECT id, v FROM a ORDER BY id').all()).toEqual([
        { id: 1, v: 'x' },
        { id: 2, v: 'y' },
        { id: 3, v: 'z' },
      ]);
      db.close();
      await expect(pull({ remote, local: path.join(tmp.dir, 'whole.db'), tables: ['a', 'b'] })).rejects.toThrow(/permission denied for sequence b_id_seq/);
    } finally {
      await pg.query(`GRANT SELECT ON SEQUENCE b_id_seq TO ${ROLE}`);
    }
  });
});
