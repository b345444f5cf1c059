import * as fc from 'fast-check';
import { HesapError } from '@hesap/core';
import { adminQuery, execSqlite, openSqlite, testServerUrl, type TestDatabase } from '@hesap/test-support';
import { pull, push, type PullResult } from '@hesap/api';
import * as fs from 'node:fs';
import { MODEL_SCHEMA, MODEL_SEED, filePerTest, shadowFolder } from './support/shadow-files';

/**
 * `pull --mode merge` (issue 23): production's rows come down into the file without wiping
 * work here. Real PostgreSQL, real SQLite files; production's writes are made with SQL on its
 * own connection, as the app's would be, and the file's with SQL on the file.
 */

const SCHEMA = MODEL_SCHEMA;
const SEED = MODEL_SEED;

type Row = Record<string, unknown>;

/** Each side's rows by meaning: users by email, groups by code, orders by their user's email and total, items by their order's. */
const MEANING = {
  users: `SELECT u.email, u.name, i.email AS invited_by FROM users u LEFT JOIN users i ON i.id = u.invited_by ORDER BY u.email`,
  groups: `SELECT g.code, u.email AS created_by FROM groups g JOIN users u ON u.id = g.created_by ORDER BY g.code`,
  group_members: `SELECT g.code, u.email FROM group_members m JOIN groups g ON g.id = m.group_id JOIN users u ON u.id = m.user_id ORDER BY g.code, u.email`,
  orders: `SELECT u.email, CAST(o.total AS REAL) AS total FROM orders o JOIN users u ON u.id = o.user_id ORDER BY u.email, total`,
  order_items: `SELECT u.email, CAST(o.total AS REAL) AS total, i.name FROM order_items i JOIN orders o ON o.id = i.order_id JOIN users u ON u.id = o.user_id ORDER BY u.email, total, i.name`,
} as const;

/** Rows in one order whatever the collation (each side sorts its text its own way). */
const sorted = (rows: Row[]): Row[] => rows.map((r) => [JSON.stringify(r), r] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r);

function localMeaning(file: string): Record<string, Row[]> {
  const db = openSqlite(file);
  try {
    return Object.fromEntries(Object.entries(MEANING).map(([t, sql]) => [t, sorted(db.prepare(sql).all() as Row[])]));
  } finally {
    db.close();
  }
}

async function remoteMeaning(pg: TestDatabase): Promise<Record<string, Row[]>> {
  const out: Record<string, Row[]> = {};
  for (const [t, sql] of Object.entries(MEANING)) out[t] = sorted(await pg.query<Row>(sql.replace(/AS REAL/g, 'AS double precision')));
  return out;
}

const local = (file: string, sql: string): Row[] => {
  const db = openSqlite(file);
  try {
    return db.prepare(sql).all() as Row[];
  } finally {
    db.close();
  }
};
const tableOf = (r: PullResult, name: string) => r.tables.find((t) => t.table === name)!;

describe('pull --mode merge', () => {
  const { pg, make } = filePerTest('pull-merge');

  it("production's new rows come down under free ids or new ones, children following; rows only here stay; the next push sends nothing back and finds them", async () => {
    const file = make(SCHEMA + SEED);
    await push({ local: file, remote: pg.url });
    // Here: Deniz (id 4). There: Ece (id 4 there, taken here), her order (id 4, free here) and its item.
    execSqlite(file, `INSERT INTO users (name, email) VALUES ('Deniz', 'deniz@example.com')`);
    await pg.query(`INSERT INTO users (name, email, invited_by) VALUES ('Ece', 'ece@example.com', 2);
                    INSERT INTO orders (user_id, total) SELECT id, 55.5 FROM users WHERE email = 'ece@example.com';
                    INSERT INTO order_items (order_id, name) SELECT max(id), 'Lahmacun' FROM orders;
                    INSERT INTO group_members SELECT 1, id FROM users WHERE email = 'ece@example.com'`);
    const r = await pull({ local: file, remote: pg.url, mode: 'merge' });
    expect(r.complete).toBe(true);
    expect(r.conflicts).toEqual([]);
    expect(tableOf(r, 'users')).toMatchObject({ inserted: 1, updated: 0, remapped: 1 });
    expect(tableOf(r, 'orders')).toMatchObject({ inserted: 1, remapped: 0 });
    expect(tableOf(r, 'group_members')).toMatchObject({ inserted: 1 });
    expect(local(file, `SELECT id, name, invited_by FROM users ORDER BY id`)).toEqual([
      { id: 1, name: 'Ali', invited_by: null },
      { id: 2, name: 'Ayşe', invited_by: 1 },
      { id: 3, name: 'Can', invited_by: 2 },
      { id: 4, name: 'Deniz', invited_by: null },
      { id: 5, name: 'Ece', invited_by: 2 },
    ]);
    expect(local(file, `SELECT id, user_id FROM orders WHERE id = 4`)).toEqual([{ id: 4, user_id: 5 }]);

    // The next push: Deniz goes up; nothing that came down goes back.
    const up = await push({ local: file, remote: pg.url });
    expect(up.incremental).toMatchObject({ used: true });
    expect(up.tables.find((t) => t.table === 'users')).toMatchObject({ inserted: 1, received: 1 });
    expect([...up.incremental!.unchanged].sort()).toEqual(['group_members', 'groups', 'order_items', 'orders']);
    expect(await remoteMeaning(pg)).toEqual(localMeaning(file));

    // Ece edited here: the push finds her row there through the identity the pull found (5 here is 4 there).
    execSqlite(file, `UPDATE users SET name = 'Ece K.' WHERE id = 5; INSERT INTO orders (user_id, total) VALUES (5, 7)`);
    const edit = await push({ local: file, remote: pg.url });
    expect(edit.conflicts).toEqual([]);
    expect(edit.tables.find((t) => t.table === 'users')).toMatchObject({ updated: 1, localEdits: 1, inserted: 0 });
    expect(await pg.query(`SELECT id, name FROM users WHERE email = 'ece@example.com'`)).toEqual([{ id: 4, name: 'Ece K.' }]);
    expect(await remoteMeaning(pg)).toEqual(localMeaning(file));
  });

  it('a pulled row without a natural key, under a new id here, edited and given a child before any push: both find production\'s row through the identity the pull found (no double)', async () => {
    const file = make(SCHEMA + SEED);
    await push({ local: file, remote: pg.url });
    // Here an order takes id 4 (never pushed); there production's order did.
    execSqlite(file, `INSERT INTO orders (user_id, total) VALUES (1, 1)`);
    await pg.query(`INSERT INTO orders (user_id, total) VALUES (2, 31)`);
    const pulled = await pull({ local: file, remote: pg.url, mode: 'merge' });
    expect(tableOf(pulled, 'orders')).toMatchObject({ inserted: 1, remapped: 1 });
    expect(local(file, `SELECT id FROM orders WHERE total = 31`)).toEqual([{ id: 5 }]);
    // The order made here goes again. Production's order (5 here, 4 there) is edited here, so no content pairs it; an item goes under it.
    execSqlite(file, `DELETE FROM orders WHERE id = 4; UPDATE orders SET total = 32 WHERE id = 5; INSERT INTO order_items (order_id, name) VALUES (5, 'Künefe')`);
    const r = await push({ local: file, remote: pg.url });
    expect(r.complete).toBe(true);
    expect(r.conflicts).toEqual([]);
    expect(r.tables.find((t) => t.table === 'orders')).toMatchObject({ inserted: 0, updated: 1, localEdits: 1 });
    expect(await pg.query(`SELECT o.id, o.total::float8 AS total FROM order_items i JOIN orders o ON o.id = i.order_id WHERE i.name = 'Künefe'`)).toEqual([{ id: 4, total: 32 }]);
    expect(await pg.query(`SELECT count(*)::int AS n FROM orders`)).toEqual([{ n: 4 }]);
    expect(await remoteMeaning(pg)).toEqual(localMeaning(file));
  });

  it('changed there only comes down; changed here only stays (and goes up next); changed on both sides is a conflict, the file keeps its value unless told', async () => {
    const file = make(SCHEMA + SEED);
    await push({ local: file, remote: pg.url });
    await pg.query(`UPDATE users SET name = 'Ali (prod)' WHERE id = 1; UPDATE users SET name = 'Can (prod)' WHERE id = 3; UPDATE orders SET total = 100 WHERE id = 2`);
    execSqlite(file, `UPDATE users SET name = 'Ayşe (here)' WHERE id = 2; UPDATE users SET name = 'Can (here)' WHERE id = 3`);
    const r = await pull({ local: file, remote: pg.url, mode: 'merge' });
    expect(tableOf(r, 'users')).toMatchObject({ updated: 1, inserted: 0 });
    expect(tableOf(r, 'orders')).toMatchObject({ updated: 1 });
    expect(r.conflicts).toEqual([
      expect.objectContaining({ table: 'users', sourceKey: 'id=3', kept: 'local', local: expect.objectContaining({ name: 'Can (here)' }), remote: expect.objectContaining({ name: 'Can (prod)' }) }),
    ]);
    expect(local(file, `SELECT name FROM users ORDER BY id`)).toEqual([{ name: 'Ali (prod)' }, { name: 'Ayşe (here)' }, { name: 'Can (here)' }]);
    expect(local(file, `SELECT total FROM orders WHERE id = 2`)).toEqual([{ total: 100 }]);

    // Pulled again, the conflict is still one; keep-remote takes production's value.
    const again = await pull({ local: file, remote: pg.url, mode: 'merge', onConflict: 'keep-remote' });
    expect(again.conflicts).toHaveLength(1);
    expect(again.conflicts[0]!.kept).toBe('remote');
    expect(local(file, `SELECT name FROM users ORDER BY id`)).toEqual([{ name: 'Ali (prod)' }, { name: 'Ayşe (here)' }, { name: 'Can (prod)' }]);

    // The push sends Ayşe's edit (with Ali, her inviter, as its parent), and nothing the pulls brought.
    const up = await push({ local: file, remote: pg.url });
    expect(up.conflicts).toEqual([]);
    expect(up.incremental!.tables.find((t) => t.table === 'users')).toMatchObject({ inserted: 0, updated: 1, parents: 1 });
    expect(up.tables.find((t) => t.table === 'users')).toMatchObject({ localEdits: 1, updated: 1 });
    expect(up.incremental!.unchanged).toContain('orders');
    expect(await remoteMeaning(pg)).toEqual(localMeaning(file));
  });

  it('`fail` refuses the pull on a conflict and changes nothing; a row deleted there is counted and stays here; one changed there and deleted here is a conflict', async () => {
    const file = make(SCHEMA + SEED);
    await push({ local: file, remote: pg.url });
    await pg.query(`UPDATE users SET name = 'Can (prod)' WHERE id = 3; DELETE FROM order_items WHERE id = 4; UPDATE order_items SET name = 'Ayran (prod)' WHERE id = 2`);
    execSqlite(file, `UPDATE users SET name = 'Can (here)' WHERE id = 3; DELETE FROM order_items WHERE id = 2`);
    const before = local(file, `SELECT * FROM users ORDER BY id`);
    const refused = await pull({ local: file, remote: pg.url, mode: 'merge', onConflict: 'fail' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(HesapError);
    expect((refused as HesapError).code).toBe('CONFLICT');
    expect(local(file, `SELECT * FROM users ORDER BY id`)).toEqual(before);

    const r = await pull({ local: file, remote: pg.url, mode: 'merge' });
    expect(tableOf(r, 'order_items')).toMatchObject({ deletedThere: 1 });
    expect(r.conflicts.map((c) => [c.table, c.sourceKey, c.local === null])).toEqual([
      ['users', 'id=3', false],
      ['order_items', 'id=2', true],
    ]);
    expect(local(file, `SELECT id FROM order_items ORDER BY id`)).toEqual([{ id: 1 }, { id: 3 }, { id: 4 }]);
  });

  it('`deletes`: rows production deleted go here too, children first, those a pull without it only counted included; a row changed here, or pointed at by a row made here, stays as a conflict; nothing deleted comes back at the next push', async () => {
    const file = make(SCHEMA + SEED);
    await push({ local: file, remote: pg.url });
    // There: Can goes with his order, its item and his membership; Ayşe's order and its item go; the item Ayran goes.
    await pg.query(`DELETE FROM order_items WHERE order_id IN (2, 3) OR id = 2; DELETE FROM orders WHERE id IN (2, 3);
                    DELETE FROM group_members WHERE user_id = 3; DELETE FROM users WHERE id = 3`);
    // Here: Ayran renamed; a new item on Ayşe's order.
    execSqlite(file, `UPDATE order_items SET name = 'Ayran (here)' WHERE id = 2; INSERT INTO order_items (order_id, name) VALUES (2, 'Su')`);

    // Without `deletes` they are counted, and stay.
    const counted = await pull({ local: file, remote: pg.url, mode: 'merge' });
    expect(counted.conflicts).toEqual([]);
    expect(counted.tables.map((t) => [t.table, t.deletedThere ?? 0, t.deleted ?? 0])).toEqual([
      ['users', 1, 0],
      ['groups', 0, 0],
      ['group_members', 1, 0],
      ['orders', 2, 0],
      ['order_items', 3, 0],
    ]);
    expect(local(file, `SELECT count(*) AS n FROM users`)).toEqual([{ n: 3 }]);

    const r = await pull({ local: file, remote: pg.url, mode: 'merge', deletes: true });
    expect(r.complete).toBe(true);
    expect(r.tables.map((t) => [t.table, t.deletedThere ?? 0, t.deleted ?? 0])).toEqual([
      ['users', 0, 1],
      ['groups', 0, 0],
      ['group_members', 0, 1],
      ['orders', 1, 1],
      ['order_items', 1, 2],
    ]);
    expect(r.conflicts.map((c) => ({ table: c.table, key: c.sourceKey, kept: c.kept, remote: c.remote, reason: c.reason, name: c.local?.name }))).toEqual([
      { table: 'orders', key: 'id=2', kept: 'local', remote: null, reason: 'rows here point at it', name: undefined },
      { table: 'order_items', key: 'id=2', kept: 'local', remote: null, reason: undefined, name: 'Ayran (here)' },
    ]);
    expect(local(file, `SELECT id, name FROM users ORDER BY id`)).toEqual([
      { id: 1, name: 'Ali' },
      { id: 2, name: 'Ayşe' },
    ]);
    expect(local(file, `SELECT group_id, user_id FROM group_members ORDER BY 1, 2`)).toEqual([
      { group_id: 1, user_id: 1 },
      { group_id: 1, user_id: 2 },
      { group_id: 2, user_id: 2 },
    ]);
    expect(local(file, `SELECT id FROM orders ORDER BY id`)).toEqual([{ id: 1 }, { id: 2 }]);
    expect(local(file, `SELECT id, order_id, name FROM order_items ORDER BY id`)).toEqual([
      { id: 1, order_id: 1, name: 'Adana' },
      { id: 2, order_id: 1, name: 'Ayran (here)' },
      { id: 5, order_id: 2, name: 'Su' },
    ]);

    // Pulled again, what went is not counted again; what stayed is.
    const again = await pull({ local: file, remote: pg.url, mode: 'merge', deletes: true });
    expect(again.tables.map((t) => [t.table, t.deletedThere ?? 0, t.deleted ?? 0])).toEqual([
      ['users', 0, 0],
      ['groups', 0, 0],
      ['group_members', 0, 0],
      ['orders', 1, 0],
      ['order_items', 1, 0],
    ]);

    // The push brings none of the deleted rows back: Can, his order, item and membership stay gone there.
    await push({ local: file, remote: pg.url });
    expect(await pg.query(`SELECT id FROM users ORDER BY id`)).toEqual([{ id: 1 }, { id: 2 }]);
    expect(await pg.query(`SELECT count(*)::int AS n FROM group_members WHERE user_id = 3`)).toEqual([{ n: 0 }]);
    expect(await pg.query(`SELECT count(*)::int AS n FROM orders WHERE id = 3`)).toEqual([{ n: 0 }]);
  });

  it('`deletes` with keep-remote deletes a row changed here too; with fail, refuses and changes nothing; a pull that replaces refuses it', async () => {
    const file = make(SCHEMA + SEED);
    await push({ local: file, remote: pg.url });
    await pg.query(`DELETE FROM order_items WHERE id IN (2, 3)`);
    execSqlite(file, `UPDATE order_items SET name = 'Ayran (here)' WHERE id = 2`);
    const before = local(file, `SELECT * FROM order_items ORDER BY id`);
    const refused = await pull({ local: file, remote: pg.url, mode: 'merge', deletes: true, onConflict: 'fail' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(HesapError);
    expect((refused as HesapError).code).toBe('CONFLICT');
    expect((refused as HesapError).message).toContain('order_items');
    expect((refused as HesapError).message).toContain('id=2');
    expect(local(file, `SELECT * FROM order_items ORDER BY id`)).toEqual(before);

    const usage = await pull({ local: file, remote: pg.url, deletes: true }).catch((e: unknown) => e);
    expect((usage as HesapError).code).toBe('USAGE');
    expect(local(file, `SELECT * FROM order_items ORDER BY id`)).toEqual(before);

    const r = await pull({ local: file, remote: pg.url, mode: 'merge', deletes: true, onConflict: 'keep-remote' });
    expect(tableOf(r, 'order_items')).toMatchObject({ deleted: 2 });
    expect(tableOf(r, 'order_items').deletedThere).toBeUndefined();
    expect(r.conflicts).toEqual([
      expect.objectContaining({ table: 'order_items', sourceKey: 'id=2', kept: 'remote', remote: null, local: expect.objectContaining({ name: 'Ayran (here)' }) }),
    ]);
    expect(local(file, `SELECT id FROM order_items ORDER BY id`)).toEqual([{ id: 1 }, { id: 4 }]);
  });

  it('a file that never pushed: rows matched by natural key, whatever their ids; the others come in; differing ones stay as here unless `update`', async () => {
    await pg.query(`CREATE TABLE users (id serial PRIMARY KEY, name text NOT NULL, email text NOT NULL UNIQUE, invited_by integer REFERENCES users (id));
                    INSERT INTO users (name, email) VALUES ('Can (prod)', 'can@example.com'), ('Zeynep', 'zeynep@example.com'), ('Ali', 'ali@example.com')`);
    const file = make(SCHEMA + SEED);
    const r = await pull({ local: file, remote: pg.url, mode: 'merge', tables: ['users'] });
    expect(tableOf(r, 'users')).toMatchObject({ received: 3, inserted: 1, unchanged: 1, differing: 1 });
    expect(local(file, `SELECT id, name, email FROM users ORDER BY id`)).toEqual([
      { id: 1, name: 'Ali', email: 'ali@example.com' },
      { id: 2, name: 'Ayşe', email: 'ayse@example.com' },
      { id: 3, name: 'Can', email: 'can@example.com' },
      { id: 4, name: 'Zeynep', email: 'zeynep@example.com' },
    ]);
    const updated = await pull({ local: file, remote: pg.url, mode: 'merge', tables: ['users'], update: true });
    expect(tableOf(updated, 'users')).toMatchObject({ inserted: 0, updated: 1 });
    expect(local(file, `SELECT name FROM users WHERE id = 3`)).toEqual([{ name: 'Can (prod)' }]);
  });

  it('a new group of production whose code a group here holds is the same group (its natural key): matched, not doubled', async () => {
    const file = make(SCHEMA + SEED);
    await push({ local: file, remote: pg.url });
    // Here a new group takes code G3; there another group took it, with a member.
    execSqlite(file, `INSERT INTO groups (code, created_by) VALUES ('G3', 1)`);
    await pg.query(`INSERT INTO groups (code, created_by) VALUES ('G3', 2); INSERT INTO group_members SELECT max(id), 1 FROM groups`);
    const r = await pull({ local: file, remote: pg.url, mode: 'merge' });
    expect(r.complete).toBe(true);
    expect(tableOf(r, 'groups')).toMatchObject({ inserted: 0, differing: 1 });
    expect(local(file, `SELECT count(*) AS n FROM group_members WHERE group_id = 3`)).toEqual([{ n: 1 }]);
  });

  it('--tables without the parents: a row pointing at a parent the identity map knows follows it; one pointing at a parent it does not is left out, never linked to another row here', async () => {
    const file = make(SCHEMA + SEED);
    await push({ local: file, remote: pg.url });
    // Here Deniz took id 4; there Ece did, and ordered; Ayşe ordered there too.
    execSqlite(file, `INSERT INTO users (name, email) VALUES ('Deniz', 'deniz@example.com')`);
    await pg.query(`INSERT INTO users (name, email) VALUES ('Ece', 'ece@example.com');
                    INSERT INTO orders (user_id, total) SELECT id, 44 FROM users WHERE email = 'ece@example.com';
                    INSERT INTO orders (user_id, total) SELECT id, 22 FROM users WHERE email = 'ayse@example.com'`);
    const r = await pull({ local: file, remote: pg.url, mode: 'merge', tables: ['orders'] });
    expect(tableOf(r, 'orders')).toMatchObject({ inserted: 1 });
    expect(tableOf(r, 'orders').skipped).toEqual([expect.objectContaining({ reason: expect.stringContaining('its parent row in "users" (user_id = 4) is not known here: pull that table too') })]);
    expect(local(file, `SELECT o.total, u.email FROM orders o JOIN users u ON u.id = o.user_id WHERE o.id > 3 ORDER BY o.id`)).toEqual([{ total: 22, email: 'ayse@example.com' }]);
    // With the users, Ece comes in (under a new id) and her order follows her.
    const all = await pull({ local: file, remote: pg.url, mode: 'merge' });
    expect(all.complete).toBe(true);
    expect(local(file, `SELECT o.total, u.email FROM orders o JOIN users u ON u.id = o.user_id WHERE o.id > 3 ORDER BY o.total`)).toEqual([
      { total: 22, email: 'ayse@example.com' },
      { total: 44, email: 'ece@example.com' },
    ]);
  });

  it('a new row of production whose parent, in the same table or another, was deleted here is left out, named; never pointing at nothing', async () => {
    const file = make(SCHEMA + SEED);
    await push({ local: file, remote: pg.url });
    execSqlite(file, `DELETE FROM order_items WHERE order_id = 3; DELETE FROM orders WHERE user_id = 3; DELETE FROM group_members WHERE user_id = 3; DELETE FROM users WHERE id = 3`);
    await pg.query(`INSERT INTO users (name, email, invited_by) VALUES ('Deniz', 'deniz@example.com', 3); INSERT INTO orders (user_id, total) VALUES (3, 5)`);
    const r = await pull({ local: file, remote: pg.url, mode: 'merge' });
    expect(r.conflicts).toEqual([]);
    expect(tableOf(r, 'users').skipped).toEqual([expect.objectContaining({ sourceKey: 'id=4', reason: 'its parent row in "users" (invited_by = 3 here) is deleted here' })]);
    expect(tableOf(r, 'orders').skipped).toEqual([expect.objectContaining({ reason: expect.stringContaining('its parent row in "users" (user_id = 3) is not here') })]);
    expect(local(file, `SELECT count(*) AS n FROM users WHERE id = 3 OR email = 'deniz@example.com'`)).toEqual([{ n: 0 }]);
  });

  it('a row the file refuses (a unique value a row here holds, under another natural key) is left out with the reason, and its children with it; the rest comes in', async () => {
    const file = make(`${SCHEMA} CREATE UNIQUE INDEX users_name ON users (name); ${SEED}`);
    await push({ local: file, remote: pg.url });
    execSqlite(file, `INSERT INTO users (name, email) VALUES ('Deniz', 'deniz@here.example')`);
    await pg.query(`INSERT INTO users (name, email) VALUES ('Deniz', 'deniz@prod.example'), ('Ece', 'ece@example.com');
                    INSERT INTO orders (user_id, total) SELECT id, 20 FROM users WHERE email IN ('deniz@prod.example', 'ece@example.com')`);
    const r = await pull({ local: file, remote: pg.url, mode: 'merge', keys: { users: ['email'] } });
    expect(r.complete).toBe(false);
    expect(r.rowsLeftOut).toBe(2);
    expect(tableOf(r, 'users').skipped).toEqual([expect.objectContaining({ sourceKey: 'id=4', reason: expect.stringContaining('UNIQUE constraint failed: users.name') })]);
    expect(tableOf(r, 'orders').skipped).toEqual([expect.objectContaining({ orphan: 'parent-left-out', reason: expect.stringContaining('its parent row in "users" (user_id = 4) is not here') })]);
    expect(local(file, `SELECT u.email, o.total FROM users u LEFT JOIN orders o ON o.user_id = u.id WHERE u.id > 3 ORDER BY u.id`)).toEqual([
      { email: 'deniz@here.example', total: null },
      { email: 'ece@example.com', total: 20 },
    ]);
    // Left out, so not recorded: pulled again once the name is free here, it comes in.
    execSqlite(file, `UPDATE users SET name = 'Deniz (here)' WHERE email = 'deniz@here.example'`);
    const again = await pull({ local: file, remote: pg.url, mode: 'merge', keys: { users: ['email'] } });
    expect(again.complete).toBe(true);
    expect(tableOf(again, 'users')).toMatchObject({ inserted: 1 });
    expect(tableOf(again, 'orders')).toMatchObject({ inserted: 1 });
  });
});

describe('pull --mode merge, other shapes', () => {
  const { pg, make } = filePerTest('pull-merge-shapes');

  it('a table without a key takes the remote rows no row here equals; a WITHOUT ROWID table merges by its key; a column only one side has refuses the pull, the file as it was', async () => {
    await pg.query(`CREATE TABLE tags (label text NOT NULL, color text);
                    INSERT INTO tags VALUES ('food', 'red'), ('drinks', 'blue'), ('travel', NULL);
                    CREATE TABLE settings (name text PRIMARY KEY, value text NOT NULL);
                    INSERT INTO settings VALUES ('currency', 'TRY'), ('theme', 'dark')`);
    const file = make(`CREATE TABLE tags (label TEXT NOT NULL, color TEXT); INSERT INTO tags VALUES ('food', 'red'), ('local', 'green');
                       CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID; INSERT INTO settings VALUES ('currency', 'EUR'), ('locale', 'tr')`);
    const r = await pull({ local: file, remote: pg.url, mode: 'merge' });
    expect(r.complete).toBe(true);
    expect(tableOf(r, 'tags')).toMatchObject({ received: 3, inserted: 2, unchanged: 1 });
    expect(tableOf(r, 'settings')).toMatchObject({ received: 2, inserted: 1, differing: 1 });
    expect(local(file, `SELECT label, color FROM tags ORDER BY label`)).toEqual([
      { label: 'drinks', color: 'blue' },
      { label: 'food', color: 'red' },
      { label: 'local', color: 'green' },
      { label: 'travel', color: null },
    ]);
    expect(local(file, `SELECT name, value FROM settings ORDER BY name`)).toEqual([
      { name: 'currency', value: 'EUR' },
      { name: 'locale', value: 'tr' },
      { name: 'theme', value: 'dark' },
    ]);
    // Pulled again: nothing new (the key-less table compares whole rows, NULLs alike).
    const again = await pull({ local: file, remote: pg.url, mode: 'merge' });
    expect(again.tables.map((t) => t.inserted)).toEqual([0, 0]);

    // Production ran a migration the file has not: refused before anything changes.
    await pg.query(`ALTER TABLE settings ADD COLUMN changed_by text; INSERT INTO settings VALUES ('region', 'eu', 'ops')`);
    const refused = await pull({ local: file, remote: pg.url, mode: 'merge' }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'SCHEMA_INCOMPATIBLE', message: expect.stringContaining('column "changed_by" does not exist in the target') });
    expect(local(file, `SELECT count(*) AS n FROM settings`)).toEqual([{ n: 3 }]);
  });

  it('a table the file lacks is made as a pull makes it, with its indexes, and filled; a file that does not exist yet is made', async () => {
    const file = make(SCHEMA + SEED);
    await push({ local: file, remote: pg.url });
    await pg.query(`CREATE TABLE receipts (id serial PRIMARY KEY, order_id integer NOT NULL REFERENCES orders (id), note text);
                    CREATE INDEX receipts_order ON receipts (order_id);
                    INSERT INTO receipts (order_id, note) VALUES (1, 'paid'), (3, 'refunded')`);
    const r = await pull({ local: file, remote: pg.url, mode: 'merge' });
    expect(tableOf(r, 'receipts')).toMatchObject({ inserted: 2 });
    expect(local(file, `SELECT name FROM sqlite_schema WHERE tbl_name = 'receipts' AND type = 'index' AND sql IS NOT NULL`)).toEqual([{ name: 'receipts_order' }]);
    expect(local(file, `SELECT order_id, note FROM receipts ORDER BY id`)).toEqual([
      { order_id: 1, note: 'paid' },
      { order_id: 3, note: 'refunded' },
    ]);
    const fresh = `${file}.new.db`;
    const made = await pull({ local: fresh, remote: pg.url, mode: 'merge' });
    expect(made.complete).toBe(true);
    expect(local(fresh, `SELECT count(*) AS n FROM receipts`)).toEqual([{ n: 2 }]);
    expect(localMeaning(fresh)).toEqual(await remoteMeaning(pg));
    fs.rmSync(shadowFolder(fresh), { recursive: true, force: true });
  });

  it("the identity map is read whatever its text holds (XML's and JSON's own characters)", async () => {
    const file = make(SCHEMA + SEED);
    await push({ local: file, remote: pg.url });
    const [{ source }] = await pg.query<{ source: string }>(`SELECT DISTINCT source_id AS source FROM _hesap.identity_baseline`);
    await pg.query(`INSERT INTO _hesap.identity_map (source_id, table_name, source_key, target_key) VALUES ($1, 'we<i>rd & "t"''s \\ ]]>', 'a<b>&c"\\n', 'x'), ($1, 'users', '9', '2')`, [source]);
    execSqlite(file, `INSERT INTO users (id, name, email) VALUES (9, 'Ayşe two', 'ayse2@example.com')`);
    await pg.query(`UPDATE users SET name = 'Ayşe (prod)' WHERE id = 2`);
    // Remote 2 is local 9 by that entry: the change there meets 9, which was never pushed (no base): differing, left as here; nothing doubled.
    const r = await pull({ local: file, remote: pg.url, mode: 'merge', tables: ['users'] });
    expect(tableOf(r, 'users')).toMatchObject({ differing: 1, inserted: 0 });
    expect(local(file, `SELECT name FROM users WHERE id IN (2, 9) ORDER BY id`)).toEqual([{ name: 'Ayşe' }, { name: 'Ayşe two' }]);
  });

  it('a read-only role pulls and merges (the remote is only read); its pending identities wait for a push by a role that may write', async () => {
    const file = make(SCHEMA + SEED);
    await push({ local: file, remote: pg.url });
    await pg.query(`INSERT INTO users (name, email) VALUES ('Ece', 'ece@example.com')`);
    const role = `hesap_reader_${Math.random().toString(36).slice(2, 10)}`;
    await adminQuery(testServerUrl(), `CREATE ROLE ${role} LOGIN PASSWORD 'okuyucu-parola'`);
    await pg.query(`GRANT USAGE ON SCHEMA public, _hesap TO ${role}; GRANT SELECT ON ALL TABLES IN SCHEMA public, _hesap TO ${role}; GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO ${role}`);
    try {
      const url = new URL(pg.url);
      url.username = role;
      url.password = 'okuyucu-parola';
      const r = await pull({ local: file, remote: url.toString(), mode: 'merge' });
      expect(tableOf(r, 'users')).toMatchObject({ inserted: 1, remapped: 0 });
      const up = await push({ local: file, remote: pg.url });
      expect(up.incremental).toMatchObject({ used: true });
      expect(await pg.query(`SELECT count(*)::int AS n FROM users`)).toEqual([{ n: 4 }]);
    } finally {
      await pg.query(`DROP OWNED BY ${role}`);
      await adminQuery(testServerUrl(), `DROP ROLE ${role}`);
    }
  });
});

describe('pull --mode merge, property', () => {
  const { pg, make } = filePerTest('pull-merge-prop');

  it('random edits on both sides, pulled then pushed: both sides hold the same rows by meaning, nothing doubled', async () => {
    const op = fc.oneof(
      fc.record({ side: fc.constantFrom('here', 'there'), kind: fc.constant('user' as const), n: fc.integer({ min: 0, max: 30 }) }),
      fc.record({ side: fc.constantFrom('here', 'there'), kind: fc.constant('order' as const), n: fc.integer({ min: 0, max: 30 }) }),
      fc.record({ side: fc.constantFrom('here', 'there'), kind: fc.constant('rename' as const), n: fc.integer({ min: 0, max: 30 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 12 }), async (ops) => {
        await pg.query(`DROP SCHEMA public CASCADE; DROP SCHEMA IF EXISTS _hesap CASCADE; CREATE SCHEMA public`);
        const file = make(`DROP TABLE IF EXISTS order_items; DROP TABLE IF EXISTS orders; DROP TABLE IF EXISTS group_members; DROP TABLE IF EXISTS groups; DROP TABLE IF EXISTS users; ${SCHEMA} ${SEED}`);
        await push({ local: file, remote: pg.url });
        let serial = 0;
        for (const o of ops) {
          serial++;
          const email = `${o.side}${serial}@example.com`;
          if (o.kind === 'user') {
            if (o.side === 'here') execSqlite(file, `INSERT INTO users (name, email, invited_by) VALUES ('u${serial}', '${email}', (SELECT id FROM users ORDER BY id LIMIT 1 OFFSET ${o.n % 3}))`);
            else await pg.query(`INSERT INTO users (name, email, invited_by) VALUES ('u${serial}', '${email}', (SELECT id FROM users ORDER BY id LIMIT 1 OFFSET ${o.n % 3}))`);
          } else if (o.kind === 'order') {
            const sql = `INSERT INTO orders (user_id, total) VALUES ((SELECT id FROM users ORDER BY id DESC LIMIT 1 OFFSET ${o.n % 2}), ${serial})`;
            if (o.side === 'here') execSqlite(file, sql);
            else await pg.query(sql);
          } else {
            // Each side renames its own user (the seed's first three alternate): no conflict by construction.
            const target = o.side === 'here' ? 'ali@example.com' : 'can@example.com';
            const sql = `UPDATE users SET name = 'r${serial}' WHERE email = '${target}'`;
            if (o.side === 'here') execSqlite(file, sql);
            else await pg.query(sql);
          }
        }
        const pulled = await pull({ local: file, remote: pg.url, mode: 'merge' });
        expect(pulled.complete).toBe(true);
        expect(pulled.conflicts).toEqual([]);
        const pushed = await push({ local: file, remote: pg.url });
        expect(pushed.complete).toBe(true);
        expect(pushed.conflicts).toEqual([]);
        expect(await remoteMeaning(pg)).toEqual(localMeaning(file));
        const emails = local(file, `SELECT email FROM users`).length;
        expect(Number((await pg.query<{ n: string }>(`SELECT count(*) AS n FROM users`))[0]!.n)).toBe(emails);
      }),
      { numRuns: 12 },
    );
  });
});

describe('pull --mode merge, property: what comes down, against a model', () => {
  const { pg, make } = filePerTest('pull-merge-model');
  const ROWS = 8;

  it('random edits and deletes on both sides: a row changed there only comes down, one changed here only stays, one changed on both (or changed there, deleted here) is a conflict kept as here, one deleted there is counted and stays (with `deletes`, goes when unchanged here, else is a conflict)', async () => {
    const op = fc.record({
      side: fc.constantFrom('here' as const, 'there' as const),
      row: fc.integer({ min: 1, max: ROWS }),
      kind: fc.constantFrom('edit' as const, 'edit' as const, 'delete' as const),
      value: fc.constantFrom('a', 'b', 'c'),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 10 }), fc.boolean(), async (ops, deletes) => {
        await pg.query(`DROP SCHEMA public CASCADE; DROP SCHEMA IF EXISTS _hesap CASCADE; CREATE SCHEMA public`);
        const seed = Array.from({ length: ROWS }, (_, i) => `('item ${i + 1}')`).join(', ');
        const file = make(`DROP TABLE IF EXISTS items; CREATE TABLE items (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL); INSERT INTO items (name) VALUES ${seed}`);
        await push({ local: file, remote: pg.url });
        // The model: each side's value of each row (undefined: deleted there), and the value both had at the push.
        const base = new Map(Array.from({ length: ROWS }, (_, i) => [i + 1, `item ${i + 1}`] as const));
        const here = new Map<number, string | undefined>(base);
        const there = new Map<number, string | undefined>(base);
        for (const o of ops) {
          const side = o.side === 'here' ? here : there;
          if (!side.has(o.row) || side.get(o.row) === undefined) continue;
          const value = o.kind === 'delete' ? undefined : `${side.get(o.row)}+${o.value}`;
          side.set(o.row, value);
          const sql = o.kind === 'delete' ? `DELETE FROM items WHERE id = ${o.row}` : `UPDATE items SET name = '${value}' WHERE id = ${o.row}`;
          if (o.side === 'here') execSqlite(file, sql);
          else await pg.query(sql);
        }
        const r = await pull({ local: file, remote: pg.url, mode: 'merge', deletes });
        const expected = new Map<number, string>();
        const conflicts: Array<[number, boolean]> = [];
        // With `deletes`, a row changed here and deleted there: a conflict (listed after the merge's), kept as here.
        const goneConflicts: Array<[number, boolean]> = [];
        let deletedThere = 0;
        let deleted = 0;
        for (const [id, was] of base) {
          const h = here.get(id);
          const t = there.get(id);
          if (t === undefined) {
            // Gone there: whatever here holds stays, counted when here still has it; with `deletes`, gone here too when unchanged here.
            if (h === undefined) continue;
            if (deletes && h === was) {
              deleted++;
              continue;
            }
            expected.set(id, h);
            deletedThere++;
            if (deletes) goneConflicts.push([id, false]);
            continue;
          }
          if (h === undefined) {
            if (t !== was) conflicts.push([id, true]);
            continue;
          }
          if (h === t || t === was) expected.set(id, h);
          else if (h === was) expected.set(id, t);
          else {
            conflicts.push([id, false]);
            expected.set(id, h);
          }
        }
        expect(r.complete).toBe(true);
        expect(r.conflicts.map((c) => [Number(c.sourceKeyValues[0]), c.local === null])).toEqual([...conflicts, ...goneConflicts]);
        expect(r.conflicts.filter((c) => c.remote === null).every((c) => c.kept === 'local' && c.reason === undefined)).toBe(true);
        expect(r.tables[0]!.deletedThere ?? 0).toBe(deletedThere);
        expect(r.tables[0]!.deleted ?? 0).toBe(deleted);
        expect(local(file, `SELECT id, name FROM items ORDER BY id`)).toEqual([...expected].map(([id, name]) => ({ id, name })));
        // Then a push: the edits made here go up; what came down does not come back; the rows both sides hold agree, but the conflicts (kept as production has them).
        const up = await push({ local: file, remote: pg.url });
        // What `deletes` deleted here stays deleted there: nothing of it goes back.
        if (deletes) expect(up.tables.reduce((n, t) => n + t.inserted, 0)).toBe(0);
        // (A row edited here that production deleted meets that deletion at the push: a conflict there, with remote null.)
        const editedHereGoneThere = [...base].filter(([id, was]) => there.get(id) === undefined && here.get(id) !== undefined && here.get(id) !== was).map(([id]) => id);
        expect(up.conflicts.map((c) => Number(c.sourceKeyValues[0])).sort((a, b) => a - b)).toEqual(
          [...conflicts.filter(([, gone]) => !gone).map(([id]) => id), ...editedHereGoneThere].sort((a, b) => a - b),
        );
        const remote = new Map((await pg.query<{ id: number; name: string }>(`SELECT id, name FROM items`)).map((x) => [Number(x.id), x.name]));
        for (const [id, name] of expected) {
          if (there.get(id) === undefined || conflicts.some(([c]) => c === id)) continue;
          expect({ id, name: remote.get(id) }).toEqual({ id, name });
        }
      }),
      { numRuns: 25 },
    );
  });
});
