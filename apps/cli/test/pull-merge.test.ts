import * as path from 'node:path';
import { createTestDatabase, execSqlite, jsonOf, openSqlite, runHesap, tempDir, type TestDatabase } from '@hesap/test-support';

/**
 * `hesap db pull --mode merge`, as users meet it: the built CLI against real PostgreSQL.
 * Production's new and changed rows come down, the file's own work stays, a row changed on
 * both sides is listed with both values (exit 4) and kept as the file has it unless told,
 * and the next push sends nothing back.
 */

describe('hesap db pull --mode merge', () => {
  const tmp = tempDir('hesap-cli-pull-merge');
  const local = path.join(tmp.dir, 'app.db');
  let pg: TestDatabase;
  const hesap = (verb: 'push' | 'pull', ...flags: string[]) => runHesap(['db', verb, '--local', local, '--remote', pg.url, ...flags], { env: { NO_COLOR: '1' } });
  const rows = (sql: string) => {
    const db = openSqlite(local);
    try {
      return db.prepare(sql).all();
    } finally {
      db.close();
    }
  };

  beforeAll(async () => {
    pg = await createTestDatabase('cli_pull_merge');
    execSqlite(
      local,
      `CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL UNIQUE, name TEXT);
       CREATE TABLE orders (id INTEGER PRIMARY KEY AUTOINCREMENT, user_id INTEGER NOT NULL REFERENCES users (id), total NUMERIC(10,2));
       INSERT INTO users (email, name) VALUES ('ali@example.com', 'Ali'), ('ayse@example.com', 'Ayşe');
       INSERT INTO orders (user_id, total) VALUES (1, 10.5), (2, 7);`,
    );
    expect((await hesap('push')).code).toBe(0);
  });
  afterAll(async () => {
    await pg.drop();
    tmp.cleanup();
  });

  it('brings production\'s new and changed rows; a row changed on both sides is listed with both values, the file keeps its own (exit 4); nothing is asked', async () => {
    await pg.query(`INSERT INTO users (email, name) VALUES ('can@example.com', 'Can'); INSERT INTO orders (user_id, total) SELECT id, 3 FROM users WHERE email = 'can@example.com';
                    UPDATE users SET name = 'Ali (prod)' WHERE email = 'ali@example.com'; UPDATE orders SET total = 8 WHERE id = 2`);
    execSqlite(local, `INSERT INTO users (email, name) VALUES ('deniz@example.com', 'Deniz'); UPDATE users SET name = 'Ali (here)' WHERE id = 1`);
    const run = await hesap('pull', '--mode', 'merge');
    expect(run.code).toBe(4);
    expect(run.stdout).toMatch(/users id=1 \(kept this file's\): name: here "Ali \(here\)", remote "Ali \(prod\)"/);
    expect(run.stdout).toContain("This file kept its values; pull with --on-conflict keep-remote to take the remote's.");
    expect(run.stdout).toMatch(/Pulled 3 rows \(2 inserted, 1 updated;/);
    // Can came in under a new id (3 is Deniz's here), his order following him.
    expect(rows(`SELECT u.id, u.email, u.name, o.total FROM users u LEFT JOIN orders o ON o.user_id = u.id ORDER BY u.id, o.id`)).toEqual([
      { id: 1, email: 'ali@example.com', name: 'Ali (here)', total: 10.5 },
      { id: 2, email: 'ayse@example.com', name: 'Ayşe', total: 8 },
      { id: 3, email: 'deniz@example.com', name: 'Deniz', total: null },
      { id: 4, email: 'can@example.com', name: 'Can', total: 3 },
    ]);
  });

  it('--json lists the conflict; --on-conflict keep-remote takes production\'s value (exit 0); the next push sends Deniz alone', async () => {
    const doc = jsonOf(await hesap('pull', '--mode', 'merge', '--json'));
    expect(doc.conflicts).toEqual([
      { table: 'users', sourceKey: 'id=1', sourceKeyValues: ['1'], local: expect.objectContaining({ name: 'Ali (here)' }), remote: expect.objectContaining({ name: 'Ali (prod)' }), kept: 'local' },
    ]);
    const run = await hesap('pull', '--mode', 'merge', '--on-conflict', 'keep-remote');
    expect(run.code).toBe(0);
    expect(rows(`SELECT name FROM users WHERE id = 1`)).toEqual([{ name: 'Ali (prod)' }]);
    const up = jsonOf(await hesap('push', '--json'));
    expect(up.incremental).toMatchObject({ used: true, unchanged: ['orders'] });
    expect(up.tables).toEqual([expect.objectContaining({ table: 'users', received: 1, inserted: 1 }), expect.objectContaining({ table: 'orders', action: 'unchanged', received: 0 })]);
    expect(await pg.query(`SELECT email FROM users ORDER BY id`)).toEqual([
      { email: 'ali@example.com' },
      { email: 'ayse@example.com' },
      { email: 'can@example.com' },
      { email: 'deniz@example.com' },
    ]);
  });

  it('--on-conflict fail refuses the pull and changes nothing', async () => {
    await pg.query(`UPDATE users SET name = 'Ayşe (prod)' WHERE email = 'ayse@example.com'`);
    execSqlite(local, `UPDATE users SET name = 'Ayşe (here)' WHERE id = 2`);
    const run = await hesap('pull', '--mode', 'merge', '--on-conflict', 'fail');
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('Table "users": 1 row(s) changed both here and in the remote since the last push; first: id=2. Nothing was changed here.');
    expect(rows(`SELECT name FROM users WHERE id = 2`)).toEqual([{ name: 'Ayşe (here)' }]);
  });

  it('--deletes deletes here what production deleted since (Can and his order, pulled earlier), and says so; without --mode merge it is refused before anything is asked', async () => {
    const refused = await hesap('pull', '--deletes');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('--deletes is for a merging pull (--mode merge)');
    expect(rows(`SELECT count(*) AS n FROM users`)).toEqual([{ n: 4 }]);

    await pg.query(`DELETE FROM orders WHERE user_id = (SELECT id FROM users WHERE email = 'can@example.com'); DELETE FROM users WHERE email = 'can@example.com'`);
    const counted = await hesap('pull', '--mode', 'merge');
    expect(counted.stdout).toContain('users: 1 row(s) both sides held at the last push or pull were deleted in the remote since; they stay here (--deletes deletes those unchanged here).');
    const run = await hesap('pull', '--mode', 'merge', '--deletes');
    // Ayşe's conflict is still there: exit 4.
    expect(run.code).toBe(4);
    expect(run.stdout).toContain('users: 1 row(s) deleted in the remote since the last push or pull were deleted here.');
    expect(run.stdout).toContain('orders: 1 row(s) deleted in the remote since the last push or pull were deleted here.');
    expect(run.stdout).toMatch(/Pulled 2 rows \(0 inserted, 2 deleted;/);
    expect(rows(`SELECT email FROM users ORDER BY id`)).toEqual([{ email: 'ali@example.com' }, { email: 'ayse@example.com' }, { email: 'deniz@example.com' }]);
    expect(rows(`SELECT count(*) AS n FROM orders WHERE user_id = 4`)).toEqual([{ n: 0 }]);
  });
});
