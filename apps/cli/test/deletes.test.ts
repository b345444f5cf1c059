import * as path from 'node:path';
import { createTestDatabase, execSqlite, jsonOf, runHesap, tempDir, type TestDatabase } from '@hesap/test-support';

/**
 * `hesap db push --deletes`, as users meet it: the built CLI against real PostgreSQL. Without
 * the flag rows deleted here stay there and the output says how to delete them; with it the
 * rows this file pushed go, a row production changed since stays and is listed (exit 4), and
 * a row production held before this file pushed it is never deleted, and the output says so.
 */

describe('hesap db push --deletes', () => {
  const tmp = tempDir('hesap-cli-deletes');
  const local = path.join(tmp.dir, 'app.db');
  let pg: TestDatabase;
  const push = (...flags: string[]) => runHesap(['db', 'push', '--local', local, '--remote', pg.url, ...flags], { env: { NO_COLOR: '1' } });

  beforeAll(async () => {
    pg = await createTestDatabase('cli_deletes');
    // Production already has Ayşe (made by the app there): the file's Ayşe is matched to her.
    await pg.query(`CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL UNIQUE, name text); INSERT INTO users (email, name) VALUES ('ayse@example.com', 'Ayşe (prod)')`);
    execSqlite(
      local,
      `CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL UNIQUE, name TEXT);
       CREATE TABLE orders (id INTEGER PRIMARY KEY AUTOINCREMENT, user_id INTEGER NOT NULL REFERENCES users (id), total NUMERIC(10,2));
       INSERT INTO users (email, name) VALUES ('ali@example.com', 'Ali'), ('ayse@example.com', 'Ayşe'), ('can@example.com', 'Can');
       INSERT INTO orders (user_id, total) VALUES (1, 10.5), (1, 7), (3, 3);`,
    );
    expect((await push()).code).toBe(0);
  });
  afterAll(async () => {
    await pg.drop();
    tmp.cleanup();
  });

  it('without --deletes: a dry run says the rows deleted here stay there, and how to delete them', async () => {
    execSqlite(local, `DELETE FROM orders WHERE id IN (1, 3); DELETE FROM users WHERE email IN ('ayse@example.com', 'can@example.com')`);
    const run = await push('--dry-run');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('orders: 2 row(s) deleted locally since the last push stay in the target (--deletes deletes those it inserted for this file).');
  });

  it('--deletes: a row changed there since stays, listed (exit 4); the others this file pushed are deleted; production\'s Ayşe stays, said so', async () => {
    await pg.query(`UPDATE orders SET total = 99 WHERE total = 10.5`);
    const run = await push('--deletes');
    expect(run.code).toBe(4);
    expect(run.stdout).toContain('orders: 1 row(s) deleted locally since the last push were deleted in the target.');
    expect(run.stdout).toContain('users: 1 row(s) deleted locally since the last push were deleted in the target.');
    expect(run.stdout).toContain('users: 1 row(s) deleted locally stay in the target: it held them before this file pushed them.');
    expect(run.stdout).toMatch(/orders id=1 \(kept remote\): deleted here, changed in the target since the last push; stays there/);
    expect(await pg.query(`SELECT email FROM users ORDER BY email`)).toEqual([{ email: 'ali@example.com' }, { email: 'ayse@example.com' }]);
    expect(await pg.query(`SELECT total::text AS total FROM orders ORDER BY total`)).toEqual([{ total: '7.00' }, { total: '99.00' }]);
  });

  it('--json lists the conflict with local null; --on-conflict keep-local deletes it (exit 0) and the next push has nothing to do', async () => {
    const doc = jsonOf(await push('--deletes', '--json'));
    expect(doc.conflicts).toEqual([{ table: 'orders', sourceKey: 'id=1', sourceKeyValues: ['1'], local: null, remote: expect.objectContaining({ total: 99 }), kept: 'remote' }]);
    const run = await push('--deletes', '--on-conflict', 'keep-local');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/orders id=1 \(kept local\): deleted here, changed in the target since the last push; deleted there/);
    expect(await pg.query(`SELECT total::text AS total FROM orders`)).toEqual([{ total: '7.00' }]);
    const quiet = await push('--deletes', '--json');
    expect(quiet.code).toBe(0);
    expect(jsonOf(quiet).conflicts).toEqual([]);
  });
});
