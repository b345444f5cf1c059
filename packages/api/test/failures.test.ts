import * as fs from 'node:fs';
import * as path from 'node:path';
import { HesapError } from '@hesap/core';
import { databasePerTest, openSqlite, tempDir, terminateHesapSessionsSync, type TestDatabase } from '@hesap/test-support';
import { pull, push } from '@hesap/api';

const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected the operation to fail');
    },
    (e: unknown) => e as HesapError,
  );

async function publicTables(pg: TestDatabase): Promise<string[]> {
  const rows = await pg.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`);
  return rows.map((r) => r.t);
}

describe('failures leave the target as it was', () => {
  const tmp = tempDir('hesap-fail');
  const pg = databasePerTest('fail');
  afterAll(() => tmp.cleanup());

  function localExec(file: string, sql: string): void {
    const db = openSqlite(file);
    db.exec(sql);
    db.close();
  }

  function localDb(name: string, sql: string, rows?: (db: ReturnType<typeof openSqlite>) => void): string {
    const file = path.join(tmp.dir, name);
    fs.rmSync(file, { force: true });
    const db = openSqlite(file);
    db.exec(sql);
    rows?.(db);
    db.close();
    return file;
  }

  it('a text value containing NUL is refused, naming table, column and row', async () => {
    const file = localDb('nul.db', 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); CREATE TABLE other (id INTEGER PRIMARY KEY);', (db) => {
      db.prepare('INSERT INTO notes (id, body) VALUES (?, ?)').run(1, 'fine');
      db.prepare('INSERT INTO notes (id, body) VALUES (?, ?)').run(2, 'bad\u0000byte');
    });
    const error = await failure(push({ local: file, remote: pg.url }));
    expect(error).toMatchObject({ code: 'INVALID_TEXT', table: 'notes', column: 'body', row: 'id=2' });
    expect(error.message).toMatch(/NUL/);
    expect(await publicTables(pg)).toEqual([]);
  });

  it('the server ending the connection in the middle of a large table leaves nothing, and no connection behind', async () => {
    const file = localDb('big.db', 'CREATE TABLE small (id INTEGER PRIMARY KEY, v TEXT); CREATE TABLE big (id INTEGER PRIMARY KEY, v TEXT, n REAL);', (db) => {
      db.prepare("INSERT INTO small (v) VALUES ('a'), ('b')").run();
      db.exec(`WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 300000)
               INSERT INTO big (id, v, n) SELECT i, printf('row %d with some text to make it longer than a few bytes', i), i * 0.5 FROM c`);
    });
    let killed = false;
    const error = await failure(
      push({
        local: file,
        remote: pg.url,
        onProgress: (event) => {
          // Synchronous: a kill sent without waiting can land after the COPY, while the keys of "small" are added.
          if (event.table === 'big' && event.phase === 'rows' && !killed) {
            killed = terminateHesapSessionsSync(pg) > 0;
          }
        },
        progressIntervalMs: 0,
        attempts: 1,
      }),
    );
    expect(killed).toBe(true);
    expect(error).toBeInstanceOf(HesapError);
    expect(error.code).toBe('CONNECTION_LOST');
    // The message says which statement the connection ended in, should the table ever differ.
    expect({ table: error.table, message: error.message }).toMatchObject({ table: 'big' });
    expect(await publicTables(pg)).toEqual([]);
    const left = await pg.query(`SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = 'hesap'`, [pg.name]);
    expect(left).toEqual([]);
    // With retries (the default), the same cut is survived: the whole transaction is redone, nothing twice.
    let cuts = 0;
    const logs: string[] = [];
    const result = await push({
      local: file,
      remote: pg.url,
      progressIntervalMs: 0,
      log: (_level, message) => logs.push(message),
      onProgress: (event) => {
        if (event.table === 'big' && event.phase === 'rows' && cuts === 0) {
          cuts += terminateHesapSessionsSync(pg);
        }
      },
    });
    expect(cuts).toBe(1);
    expect(result.retries).toEqual([expect.objectContaining({ attempt: 1, code: 'CONNECTION_LOST' })]);
    expect(logs.some((l) => /Attempt 1 failed \(CONNECTION_LOST/.test(l))).toBe(true);
    const [count] = await pg.query<{ n: string; distinct: string }>('SELECT count(*)::text AS n, count(DISTINCT id)::text AS distinct FROM big');
    expect(count).toEqual({ n: '300000', distinct: '300000' });
  });

  it('an orphan foreign key in the last table: a created table takes it under a NOT VALID key; strict, and a merge into a checked key, refuse it and write nothing; skipOrphans leaves it out', async () => {
    const file = localDb(
      'orphan.db',
      `PRAGMA foreign_keys = OFF;
       CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE);
       CREATE TABLE orders (id INTEGER PRIMARY KEY, creator_id INTEGER REFERENCES users (id), total REAL);
       INSERT INTO users VALUES (1, 'ali@example.com');
       INSERT INTO orders VALUES (1, 1, 10.5), (2, 99, 3.0);`,
    );
    const strict = await failure(push({ local: file, remote: pg.url, strict: true }));
    expect(strict).toMatchObject({ code: 'CONSTRAINT_VIOLATION', table: 'orders', row: 'id=2' });
    expect(strict.message).toMatch(/creator_id=99/);
    expect(await publicTables(pg)).toEqual([]);
    const created = await push({ local: file, remote: pg.url, mode: 'create' });
    expect(created.complete).toBe(true);
    expect(created.notes.filter((n) => n.code === 'FOREIGN_KEY_NOT_VALID')).toEqual([
      expect.objectContaining({ level: 'warning', table: 'orders', message: expect.stringMatching(/"orders_creator_id_fkey" on orders → users: 1 row \(first: id=2 \(creator_id=99\)\)/) }),
    ]);
    expect(await pg.query(`SELECT convalidated FROM pg_constraint WHERE conname = 'orders_creator_id_fkey'`)).toEqual([{ convalidated: false }]);
    expect((await pg.query<{ id: string }>('SELECT id::text AS id FROM orders ORDER BY id')).map((r) => r.id)).toEqual(['1', '2']);
    // Into tables whose key is validated: a new orphan refuses the merge, naming it; nothing is written.
    await pg.query(`DELETE FROM orders WHERE id = 2; ALTER TABLE orders VALIDATE CONSTRAINT orders_creator_id_fkey`);
    const error = await failure(push({ local: file, remote: pg.url }));
    expect(error).toMatchObject({ code: 'CONSTRAINT_VIOLATION', table: 'orders', constraint: 'orders_creator_id_fkey' });
    expect(error.message).toMatch(/creator_id.*99/);
    expect((await pg.query<{ id: string }>('SELECT id::text AS id FROM orders')).map((r) => r.id)).toEqual(['1']);
    const merged = await push({ local: file, remote: pg.url, skipOrphans: true });
    const orders = merged.tables.find((t) => t.table === 'orders')!;
    expect(orders.inserted).toBe(0);
    expect(orders.skipped).toEqual([
      expect.objectContaining({ sourceKey: 'id=2', targetKey: 'creator_id=99', reason: expect.stringMatching(/parent row in "users" does not exist/), orphan: 'parent-missing' }),
    ]);
    expect([merged.complete, merged.rowsLeftOut]).toEqual([false, 1]);
    expect((await pg.query<{ id: string }>('SELECT id::text AS id FROM orders')).map((r) => r.id)).toEqual(['1']);
  });

  it('replace makes the target hold exactly the source rows; a failure in the last table keeps the old rows', async () => {
    const good = localDb(
      'replace.db',
      `CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE);
       CREATE TABLE groups (id INTEGER PRIMARY KEY, name TEXT);
       INSERT INTO users VALUES (1, 'a@example.com'), (2, 'b@example.com');
       INSERT INTO groups VALUES (1, 'g');`,
    );
    await push({ local: good, remote: pg.url });
    await pg.query(`INSERT INTO users (email) VALUES ('only-in-production@example.com')`);
    // Same tables, but a duplicate email in the last table in load order.
    const bad = localDb(
      'replace-bad.db',
      `CREATE TABLE users (id INTEGER, email TEXT);
       CREATE TABLE groups (id INTEGER PRIMARY KEY, name TEXT);
       INSERT INTO groups VALUES (5, 'new');
       INSERT INTO users VALUES (1, 'x@example.com'), (2, 'x@example.com');`,
    );
    const error = await failure(push({ local: bad, remote: pg.url, mode: 'replace' }));
    expect(error).toMatchObject({ code: 'CONSTRAINT_VIOLATION', table: 'users' });
    expect((await pg.query<{ email: string }>('SELECT email FROM users ORDER BY id')).map((r) => r.email)).toEqual([
      'a@example.com',
      'b@example.com',
      'only-in-production@example.com',
    ]);
    expect((await pg.query<{ name: string }>('SELECT name FROM groups')).map((r) => r.name)).toEqual(['g']);

    const result = await push({ local: good, remote: pg.url, mode: 'replace' });
    expect(result.tables.map((t) => [t.table, t.action, t.inserted])).toEqual([
      ['groups', 'replace', 1],
      ['users', 'replace', 2],
    ]);
    expect((await pg.query<{ email: string }>('SELECT email FROM users ORDER BY id')).map((r) => r.email)).toEqual(['a@example.com', 'b@example.com']);
    const [next] = await pg.query<{ id: string }>(`INSERT INTO users (email) VALUES ('c@example.com') RETURNING id::text AS id`);
    // The sequence never goes back: production had handed out 3 already.
    expect(next!.id).toBe('4');
  });

  it('replace rebuilds every key, index and foreign key, and a replaced parent must keep the rows other tables point at', async () => {
    const file = localDb(
      'keys.db',
      `CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE, score INTEGER);
       CREATE INDEX users_score ON users (score);
       CREATE TABLE orders (id INTEGER PRIMARY KEY, creator_id INTEGER REFERENCES users (id));
       INSERT INTO users VALUES (1, 'a@example.com', 5), (2, 'b@example.com', 7);
       INSERT INTO orders VALUES (1, 2);`,
    );
    await push({ local: file, remote: pg.url });
    const definitions = async () =>
      (
        await pg.query<{ d: string }>(
          `SELECT conname || ' ' || pg_get_constraintdef(oid) AS d FROM pg_constraint WHERE connamespace = 'public'::regnamespace
           UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1`,
        )
      ).map((r) => r.d);
    const before = await definitions();
    expect(before.length).toBe(8);
    await push({ local: file, remote: pg.url, mode: 'replace', tables: ['users'] });
    expect(await definitions()).toEqual(before);
    // Without user 2, the order that points at it would dangle: the push fails and changes nothing.
    localExec(file, 'PRAGMA foreign_keys = OFF; DELETE FROM users WHERE id = 2;');
    const error = await failure(push({ local: file, remote: pg.url, mode: 'replace', tables: ['users'] }));
    expect(error).toMatchObject({ code: 'CONSTRAINT_VIOLATION' });
    expect(error.message).toMatch(/orders/);
    expect(await definitions()).toEqual(before);
    expect((await pg.query<{ n: string }>('SELECT count(*)::text AS n FROM users'))[0]!.n).toBe('2');
  });

  it('pushes started at the same moment into an empty database all succeed: a table created meanwhile is planned again', async () => {
    const file = localDb('race.db', `CREATE TABLE parents (id INTEGER PRIMARY KEY, name TEXT); CREATE TABLE children (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parents (id));`, (db) => {
      for (let i = 1; i <= 200; i++) db.prepare('INSERT INTO parents VALUES (?, ?)').run(i, `p${i}`);
      for (let i = 1; i <= 400; i++) db.prepare('INSERT INTO children VALUES (?, ?)').run(i, (i % 200) + 1);
    });
    // Four at once: the ones that lose the race to create the tables wait for the winner's
    // commit, fail with TARGET_CHANGED (retriable) and succeed on their next attempt.
    const results = await Promise.all([1, 2, 3, 4].map(() => push({ local: file, remote: pg.url, mode: 'replace' })));
    for (const r of results) expect(r.tables.map((t) => [t.table, t.received])).toEqual([['parents', 200], ['children', 400]]);
    const retried = results.flatMap((r) => r.retries.map((x) => x.code));
    expect(retried.every((code) => code === 'TARGET_CHANGED')).toBe(true);
    const [counts] = await pg.query<{ p: string; c: string }>(`SELECT (SELECT count(*) FROM parents)::text AS p, (SELECT count(*) FROM children)::text AS c`);
    expect(counts).toEqual({ p: '200', c: '400' });
  });

  it('create mode refuses a table that already holds rows', async () => {
    const file = localDb('again.db', 'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, \'x\');');
    await push({ local: file, remote: pg.url });
    const error = await failure(push({ local: file, remote: pg.url, mode: 'create' }));
    expect(error).toMatchObject({ code: 'TARGET_NOT_EMPTY', table: 't' });
    expect(error.hints.join(' ')).toMatch(/`mode: '(merge|replace)'`/);
  });

  it('an existing table with an incompatible column is refused, naming the column, and never altered', async () => {
    await pg.query('CREATE TABLE items (id bigint PRIMARY KEY, price bigint NOT NULL)');
    const file = localDb('items.db', "CREATE TABLE items (id INTEGER PRIMARY KEY, price TEXT, extra TEXT); INSERT INTO items VALUES (1, 'cheap', 'x');");
    const error = await failure(push({ local: file, remote: pg.url, mode: 'replace' }));
    expect(error).toMatchObject({ code: 'SCHEMA_INCOMPATIBLE', table: 'items', column: 'price' });
    expect(error.message).toMatch(/"extra" does not exist in the target/);
    const columns = await pg.query<{ c: string }>(`SELECT column_name AS c FROM information_schema.columns WHERE table_name = 'items' ORDER BY 1`);
    expect(columns.map((c) => c.c)).toEqual(['id', 'price']);
  });

  it('a failed pull leaves the old file byte for byte, and no temporary file', async () => {
    await pg.query(`CREATE TABLE m (id bigint PRIMARY KEY, f double precision); INSERT INTO m VALUES (1, 1.5), (2, 'NaN')`);
    const file = localDb('keep.db', "CREATE TABLE old (v TEXT); INSERT INTO old VALUES ('precious');");
    const before = fs.readFileSync(file);
    const error = await failure(pull({ local: file, remote: pg.url }));
    expect(error).toMatchObject({ code: 'VALUE_UNREPRESENTABLE', table: 'm', column: 'f' });
    expect(error.message).toMatch(/NaN/);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(fs.readdirSync(tmp.dir).filter((n) => n.includes('.hesap-'))).toEqual([]);
  });
});
