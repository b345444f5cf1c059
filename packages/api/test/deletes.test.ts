import * as fs from 'node:fs';
import * as fc from 'fast-check';
import { HesapError } from '@hesap/core';
import { execSqlite, openSqlite, type TestDatabase } from '@hesap/test-support';
import { push, type PushResult } from '@hesap/api';
import { OWNERSHIP_LISTED as LISTED } from '@hesap/adapter-postgres';
import { MODEL_SCHEMA, MODEL_SEED, filePerTest, shadowFolder } from './support/shadow-files';

/**
 * `deletes` (issue 23): an incremental push deletes in the target the rows deleted here since
 * the last push, of those the target inserted for this file, and nothing else: never a row
 * production held before this file first pushed it, never a row changed there since (a
 * conflict), never a row production's rows point at (a conflict too). Real PostgreSQL, real
 * SQLite files; production's writes are made with SQL on its own connection, as the app's would be.
 */

const SCHEMA = MODEL_SCHEMA;
const SEED = MODEL_SEED;

const TABLES = ['users', 'groups', 'group_members', 'orders', 'order_items'] as const;
type Row = Record<string, unknown>;
const ORDER: Record<(typeof TABLES)[number], string> = { users: 'id', groups: 'id', group_members: 'group_id, user_id', orders: 'id', order_items: 'id' };

function localRows(file: string): Record<string, Row[]> {
  const db = openSqlite(file);
  try {
    return Object.fromEntries(TABLES.map((t) => [t, (db.prepare(`SELECT * FROM ${t} ORDER BY ${ORDER[t]}`).all() as Row[]).map(plain)]));
  } finally {
    db.close();
  }
}

async function remoteRows(pg: TestDatabase): Promise<Record<string, Row[]>> {
  const out: Record<string, Row[]> = {};
  for (const t of TABLES) out[t] = (await pg.query<{ r: Row }>(`SELECT row_to_json(x) AS r FROM ${t} x ORDER BY ${ORDER[t]}`)).map((r) => plain(r.r));
  return out;
}

const plain = (row: Row): Row => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v]));
const tableOf = (r: PushResult, name: string) => r.tables.find((t) => t.table === name)!;
const changesOf = (r: PushResult, name: string) => r.incremental!.tables.find((t) => t.table === name)!;
const ids = async (pg: TestDatabase, table: string) => (await pg.query<{ id: number }>(`SELECT id FROM ${table} ORDER BY id`)).map((r) => Number(r.id));



describe('deletes: rows deleted here since the last push', () => {
  const { pg, make } = filePerTest('deletes');

  it('without `deletes` they stay there, counted; with it the rows this file pushed are deleted there, children first, and the target holds what the file holds', async () => {
    const file = make(SCHEMA + SEED);
    await push({ local: file, remote: pg.url });
    execSqlite(file, `DELETE FROM order_items WHERE id = 4; DELETE FROM orders WHERE id = 3;`);
    const kept = await push({ local: file, remote: pg.url, dryRun: true });
    expect(changesOf(kept, 'orders')).toMatchObject({ deleted: 1 });
    expect(changesOf(kept, 'orders').goneTheirs).toBeUndefined();
    expect(await ids(pg, 'orders')).toEqual([1, 2, 3]);

    // The items' foreign key has no cascade in the file's view of it either: the child goes first, or the parent could not.
    execSqlite(file, `DELETE FROM group_members WHERE group_id = 2 AND user_id = 3; DELETE FROM users WHERE id = 3;`);
    const r = await push({ local: file, remote: pg.url, deletes: true });
    expect(r.incremental).toMatchObject({ used: true });
    expect(r.conflicts).toEqual([]);
    expect(tableOf(r, 'order_items').deleted).toBe(1);
    expect(tableOf(r, 'orders').deleted).toBe(1);
    expect(tableOf(r, 'group_members').deleted).toBe(1);
    expect(tableOf(r, 'users').deleted).toBe(1);
    expect(changesOf(r, 'users')).toMatchObject({ deleted: 1, goneTheirs: 0 });
    expect(await remoteRows(pg)).toEqual(localRows(file));

    // Said once: the next push has nothing to do.
    const again = await push({ local: file, remote: pg.url, deletes: true });
    expect([...again.incremental!.unchanged].sort()).toEqual([...TABLES].sort());
    expect(again.tables.every((t) => (t.deleted ?? 0) === 0)).toBe(true);
  });

  it.each(['upsert', 'append'] as const)('--mode %s: the rows this file inserted are deleted under their own keys; a row whose key production had stays', async (mode) => {
    await pg.query(`CREATE TABLE users (id integer PRIMARY KEY, name text NOT NULL, email text NOT NULL UNIQUE, invited_by integer REFERENCES users (id));
                    INSERT INTO users VALUES (2, 'Ayşe (prod)', 'ayse@example.com', NULL)`);
    const file = make(SCHEMA + SEED);
    const first = await push({ local: file, remote: pg.url, mode, tables: ['users'] });
    // Can's inviter is the row whose key production has: an append leaves it as it is, and Can goes in under it.
    expect(first.complete).toBe(true);
    execSqlite(file, `DELETE FROM order_items; DELETE FROM orders; DELETE FROM group_members; DELETE FROM groups; UPDATE users SET invited_by = NULL; DELETE FROM users WHERE id IN (2, 3)`);
    const r = await push({ local: file, remote: pg.url, mode, tables: ['users'], deletes: true });
    expect(changesOf(r, 'users')).toMatchObject({ deleted: 2, goneTheirs: 1 });
    expect(tableOf(r, 'users').deleted).toBe(1);
    expect(await pg.query(`SELECT id, email FROM users ORDER BY id`)).toEqual([
      { id: 1, email: 'ali@example.com' },
      { id: 2, email: 'ayse@example.com' },
    ]);
  });

  it('rows here moved off a deleted row (edits pushed with it): the row waits for them, then goes; no conflict', async () => {
    const file = make(SCHEMA + SEED);
    await push({ local: file, remote: pg.url });
    // Ayşe's order, group, invitee move to Ali; her memberships go; then Ayşe goes.
    execSqlite(
      file,
      `UPDATE users SET invited_by = 1 WHERE id = 3; UPDATE orders SET user_id = 1 WHERE user_id = 2; UPDATE groups SET created_by = 1 WHERE created_by = 2;
       DELETE FROM group_members WHERE user_id = 2; DELETE FROM users WHERE id = 2;`,
    );
    const r = await push({ local: file, remote: pg.url, deletes: true });
    expect(r.conflicts).toEqual([]);
    expect(tableOf(r, 'users').deleted).toBe(1);
    expect(tableOf(r, 'group_members').deleted).toBe(2);
    expect(await remoteRows(pg)).toEqual(localRows(file));
  });

  it('a dry run deletes nothing and remembers nothing: the real push after it deletes the rows', async () => {
    const file = make(SCHEMA + SEED);
    await push({ local: file, remote: pg.url });
    execSqlite(file, `DELETE FROM order_items WHERE id IN (1, 2)`);
    const dry = await push({ local: file, remote: pg.url, deletes: true, dryRun: true });
    expect(tableOf(dry, 'order_items').deleted).toBe(2);
    expect(await ids(pg, 'order_items')).toEqual([1, 2, 3, 4]);
    const real = await push({ local: file, remote: pg.url, deletes: true });
    expect(tableOf(real, 'order_items').deleted).toBe(2);
    expect(await ids(pg, 'order_items')).toEqual([3, 4]);
  });

  it('never deletes a row production held before this file first pushed it (matched by natural key), however the file deletes it', async () => {
    await pg.query(`CREATE TABLE users (id serial PRIMARY KEY, name text NOT NULL, email text NOT NULL UNIQUE, invited_by integer REFERENCES users (id));
                   INSERT INTO users (name, email) VALUES ('Ayşe (prod)', 'ayse@example.com'), ('Prod only', 'prod@example.com')`);
    const file = make(SCHEMA + SEED);
    const first = await push({ local: file, remote: pg.url, tables: ['users'] });
    expect(tableOf(first, 'users')).toMatchObject({ inserted: 2 });
    execSqlite(file, `DELETE FROM order_items WHERE order_id IN (2, 3); DELETE FROM orders WHERE user_id IN (2, 3); DELETE FROM group_members WHERE user_id IN (2, 3) OR group_id = 2;
                      DELETE FROM groups WHERE id = 2; DELETE FROM users WHERE email IN ('ayse@example.com', 'can@example.com')`);
    const r = await push({ local: file, remote: pg.url, tables: ['users'], deletes: true });
    expect(changesOf(r, 'users')).toMatchObject({ deleted: 2, goneTheirs: 1 });
    expect(tableOf(r, 'users').deleted).toBe(1);
    const emails = (await pg.query<{ email: string }>(`SELECT email FROM users ORDER BY email`)).map((x) => x.email);
    expect(emails).toEqual(['ali@example.com', 'ayse@example.com', 'prod@example.com']);
  });

  it('a row the target matched in a full (fall-back) push is not deleted later: the record errs towards keeping production rows', async () => {
    const file = make(SCHEMA + SEED);
    await push({ local: file, remote: pg.url });
    // --no-incremental clears the record: the push after it falls back to a full push, which matches every row to the target's.
    await push({ local: file, remote: pg.url, incremental: false });
    expect((await push({ local: file, remote: pg.url })).incremental).toMatchObject({ used: false });
    execSqlite(file, `DELETE FROM order_items WHERE id = 4`);
    // Which of those rows this file inserted is no longer known: none is deleted.
    const r = await push({ local: file, remote: pg.url, deletes: true });
    expect(r.incremental).toMatchObject({ used: true });
    expect(changesOf(r, 'order_items')).toMatchObject({ deleted: 1, goneTheirs: 1 });
    expect(await ids(pg, 'order_items')).toEqual([1, 2, 3, 4]);
  });

  it('past 100,000 rows matched, the merge names the rows it inserted instead: those are deleted, the rows matched never', async () => {
    // 100,010 users in a table the push creates, then a full push (the record cleared) that matches them all and inserts 3 new ones.
    const file = make(`CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, email TEXT NOT NULL UNIQUE, invited_by INTEGER REFERENCES users (id));
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${LISTED + 10}) INSERT INTO users (name, email) SELECT 'u' || i, 'u' || i || '@example.com' FROM n;`);
    await push({ local: file, remote: pg.url });
    await push({ local: file, remote: pg.url, incremental: false });
    execSqlite(file, `INSERT INTO users (name, email) VALUES ('new1', 'new1@example.com'), ('new2', 'new2@example.com'), ('new3', 'new3@example.com')`);
    const full = await push({ local: file, remote: pg.url });
    expect(full.incremental).toMatchObject({ used: false });
    expect(tableOf(full, 'users')).toMatchObject({ inserted: 3, unchanged: LISTED + 10 });
    execSqlite(file, `DELETE FROM users WHERE email IN ('new2@example.com', 'u7@example.com', 'u${LISTED + 5}@example.com')`);
    const r = await push({ local: file, remote: pg.url, deletes: true });
    expect(changesOf(r, 'users')).toMatchObject({ deleted: 3, goneTheirs: 2 });
    expect(tableOf(r, 'users').deleted).toBe(1);
    const left = await pg.query<{ n: number }>(`SELECT count(*)::int AS n FROM users WHERE email IN ('new1@example.com', 'new2@example.com', 'new3@example.com', 'u7@example.com', 'u${LISTED + 5}@example.com')`);
    expect(left[0]!.n).toBe(4);
  });

  it('a push that cannot trust its record deletes nothing, and says so', async () => {
    const file = make(SCHEMA + SEED);
    await push({ local: file, remote: pg.url });
    await pg.query(`UPDATE _hesap.sync_state SET token = 'someone else'`);
    execSqlite(file, `DELETE FROM order_items WHERE id = 4`);
    const r = await push({ local: file, remote: pg.url, deletes: true });
    expect(r.incremental).toMatchObject({ used: false });
    expect(r.notes.some((n) => n.code === 'DELETES_NOT_DONE')).toBe(true);
    expect(await ids(pg, 'order_items')).toEqual([1, 2, 3, 4]);
  });

  it('the row each became: a row whose id was remapped in the target is deleted there under its own id, and no other', async () => {
    // Production took ids 1-2 of orders before the first push: the file's orders were renumbered.
    await pg.query(`CREATE TABLE users (id serial PRIMARY KEY, name text NOT NULL, email text NOT NULL UNIQUE, invited_by integer REFERENCES users (id));
                   CREATE TABLE orders (id serial PRIMARY KEY, user_id integer NOT NULL REFERENCES users (id), total numeric(10,2) NOT NULL);
                   INSERT INTO users (name, email) VALUES ('Prod', 'prod@example.com');
                   INSERT INTO orders (user_id, total) VALUES (1, 1), (1, 2);`);
    const file = make(SCHEMA + SEED);
    await push({ local: file, remote: pg.url, tables: ['users', 'orders'] });
    const before = await pg.query<{ id: number; t: string }>(`SELECT id, total::text AS t FROM orders ORDER BY total`);
    expect(before.map((o) => o.t)).toEqual(['1.00', '2.00', '10.25', '99.00', '412.50']);
    // The file's order 1 became another id there.
    expect(Number(before[4]!.id)).not.toBe(1);
    execSqlite(file, `DELETE FROM order_items WHERE order_id = 1; DELETE FROM orders WHERE id = 1`);
    const r = await push({ local: file, remote: pg.url, tables: ['users', 'orders'], deletes: true });
    expect(tableOf(r, 'orders').deleted).toBe(1);
    const after = await pg.query<{ t: string }>(`SELECT total::text AS t FROM orders ORDER BY total`);
    expect(after.map((o) => o.t)).toEqual(['1.00', '2.00', '10.25', '99.00']);
  });

  it('a composite key of foreign keys is found through its parents\' identity maps (the parents took other ids there)', async () => {
    await pg.query(`CREATE TABLE users (id serial PRIMARY KEY, name text NOT NULL, email text NOT NULL UNIQUE, invited_by integer REFERENCES users (id));
                    INSERT INTO users (name, email) VALUES ('Prod', 'prod@example.com')`);
    const file = make(SCHEMA + SEED);
    await push({ local: file, remote: pg.url, tables: ['users', 'groups', 'group_members'] });
    const members = async () =>
      (await pg.query<{ m: string }>(`SELECT g.code || ':' || u.email AS m FROM group_members gm JOIN groups g ON g.id = gm.group_id JOIN users u ON u.id = gm.user_id ORDER BY 1`)).map((r) => r.m);
    expect(await members()).toEqual(['G1:ali@example.com', 'G1:ayse@example.com', 'G2:ayse@example.com', 'G2:can@example.com']);
    // Production's user took id 1: the file's users have other ids there, found only through the map.
    expect(await pg.query(`SELECT id FROM users WHERE email = 'ali@example.com'`)).not.toEqual([{ id: 1 }]);
    execSqlite(file, `DELETE FROM group_members WHERE group_id = 2 AND user_id = 3; DELETE FROM group_members WHERE group_id = 1 AND user_id = 2`);
    const r = await push({ local: file, remote: pg.url, tables: ['users', 'groups', 'group_members'], deletes: true });
    expect(tableOf(r, 'group_members').deleted).toBe(2);
    expect(await members()).toEqual(['G1:ali@example.com', 'G2:ayse@example.com']);
  });
});

describe('deletes meet production: conflicts', () => {
  const { pg, make } = filePerTest('deletes_conflicts');

  it('a row changed there since: kept and listed (local: null), on every push until settled; keep-local deletes it', async () => {
    const file = make(SCHEMA + SEED);
    await push({ local: file, remote: pg.url });
    await pg.query(`UPDATE order_items SET name = 'Adana (acılı)' WHERE id = 1`);
    execSqlite(file, `DELETE FROM order_items WHERE id IN (1, 2)`);
    const r = await push({ local: file, remote: pg.url, deletes: true });
    expect(tableOf(r, 'order_items').deleted).toBe(1);
    expect(r.conflicts).toEqual([expect.objectContaining({ table: 'order_items', sourceKey: 'id=1', local: null, kept: 'remote', remote: expect.objectContaining({ name: 'Adana (acılı)' }) })]);
    expect(r.conflicts[0]!.reason).toBeUndefined();
    expect(await ids(pg, 'order_items')).toEqual([1, 3, 4]);

    const again = await push({ local: file, remote: pg.url, deletes: true });
    expect(again.conflicts.map((c) => c.sourceKey)).toEqual(['id=1']);
    const local = await push({ local: file, remote: pg.url, deletes: true, onConflict: 'keep-local' });
    expect(local.conflicts).toEqual([expect.objectContaining({ sourceKey: 'id=1', local: null, kept: 'local' })]);
    expect(tableOf(local, 'order_items').deleted).toBe(1);
    expect(await ids(pg, 'order_items')).toEqual([3, 4]);
    expect((await push({ local: file, remote: pg.url, deletes: true })).conflicts).toEqual([]);
  });

  it('a row production\'s rows point at stays, whatever the policy, and is listed with the reason; once they are gone it is deleted', async () => {
    const file = make(SCHEMA + SEED);
    await push({ local: file, remote: pg.url });
    // The app adds an order for Can in production; the file deletes Can (and what was Can's here).
    await pg.query(`INSERT INTO orders (id, user_id, total) VALUES (100, 3, 5)`);
    execSqlite(file, `DELETE FROM order_items WHERE order_id = 3; DELETE FROM orders WHERE id = 3; DELETE FROM group_members WHERE user_id = 3; DELETE FROM users WHERE id = 3`);
    for (const onConflict of ['keep-remote', 'keep-local'] as const) {
      const r = await push({ local: file, remote: pg.url, deletes: true, onConflict });
      expect(r.conflicts).toEqual([expect.objectContaining({ table: 'users', sourceKey: 'id=3', local: null, kept: 'remote', reason: expect.stringMatching(/orders/) })]);
      expect(await ids(pg, 'users')).toEqual([1, 2, 3]);
    }
    // The first push deleted Can's own rows there; only production's order still holds the user.
    expect(await ids(pg, 'orders')).toEqual([1, 2, 100]);
    await pg.query(`DELETE FROM orders WHERE id = 100`);
    const settled = await push({ local: file, remote: pg.url, deletes: true });
    expect(settled.conflicts).toEqual([]);
    expect(tableOf(settled, 'users').deleted).toBe(1);
    expect(await remoteRows(pg)).toEqual(localRows(file));
  });

  it('a waiting row that a new row here took by its natural key (the same email) is that row\'s now: kept, no conflict', async () => {
    const file = make(SCHEMA + SEED);
    await push({ local: file, remote: pg.url });
    await pg.query(`INSERT INTO orders (id, user_id, total) VALUES (100, 3, 5)`);
    execSqlite(file, `DELETE FROM order_items WHERE order_id = 3; DELETE FROM orders WHERE id = 3; DELETE FROM group_members WHERE user_id = 3; DELETE FROM users WHERE id = 3;
                      INSERT INTO users (name, email) VALUES ('Can again', 'can@example.com');`);
    const r = await push({ local: file, remote: pg.url, deletes: true });
    expect(r.conflicts).toEqual([]);
    expect(tableOf(r, 'users').deleted ?? 0).toBe(0);
    expect(await pg.query(`SELECT id, name FROM users WHERE email = 'can@example.com'`)).toEqual([{ id: 3, name: 'Can' }]);
    expect(await ids(pg, 'orders')).toEqual([1, 2, 100]);
  });

  it('fail: the push is refused with CONFLICT and nothing is deleted', async () => {
    const file = make(SCHEMA + SEED);
    await push({ local: file, remote: pg.url });
    await pg.query(`UPDATE orders SET total = 1 WHERE id = 2`);
    execSqlite(file, `DELETE FROM order_items WHERE order_id = 2; DELETE FROM orders WHERE id = 2; DELETE FROM order_items WHERE id = 1`);
    const refused = push({ local: file, remote: pg.url, deletes: true, onConflict: 'fail' });
    await expect(refused).rejects.toBeInstanceOf(HesapError);
    await expect(refused).rejects.toMatchObject({ code: 'CONFLICT', table: 'orders' });
    expect(await ids(pg, 'order_items')).toEqual([1, 2, 3, 4]);
    expect(await ids(pg, 'orders')).toEqual([1, 2, 3]);
  });

  it('a row deleted there too is no conflict: counted as gone, nothing to do', async () => {
    const file = make(SCHEMA + SEED);
    await push({ local: file, remote: pg.url });
    await pg.query(`DELETE FROM order_items WHERE id = 2`);
    execSqlite(file, `DELETE FROM order_items WHERE id = 2`);
    const r = await push({ local: file, remote: pg.url, deletes: true });
    expect(r.conflicts).toEqual([]);
    expect(tableOf(r, 'order_items').deleted).toBe(0);
    expect(await remoteRows(pg)).toEqual(localRows(file));
  });
});

describe('property: with `deletes`, pushes after random local histories leave the target holding what the file holds', () => {
  const { pg, make } = filePerTest('deletes_prop');

  type Op = { k: 'addUser' | 'addOrder' | 'addItem' | 'dropItem' | 'dropOrder' | 'dropUser' | 'edit' | 'push'; n: number };
  const op: fc.Arbitrary<Op> = fc.record({
    k: fc.constantFrom<Op['k']>('addUser', 'addUser', 'addOrder', 'addItem', 'addItem', 'dropItem', 'dropItem', 'dropOrder', 'dropUser', 'dropUser', 'edit', 'push'),
    n: fc.nat(1000),
  });

  /** Applies one local change; deletes take the rows that point at what they delete with them (the file keeps its foreign keys). */
  function apply(file: string, o: Op): void {
    const db = openSqlite(file);
    try {
      const pick = (table: string) => db.prepare(`SELECT id FROM ${table} ORDER BY id LIMIT 1 OFFSET ?`).pluck().get(o.n % Math.max(1, db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number)) as number | undefined;
      const run = (sql: string, ...values: unknown[]) => db.prepare(sql).run(...values);
      switch (o.k) {
        case 'addUser':
          run(`INSERT INTO users (name, email, invited_by) VALUES (?, ?, ?)`, `u${o.n}`, `u${o.n}-${Date.now()}-${Math.random()}@example.com`, pick('users') ?? null);
          break;
        case 'addOrder': {
          const u = pick('users');
          if (u !== undefined) run(`INSERT INTO orders (user_id, total) VALUES (?, ?)`, u, o.n / 4);
          break;
        }
        case 'addItem': {
          const order = pick('orders');
          if (order !== undefined) run(`INSERT INTO order_items (order_id, name) VALUES (?, ?)`, order, `item ${o.n}`);
          break;
        }
        case 'dropItem': {
          const i = pick('order_items');
          if (i !== undefined) run(`DELETE FROM order_items WHERE id = ?`, i);
          break;
        }
        case 'dropOrder': {
          const order = pick('orders');
          if (order !== undefined) run(`DELETE FROM order_items WHERE order_id = ?`, order), run(`DELETE FROM orders WHERE id = ?`, order);
          break;
        }
        case 'dropUser': {
          const u = pick('users');
          if (u === undefined || (db.prepare(`SELECT count(*) FROM groups WHERE created_by = ?`).pluck().get(u) as number) > 0) break;
          // Half the time the user's orders and invitees move to another user (edits pushed with the deletion), else they go too.
          const heir = db.prepare(`SELECT id FROM users WHERE id <> ? ORDER BY id LIMIT 1`).pluck().get(u) as number | undefined;
          if (heir !== undefined && o.n % 2 === 0) {
            run(`UPDATE orders SET user_id = ? WHERE user_id = ?`, heir, u);
            run(`UPDATE users SET invited_by = ? WHERE invited_by = ?`, heir, u);
          } else {
            run(`DELETE FROM order_items WHERE order_id IN (SELECT id FROM orders WHERE user_id = ?)`, u);
            run(`DELETE FROM orders WHERE user_id = ?`, u);
            run(`UPDATE users SET invited_by = NULL WHERE invited_by = ?`, u);
          }
          run(`DELETE FROM group_members WHERE user_id = ?`, u);
          run(`DELETE FROM users WHERE id = ?`, u);
          break;
        }
        case 'edit': {
          const i = pick('order_items');
          if (i !== undefined) run(`UPDATE order_items SET name = name || '!' WHERE id = ?`, i);
          break;
        }
        case 'push':
          break;
      }
    } finally {
      db.close();
    }
  }

  it('random inserts, edits and deletes here, pushed incrementally with deletes: the target equals the file after every push', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
        // A fresh file and database per history.
        const file = make(SCHEMA.replace(/CREATE TABLE (\w+)/g, 'CREATE TABLE IF NOT EXISTS $1'));
        execSqlite(file, `PRAGMA foreign_keys = OFF; DELETE FROM order_items; DELETE FROM orders; DELETE FROM group_members; DELETE FROM groups; DELETE FROM users; DELETE FROM sqlite_sequence;` + SEED);
        fs.rmSync(shadowFolder(file), { recursive: true, force: true });
        await pg.query(`DROP SCHEMA IF EXISTS _hesap CASCADE; DROP TABLE IF EXISTS order_items, orders, group_members, groups, users CASCADE`);
        await push({ local: file, remote: pg.url });
        for (const o of [...ops, { k: 'push' as const, n: 0 }]) {
          apply(file, o);
          if (o.k !== 'push') continue;
          const r = await push({ local: file, remote: pg.url, deletes: true });
          expect(r.conflicts).toEqual([]);
          expect(r.incremental).toMatchObject({ used: true });
          expect(await remoteRows(pg)).toEqual(localRows(file));
        }
      }),
      { numRuns: 15 },
    );
  });
});
