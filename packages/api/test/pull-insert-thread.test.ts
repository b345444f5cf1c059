import * as fs from 'node:fs';
import * as path from 'node:path';
import { HesapError } from '@hesap/core';
import { buildEdgeValueDatabase, createTestDatabase, dumpSqlite, openSqlite, rejectionOf, sqliteDeclarations, tempDir, type TestDatabase } from '@hesap/test-support';
import { pull, push } from '@hesap/api';

// Every pull of this file inserts its rows on the insert thread (adapter-sqlite's
// sqlite-insert-thread.ts), however few: what a big pull does, on data small enough to check
// value by value. Jest gives each test file its own copy of process.env.
process.env.HESAP_SQLITE_INSERT_THREAD_ROWS = '0';

describe('pull with the inserts on a thread of their own', () => {
  let pg: TestDatabase;
  const tmp = tempDir('hesap-insert-thread');

  beforeAll(async () => {
    pg = await createTestDatabase('insert_thread');
  });
  afterAll(async () => {
    await pg.drop();
    tmp.cleanup();
  });

  const leftovers = () => fs.readdirSync(tmp.dir).filter((n) => n.includes('.hesap-'));

  it('gives back the edge-value database exactly: every value, storage class, key and declaration', async () => {
    const original = path.join(tmp.dir, 'edge.db');
    const pulled = path.join(tmp.dir, 'pulled.db');
    buildEdgeValueDatabase(original);
    await push({ local: original, remote: pg.url });
    const logged: string[] = [];
    await pull({ local: pulled, remote: pg.url, log: (_level, message) => logged.push(message) });
    expect(logged).toContain('Inserting the rows on a thread of their own.');
    expect(dumpSqlite(pulled)).toEqual(dumpSqlite(original));
    expect(sqliteDeclarations(pulled)).toEqual(sqliteDeclarations(original));
    expect(leftovers()).toEqual([]);
  });

  it('counts the rows of many batches and tables, in order, the last batch short', async () => {
    await pg.query(`CREATE TABLE many_a (id bigint PRIMARY KEY, v text, b bytea);
      INSERT INTO many_a SELECT i, 'row ' || i || ' ç', CASE WHEN i % 7 = 0 THEN decode(md5(i::text), 'hex') END FROM generate_series(1, 5003) i;
      CREATE TABLE many_b (id bigint PRIMARY KEY, n numeric(10,2)); INSERT INTO many_b SELECT i, i / 100.0 FROM generate_series(1, 777) i;`);
    const file = path.join(tmp.dir, 'many.db');
    const result = await pull({ local: file, remote: pg.url, tables: ['many_a', 'many_b'] });
    expect(result.tables.map((t) => [t.table, t.received, t.inserted])).toEqual([
      ['many_a', 5003, 5003],
      ['many_b', 777, 777],
    ]);
    const db = openSqlite(file);
    try {
      expect(db.prepare('SELECT count(*) AS n, sum(id) AS s, max(v) AS v, count(b) AS blobs FROM many_a').get()).toEqual({ n: 5003, s: (5003 * 5004) / 2, v: 'row 999 ç', blobs: 714 });
      expect(db.prepare('SELECT hex(b) AS h FROM many_a WHERE id = 7').get()).toEqual({ h: '8F14E45FCEEA167A5A36DEDD4BEA2543' });
      expect(db.prepare('SELECT n, typeof(n) AS t FROM many_b WHERE id = 777').get()).toEqual({ n: 7.77, t: 'real' });
    } finally {
      db.close();
    }
  });

  it('a row the local table refuses fails the pull naming that row (in a later batch), and leaves the file byte for byte', async () => {
    await pg.query(`CREATE TABLE checked (id bigint PRIMARY KEY, v integer); INSERT INTO checked SELECT i, CASE WHEN i = 1700 THEN -1 ELSE i END FROM generate_series(1, 3000) i`);
    const file = path.join(tmp.dir, 'checked.db');
    const db = openSqlite(file);
    db.exec("CREATE TABLE checked (id INTEGER PRIMARY KEY, v INTEGER CHECK (v > 0)); CREATE TABLE mine (v TEXT); INSERT INTO mine VALUES ('precious');");
    db.close();
    const before = fs.readFileSync(file);
    const error = await rejectionOf<HesapError>(pull({ local: file, remote: pg.url, tables: ['checked'] }));
    expect(error).toMatchObject({ code: 'CONSTRAINT_VIOLATION', table: 'checked', row: 'id=1700' });
    expect(error.message).toMatch(/CHECK constraint/);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(leftovers()).toEqual([]);
  });

  it('a value refused while decoding stops the thread and leaves no temporary file', async () => {
    await pg.query(`CREATE TABLE m (id bigint PRIMARY KEY, f double precision); INSERT INTO m SELECT i, CASE WHEN i = 2500 THEN 'NaN' ELSE i * 0.5 END FROM generate_series(1, 3000) i`);
    const file = path.join(tmp.dir, 'nan.db');
    const error = await rejectionOf<HesapError>(pull({ local: file, remote: pg.url, tables: ['m'] }));
    expect(error).toMatchObject({ code: 'VALUE_UNREPRESENTABLE', table: 'm', column: 'f', row: 'id=2500' });
    expect(fs.existsSync(file)).toBe(false);
    expect(leftovers()).toEqual([]);
  });
});
