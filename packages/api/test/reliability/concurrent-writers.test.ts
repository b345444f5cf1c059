import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import { HesapError } from '@hesap/core';
import { createTestDatabase, databasePerTest, holdSqliteLock, openSqlite, pgFingerprint, rejectionOf, startSqliteWriter, tempDir } from '@hesap/test-support';
import { pull, push } from '@hesap/api';

/**
 * Another writer at work while hesap reads: an app inserting into the SQLite file during a
 * push, and a client inserting parents and children into PostgreSQL during a pull. hesap must
 * read one consistent snapshot (counts agree with each other, every foreign key resolves)
 * and not fail because the other writer holds a lock.
 */

describe('a second writer during the transfer', () => {
  const tmp = tempDir('hesap-writers');
  const pg = databasePerTest('writers');
  afterAll(() => tmp.cleanup());

  /** parents, children (three per parent) and totals counting them, in the given journal mode. */
  function appDatabase(name: string, journal: 'wal' | 'delete'): string {
    const file = path.join(tmp.dir, name);
    for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
    const db = openSqlite(file);
    db.pragma(`journal_mode = ${journal}`);
    db.exec(`
      CREATE TABLE parents (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
      CREATE TABLE children (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parents (id), note TEXT);
      CREATE TABLE totals (id INTEGER PRIMARY KEY, parents INTEGER NOT NULL, children INTEGER NOT NULL);
      BEGIN;
      WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 30000) INSERT INTO parents SELECT i, printf('parent %d %.40c', i, 'p') FROM c;
      WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 90000) INSERT INTO children SELECT i, (i - 1) / 3 + 1, printf('child %d %.40c', i, 'c') FROM c;
      INSERT INTO totals VALUES (1, 30000, 90000);
      COMMIT;`);
    db.close();
    return file;
  }

  async function remoteCounts() {
    const [r] = await pg.query<{ p: string; c: string; tp: string; tc: string; orphans: string }>(`
      SELECT (SELECT count(*) FROM parents)::text AS p, (SELECT count(*) FROM children)::text AS c,
             (SELECT parents FROM totals)::text AS tp, (SELECT children FROM totals)::text AS tc,
             (SELECT count(*) FROM children ch WHERE NOT EXISTS (SELECT 1 FROM parents p WHERE p.id = ch.parent_id))::text AS orphans`);
    return { parents: Number(r!.p), children: Number(r!.c), totals: { parents: Number(r!.tp), children: Number(r!.tc) }, orphans: Number(r!.orphans) };
  }

  it.each([
    ['WAL', 'wal' as const],
    ['rollback journal', 'delete' as const],
  ])('push while an app writes to the SQLite file (%s): one consistent snapshot, no SQLITE_BUSY', async (_mode, journal) => {
    const file = appDatabase(`app-${journal}.db`, journal);
    const writer = await startSqliteWriter(file);
    const atStart = writer.committed();
    const pushing = push({ local: file, remote: pg.url, mode: 'replace' });
    // The writer stops whatever the push does; a push failure is reported after that.
    const settled = await pushing.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    const written = await writer.stop();
    if ('error' in settled) throw settled.error;
    const result = settled.value;
    const atEnd = written.committed;
    const remote = await remoteCounts();
    // The snapshot agrees with itself: totals equal the rows, three children per parent.
    expect(remote.totals).toEqual({ parents: remote.parents, children: remote.children });
    expect(remote.children).toBe(remote.parents * 3);
    expect(remote.orphans).toBe(0);
    // The push reports what the snapshot held.
    expect(result.tables.map((t) => [t.table, t.received]).sort()).toEqual(
      [
        ['children', remote.children],
        ['parents', remote.parents],
        ['totals', 1],
      ].sort(),
    );
    expect(written.errors).toEqual([]);
    expect(result.retries).toEqual([]);
    // The writer really ran: before the push, and (in WAL mode, where writers never wait for readers) during it.
    expect(atStart).toBeGreaterThan(0);
    expect(remote.parents).toBeGreaterThanOrEqual(30000 + atStart);
    const local = openSqlite(file);
    const localParents = local.prepare('SELECT count(*) FROM parents').pluck().get() as number;
    local.close();
    expect(localParents).toBe(30000 + atEnd);
    if (journal === 'wal') expect(localParents).toBeGreaterThan(remote.parents);
  });

  it('a writer that holds the file locked (rollback journal) for a moment: the push waits for it', async () => {
    const file = appDatabase('locked-short.db', 'delete');
    const lock = await holdSqliteLock(file, 2000);
    const result = await push({ local: file, remote: pg.url });
    await lock.released;
    expect(result.tables.find((t) => t.table === 'parents')!.inserted).toBe(30000);
  });

  // It once failed with CONFIG_INVALID 'cannot be opened as a SQLite database: database is
  // locked' and the hint to check --local (the CLI exited 2): the file is fine, only busy.
  it('a writer that holds the file locked longer than the busy timeout: LOCK_TIMEOUT saying the file is busy, nothing written', async () => {
    const file = appDatabase('locked-long.db', 'delete');
    const lock = await holdSqliteLock(file, 8000);
    const error = await rejectionOf<HesapError>(push({ local: file, remote: pg.url, attempts: 1, lockTimeoutSeconds: 5 }));
    await lock.released;
    expect(await pgFingerprint(pg)).toEqual({});
    expect(error).toMatchObject({ code: 'LOCK_TIMEOUT' });
    expect(error.message).toMatch(/locked|busy/);
  });

  it('pull while a client inserts parents and children into PostgreSQL: every foreign key in the pulled file resolves', async () => {
    await pg.query(`
      CREATE TABLE parents (id bigserial PRIMARY KEY, name text NOT NULL);
      CREATE TABLE children (id bigserial PRIMARY KEY, parent_id bigint NOT NULL REFERENCES parents (id), note text);
      CREATE TABLE totals (id int PRIMARY KEY, parents bigint NOT NULL, children bigint NOT NULL);
      INSERT INTO parents (name) SELECT 'parent ' || i || repeat('p', 40) FROM generate_series(1, 40000) i;
      INSERT INTO children (parent_id, note) SELECT (i - 1) / 3 + 1, 'child ' || i || repeat('c', 40) FROM generate_series(1, 120000) i;
      INSERT INTO totals VALUES (1, 40000, 120000);`);
    const client = new Client({ connectionString: pg.url });
    await client.connect();
    let stop = false;
    let committed = 0;
    const writing = (async () => {
      while (!stop) {
        await client.query('BEGIN');
        const { rows } = await client.query<{ id: string }>(`INSERT INTO parents (name) VALUES ('during the pull') RETURNING id::text`);
        await client.query(`INSERT INTO children (parent_id, note) SELECT $1, 'new child' FROM generate_series(1, 3)`, [rows[0]!.id]);
        await client.query('UPDATE totals SET parents = parents + 1, children = children + 3');
        await client.query('COMMIT');
        committed++;
      }
    })();
    const file = path.join(tmp.dir, 'pulled.db');
    let during = 0;
    try {
      while (committed < 5) await new Promise((r) => setTimeout(r, 10));
      const before = committed;
      await pull({ local: file, remote: pg.url });
      during = committed - before;
    } finally {
      stop = true;
      await writing;
      await client.end();
    }
    expect(during).toBeGreaterThan(0);
    const db = openSqlite(file);
    try {
      expect(db.prepare('PRAGMA foreign_key_check').all()).toEqual([]);
      const parents = db.prepare('SELECT count(*) FROM parents').pluck().get() as number;
      const children = db.prepare('SELECT count(*) FROM children').pluck().get() as number;
      expect(db.prepare('SELECT parents, children FROM totals').get()).toEqual({ parents, children });
      expect(children).toBe(parents * 3);
      // Not everything the writer committed is in the file: it read one snapshot, taken at the start.
      const [remote] = await pg.query<{ n: string }>('SELECT count(*)::text AS n FROM parents');
      expect(Number(remote!.n)).toBeGreaterThan(parents);
    } finally {
      db.close();
    }
  });

  // Found by CI: two first pushes into one database both got past CREATE SCHEMA IF NOT EXISTS
  // _hesap, and the second failed on the catalog's unique index when the first committed.
  it('two first pushes at the same moment into a fresh database both succeed', async () => {
    const fresh = await createTestDatabase('writers_fresh');
    try {
      const files = [1, 2, 3].map((i) => {
        const file = path.join(tmp.dir, `first${i}.db`);
        fs.rmSync(file, { force: true });
        const db = openSqlite(file);
        db.exec(`CREATE TABLE t${i} (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t${i} VALUES (1, 'a'), (2, 'b');`);
        db.close();
        return file;
      });
      const results = await Promise.all(files.map((file) => push({ local: file, remote: fresh.url, attempts: 1 })));
      expect(results.map((r) => r.tables.map((t) => [t.table, t.inserted]))).toEqual([[['t1', 2]], [['t2', 2]], [['t3', 2]]]);
    } finally {
      await fresh.drop();
    }
  });
});
