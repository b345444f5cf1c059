import * as path from 'node:path';
import { createTestDatabase, execSqlite, jsonOf, runHesap, tempDir, type TestDatabase } from '@hesap/test-support';

/**
 * Rows changed on both sides since the last push, as users meet them: the built CLI against
 * real PostgreSQL. A row edited in both places and a row edited here but deleted there are
 * listed with both values, the exit code says the target kept its own (4), `--on-conflict
 * fail` refuses with exit 1 and `keep-local` writes the file's values (exit 0).
 */


describe('hesap db push: conflicts', () => {
  const tmp = tempDir('hesap-cli-conflicts');
  const local = path.join(tmp.dir, 'app.db');
  let pg: TestDatabase;
  const push = (...flags: string[]) => runHesap(['db', 'push', '--local', local, '--remote', pg.url, ...flags], { env: { NO_COLOR: '1' } });

  beforeAll(async () => {
    pg = await createTestDatabase('cli_conflicts');
    execSqlite(
      local,
      `CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL UNIQUE, name TEXT);
       CREATE TABLE orders (id INTEGER PRIMARY KEY AUTOINCREMENT, user_id INTEGER NOT NULL REFERENCES users (id), total NUMERIC(10,2));
       INSERT INTO users (email, name) VALUES ('ali@example.com', 'Ali'), ('ayse@example.com', 'Ayşe');
       INSERT INTO orders (user_id, total) VALUES (1, 10.5), (2, 7);`,
    );
    expect((await push()).code).toBe(0);
    // Ali renamed on both sides; order 2 edited here and deleted there.
    execSqlite(local, `UPDATE users SET name = 'Ali (here)' WHERE id = 1; UPDATE orders SET total = 8 WHERE id = 2;`);
    await pg.query(`UPDATE users SET name = 'Ali (there)' WHERE id = 1; DELETE FROM orders WHERE id = 2`);
  });
  afterAll(async () => {
    await pg.drop();
    tmp.cleanup();
  });

  it('--on-conflict fail: exit 1 naming the table and row, nothing written', async () => {
    const run = await push('--on-conflict', 'fail');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/Table "users": 1 row\(s\) changed both here and in the target since the last push; first: id=1\. Nothing was committed\./);
    expect(await pg.query(`SELECT id, name FROM users ORDER BY id`)).toEqual([
      { id: 1, name: 'Ali (there)' },
      { id: 2, name: 'Ayşe' },
    ]);
  });

  it('--no-update (a dry run): the edits are counted as differing, no conflict, exit 0; the row deleted there would go in again as new', async () => {
    const run = await push('--no-update', '--dry-run', '--json');
    expect(run.code).toBe(0);
    const doc = jsonOf(run);
    expect(doc.conflicts).toEqual([]);
    expect(doc.tables.find((t: { table: string }) => t.table === 'users')).toMatchObject({ updated: 0, differing: 1 });
    expect(doc.tables.find((t: { table: string }) => t.table === 'orders')).toMatchObject({ inserted: 1, updated: 0 });
  });

  it('keep-remote (default): both rows listed, the target keeps its values, exit 4; --json lists them with remote null for the deleted one', async () => {
    const run = await push();
    expect(run.code).toBe(4);
    expect(run.stdout).toContain('Conflicts: 2 row(s) changed here and in the target since the last push');
    expect(run.stdout).toContain('users id=1 (kept remote): name: local "Ali (here)", remote "Ali (there)"');
    expect(run.stdout).toContain('orders id=2 (kept remote): deleted in the target since the last push, changed or needed here; stays deleted there');
    expect(run.stdout).toContain('push with --on-conflict keep-local to write yours over them');

    const doc = jsonOf(await push('--json'));
    expect(doc.conflicts).toEqual([
      { table: 'users', sourceKey: 'id=1', sourceKeyValues: ['1'], local: { id: 1, email: 'ali@example.com', name: 'Ali (here)' }, remote: { id: 1, email: 'ali@example.com', name: 'Ali (there)' }, kept: 'remote' },
      { table: 'orders', sourceKey: 'id=2', sourceKeyValues: ['2'], local: { id: 2, user_id: 2, total: 8 }, remote: null, kept: 'remote' },
    ]);
    expect(await pg.query(`SELECT id FROM orders ORDER BY id`)).toEqual([{ id: 1 }]);
  });

  it('keep-local: the file\'s values are written, the deleted row comes back, exit 0; the next push has nothing to settle', async () => {
    const run = await push('--on-conflict', 'keep-local');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('users id=1 (kept local): name: local "Ali (here)", remote "Ali (there)"');
    expect(run.stdout).toContain('orders id=2 (kept local): deleted in the target since the last push, changed or needed here; inserted again');
    expect(await pg.query(`SELECT u.name, o.total::text FROM orders o JOIN users u ON u.id = o.user_id ORDER BY o.id`)).toEqual([
      { name: 'Ali (here)', total: '10.50' },
      { name: 'Ayşe', total: '8.00' },
    ]);
    const again = await push('--json');
    expect(again.code).toBe(0);
    expect(jsonOf(again).conflicts).toEqual([]);
  });
});
