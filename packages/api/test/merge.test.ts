import * as path from 'node:path';
import { HesapError } from '@hesap/core';
import { createTestDatabase, databasePerTest, execSqlite, openSqlite, tempDir, type TestDatabase } from '@hesap/test-support';
import { push, snapshot, type PushResult } from '@hesap/api';

/**
 * Pushing into a live database: production already has users who signed up there.
 * The bill-splitting schema, with ids that collide, emails that sign up on both sides,
 * new groups, memberships, orders and bills on both sides, and a self-reference.
 */

const SCHEMA = `
  CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, first_name VARCHAR(100) NOT NULL, email VARCHAR(255) NOT NULL,
                      phone VARCHAR(30), bonus_points INTEGER NOT NULL DEFAULT 0, is_active BOOLEAN NOT NULL DEFAULT 1,
                      invited_by INTEGER REFERENCES users (id) ON DELETE SET NULL, created_at DATETIME NOT NULL);
  CREATE UNIQUE INDEX IDX_users_email ON users (email);
  CREATE TABLE groups (id INTEGER PRIMARY KEY AUTOINCREMENT, name VARCHAR(100) NOT NULL, code VARCHAR(12) NOT NULL UNIQUE,
                       created_by INTEGER NOT NULL REFERENCES users (id));
  CREATE TABLE group_members (group_id INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
                              user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE, PRIMARY KEY (group_id, user_id));
  CREATE TABLE orders (id INTEGER PRIMARY KEY AUTOINCREMENT, group_id INTEGER NOT NULL REFERENCES groups (id),
                       creator_id INTEGER NOT NULL REFERENCES users (id), restaurant VARCHAR(150) NOT NULL,
                       total DECIMAL(10,2) NOT NULL, tax DECIMAL(10,2) NOT NULL DEFAULT 0, delivery DECIMAL(10,2) NOT NULL DEFAULT 0,
                       created_at DATETIME NOT NULL);
  CREATE TABLE order_items (id INTEGER PRIMARY KEY AUTOINCREMENT, order_id INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
                            name VARCHAR(150) NOT NULL, price DECIMAL(10,2) NOT NULL, quantity INTEGER NOT NULL DEFAULT 1);
  CREATE TABLE member_bills (id INTEGER PRIMARY KEY AUTOINCREMENT, order_id INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
                             user_id INTEGER NOT NULL REFERENCES users (id), amount DECIMAL(10,2) NOT NULL, items JSON NOT NULL);
`;

const SEED = `
  INSERT INTO users (id, first_name, email, phone, invited_by, created_at) VALUES
    (1, 'Ali', 'ali@example.com', '+90 555 0001', NULL, '2026-01-01 10:00:00'),
    (2, 'Ayşe', 'ayse@example.com', NULL, 1, '2026-01-02 10:00:00'),
    (3, 'Can', 'can@example.com', '', NULL, '2026-01-03 10:00:00');
  INSERT INTO groups (id, name, code, created_by) VALUES (1, 'Ofis öğle yemeği', 'OFIS', 1);
  INSERT INTO group_members VALUES (1, 1), (1, 2), (1, 3);
  INSERT INTO orders (id, group_id, creator_id, restaurant, total, tax, delivery, created_at) VALUES
    (1, 1, 1, 'Kebapçı Halil', 412.5, 30.5, 12, '2026-02-01 12:30:00');
  INSERT INTO order_items (order_id, name, price, quantity) VALUES (1, 'Adana kebap', 185, 2), (1, 'Ayran', 20, 1);
  INSERT INTO member_bills (order_id, user_id, amount, items) VALUES
    (1, 1, 206.25, '[{"name":"Adana kebap","quantity":1}]'), (1, 2, 206.25, '[{"name":"Adana kebap","quantity":1},{"name":"Ayran","quantity":1}]');
`;

/** Local changes after the first push: new users (ids that production also hands out), one of them also signs up in production. */
const LOCAL_CHANGES = `
  INSERT INTO users (id, first_name, email, invited_by, created_at) VALUES
    (4, 'Deniz', 'deniz@example.com', 1, '2026-03-01 09:00:00'),
    (5, 'Emre', 'emre@example.com', NULL, '2026-03-02 09:00:00'),
    (6, 'Selin', 'selin@example.com', 4, '2026-03-03 09:00:00');
  INSERT INTO groups (id, name, code, created_by) VALUES (2, 'Bodrum tatili', 'BODRUM', 4);
  INSERT INTO group_members VALUES (2, 4), (2, 5), (2, 6), (1, 6);
  INSERT INTO orders (id, group_id, creator_id, restaurant, total, tax, delivery, created_at) VALUES
    (2, 2, 5, 'Balıkçı Sabahattin', 1250, 100, 0, '2026-03-05 20:00:00'),
    (3, 1, 1, 'Pizza "Locale", Kadıköy', 300.1, 20.1, 15, '2026-03-06 13:00:00');
  INSERT INTO order_items (order_id, name, price, quantity) VALUES (2, 'Levrek', 450, 2), (2, 'Rakı', 350, 1), (3, 'Margherita', 265, 1);
  INSERT INTO member_bills (order_id, user_id, amount, items) VALUES
    (2, 5, 625, '[{"name":"Levrek","quantity":1}]'), (2, 6, 625, '[{"name":"Rakı","quantity":1}]'), (3, 1, 300.1, '[]');
`;

/** Production changes after the first push: people who signed up there (ids 4, 5, 6 taken), one of them is Emre. */
const PRODUCTION_CHANGES = `
  INSERT INTO users (first_name, email, created_at) VALUES
    ('Zeynep', 'zeynep@example.com', '2026-03-01 08:00:00'),
    ('Mehmet', 'mehmet@example.com', '2026-03-01 08:30:00'),
    ('Emre (prod)', 'emre@example.com', '2026-03-01 08:45:00');
  INSERT INTO groups (name, code, created_by) VALUES ('Basketbol', 'BASKET', 4);
  INSERT INTO group_members VALUES (2, 4), (2, 5), (1, 6);
  INSERT INTO orders (group_id, creator_id, restaurant, total, tax, delivery, created_at) VALUES (2, 4, 'Dürüm 34', 95, 7, 0, '2026-03-04 19:00:00');
  INSERT INTO order_items (order_id, name, price, quantity) VALUES (2, 'Dürüm', 88, 1);
  INSERT INTO member_bills (order_id, user_id, amount, items) VALUES (2, 4, 95, '[]');
`;

/** Every order as (creator email, group code, restaurant, amounts): the meaning, free of ids. */
const ORDERS_BY_MEANING = `
  SELECT u.email, g.code, o.restaurant, o.total::text AS total, o.tax::text AS tax, o.delivery::text AS delivery
    FROM orders o JOIN users u ON u.id = o.creator_id JOIN groups g ON g.id = o.group_id ORDER BY o.restaurant`;
const MEMBERSHIPS_BY_MEANING = `SELECT u.email, g.code FROM group_members m JOIN users u ON u.id = m.user_id JOIN groups g ON g.id = m.group_id ORDER BY 2, 1`;
const BILLS_BY_MEANING = `
  SELECT o.restaurant, u.email, b.amount::text AS amount, b.items::text AS items FROM member_bills b
    JOIN orders o ON o.id = b.order_id JOIN users u ON u.id = b.user_id ORDER BY 1, 2`;
const ITEMS_BY_MEANING = `SELECT o.restaurant, i.name, i.price::text AS price, i.quantity FROM order_items i JOIN orders o ON o.id = i.order_id ORDER BY 1, 2`;

function localQuery(file: string, sql: string): Array<Record<string, unknown>> {
  const db = openSqlite(file);
  try {
    return db.prepare(sql).all() as Array<Record<string, unknown>>;
  } finally {
    db.close();
  }
}


const table = (r: PushResult, name: string) => r.tables.find((t) => t.table === name)!;
const totals = (r: PushResult) => r.tables.map((t) => [t.table, t.inserted, t.updated, t.skipped.length]);

/**
 * A local file made from `sql` and an empty test database, for one describe block: set up
 * before its tests, removed after them.
 */
function localAndTarget(name: string, sql: string): { local: string; target: () => TestDatabase } {
  const tmp = tempDir(`hesap-${name}`);
  const local = path.join(tmp.dir, `${name}.db`);
  let pg: TestDatabase | undefined;
  beforeAll(async () => {
    pg = await createTestDatabase(name);
    execSqlite(local, sql);
  });
  afterAll(async () => {
    await pg?.drop();
    tmp.cleanup();
  });
  return { local, target: () => pg! };
}

/** All rows of all tables, to prove that something did not change. */
async function contentOf(pg: TestDatabase): Promise<string> {
  const parts: string[] = [];
  for (const t of ['users', 'groups', 'group_members', 'orders', 'order_items', 'member_bills']) {
    const rows = await pg.query<{ r: string }>(`SELECT t::text AS r FROM ${t} t ORDER BY 1`);
    parts.push(`${t}: ${rows.map((r) => r.r).join(' | ')}`);
  }
  return parts.join('\n');
}

describe('merge: a push carries meaning, not ids', () => {
  const tmp = tempDir('hesap-merge');
  let pg: TestDatabase;
  const local = path.join(tmp.dir, 'app.db');
  let prodOnlyBefore: string;

  beforeAll(async () => {
    pg = await createTestDatabase('merge');
    execSqlite(local, SCHEMA + SEED);
    const first = await push({ local, remote: pg.url });
    expect(first.mode).toBe('merge');
    expect(totals(first)).toEqual([
      ['users', 3, 0, 0],
      ['groups', 1, 0, 0],
      ['group_members', 3, 0, 0],
      ['orders', 1, 0, 0],
      ['member_bills', 2, 0, 0],
      ['order_items', 2, 0, 0],
    ]);
    // Both sides change.
    await pg.query(PRODUCTION_CHANGES);
    execSqlite(local, LOCAL_CHANGES);
    prodOnlyBefore = JSON.stringify(
      await pg.query(`SELECT u.* FROM users u WHERE email IN ('zeynep@example.com', 'mehmet@example.com', 'emre@example.com') ORDER BY id`),
    );
  });
  afterAll(async () => {
    await pg.drop();
    tmp.cleanup();
  });

  let dry: PushResult;
  let before: string;

  it('--dry-run reports what the push will do and leaves the target unchanged', async () => {
    before = await contentOf(pg);
    dry = await push({ local, remote: pg.url, dryRun: true });
    expect(dry.dryRun).toBe(true);
    expect(await contentOf(pg)).toBe(before);
  });

  it('the push keeps every local row once, with its meaning', async () => {
    const result = await push({ local, remote: pg.url });
    // The dry run said exactly this.
    expect(totals(result)).toEqual(totals(dry));
    expect(result.tables.map((t) => [t.table, t.remapped])).toEqual(dry.tables.map((t) => [t.table, t.remapped]));

    // Users: Deniz and Selin are new (their ids 4 and 6 were taken: new ids); Emre exists in production (same email).
    const users = table(result, 'users');
    expect([users.inserted, users.unchanged, users.skipped.length]).toEqual([2, 4, 0]);
    expect(users.remapped).toBeGreaterThanOrEqual(3);
    const emails = (await pg.query<{ email: string }>('SELECT email FROM users ORDER BY email')).map((r) => r.email);
    expect(emails).toEqual([
      'ali@example.com',
      'ayse@example.com',
      'can@example.com',
      'deniz@example.com',
      'emre@example.com',
      'mehmet@example.com',
      'selin@example.com',
      'zeynep@example.com',
    ]);

    // The self-reference follows: Selin was invited by Deniz, whatever Deniz's id is now.
    const [selin] = await pg.query<{ inviter: string }>(
      `SELECT i.email AS inviter FROM users u JOIN users i ON i.id = u.invited_by WHERE u.email = 'selin@example.com'`,
    );
    expect(selin!.inviter).toBe('deniz@example.com');

    // Every local order exists once, with a creator of the same email, a group of the same code, the same amounts.
    const localOrders = localQuery(
      local,
      `SELECT u.email, g.code, o.restaurant, o.total, o.tax, o.delivery FROM orders o JOIN users u ON u.id = o.creator_id JOIN groups g ON g.id = o.group_id ORDER BY o.restaurant`,
    );
    const remoteOrders = await pg.query(ORDERS_BY_MEANING);
    for (const o of localOrders) {
      const same = remoteOrders.filter((r) => r.email === o.email && r.code === o.code && r.restaurant === o.restaurant && Number(r.total) === Number(o.total));
      expect(same).toHaveLength(1);
      expect(Number(same[0]!.tax)).toBe(Number(o.tax));
    }
    expect(remoteOrders).toHaveLength(localOrders.length + 1);

    // Every local membership joins the same (email, group code) pair; production's stay.
    const localMembers = localQuery(local, `SELECT u.email, g.code FROM group_members m JOIN users u ON u.id = m.user_id JOIN groups g ON g.id = m.group_id`);
    const remoteMembers = await pg.query<{ email: string; code: string }>(MEMBERSHIPS_BY_MEANING);
    for (const m of localMembers) expect(remoteMembers).toContainEqual(m);
    expect(remoteMembers).toContainEqual({ email: 'zeynep@example.com', code: 'BASKET' });
    expect(remoteMembers).toContainEqual({ email: 'mehmet@example.com', code: 'BASKET' });
    expect(remoteMembers).toHaveLength(localMembers.length + 2 + 1);

    // Every bill points at the same (order, email); items JSON kept as written.
    const localBills = localQuery(local, `SELECT o.restaurant, u.email, b.items FROM member_bills b JOIN orders o ON o.id = b.order_id JOIN users u ON u.id = b.user_id`);
    const remoteBills = await pg.query<{ restaurant: string; email: string; items: string }>(BILLS_BY_MEANING);
    for (const b of localBills) expect(remoteBills).toContainEqual(expect.objectContaining(b));
    expect(remoteBills).toHaveLength(localBills.length + 1);
    const localItems = localQuery(local, `SELECT o.restaurant, i.name FROM order_items i JOIN orders o ON o.id = i.order_id`);
    const remoteItems = await pg.query(ITEMS_BY_MEANING);
    for (const i of localItems) expect(remoteItems).toContainEqual(expect.objectContaining(i));
    expect(remoteItems).toHaveLength(localItems.length + 1);
  });

  it('changed no production-only row', async () => {
    const after = JSON.stringify(
      await pg.query(`SELECT u.* FROM users u WHERE email IN ('zeynep@example.com', 'mehmet@example.com', 'emre@example.com') ORDER BY id`),
    );
    expect(after).toBe(prodOnlyBefore);
    const [order] = await pg.query<{ restaurant: string; creator: string }>(
      `SELECT o.restaurant, u.email AS creator FROM orders o JOIN users u ON u.id = o.creator_id WHERE o.restaurant = 'Dürüm 34'`,
    );
    expect(order!.creator).toBe('zeynep@example.com');
  });

  it('a second push writes nothing', async () => {
    const before = await contentOf(pg);
    const again = await push({ local, remote: pg.url });
    expect(again.tables.every((t) => t.inserted === 0 && t.updated === 0 && t.skipped.length === 0)).toBe(true);
    expect(await contentOf(pg)).toBe(before);
  });

  it('an order edited locally and pushed with --update changes its production copy, without a new row', async () => {
    execSqlite(local, `UPDATE orders SET total = 1300, delivery = 50 WHERE id = 2`);
    // Every row sent and matched, as --update is about (an incremental push lets a local edit travel by itself: incremental.test.ts).
    const withoutUpdate = await push({ local, remote: pg.url, incremental: false });
    expect(table(withoutUpdate, 'orders').updated).toBe(0);
    const count = async () => (await pg.query<{ n: string }>('SELECT count(*)::text AS n FROM orders'))[0]!.n;
    const n = await count();
    const result = await push({ local, remote: pg.url, update: true, incremental: false });
    expect(table(result, 'orders')).toMatchObject({ inserted: 0, updated: 1 });
    expect(await count()).toBe(n);
    const [order] = await pg.query<{ total: string; delivery: string; email: string }>(
      `SELECT o.total::text AS total, o.delivery::text AS delivery, u.email FROM orders o JOIN users u ON u.id = o.creator_id WHERE o.restaurant = 'Balıkçı Sabahattin'`,
    );
    expect(order).toEqual({ total: '1300.00', delivery: '50.00', email: 'emre@example.com' });
    // Found through the identity map (local id 2 is production's Dürüm 34 order): that order is untouched.
    const byName = await pg.query<{ restaurant: string; total: string }>(`SELECT restaurant, total::text AS total FROM orders ORDER BY restaurant`);
    expect(byName.filter((o) => o.restaurant === 'Balıkçı Sabahattin')).toHaveLength(1);
    expect(byName.filter((o) => o.restaurant === 'Dürüm 34')).toEqual([{ restaurant: 'Dürüm 34', total: '95.00' }]);
  });

  it('reports a row that collides on another unique key, and one whose parent is missing, with both keys', async () => {
    execSqlite(
      local,
      `PRAGMA foreign_keys = OFF;
       INSERT INTO groups (id, name, code, created_by) VALUES (10, 'Yeni', 'BASKET', 1);
       INSERT INTO orders (id, group_id, creator_id, restaurant, total, created_at) VALUES (10, 99, 1, 'Nowhere', 1, '2026-04-01 00:00:00');`,
    );
    // Matched by name, the local group 'Yeni' is new, and its code collides with production's BASKET.
    const byName = await push({ local, remote: pg.url, keys: { groups: ['name'] }, dryRun: true, skipOrphans: true });
    expect(table(byName, 'groups').skipped).toEqual([
      expect.objectContaining({ sourceKey: 'id=10', targetKey: expect.stringMatching(/^id=\d+$/), constraint: expect.stringMatching(/code/), reason: expect.stringMatching(/collides.*code/) }),
    ]);
    // The order whose group exists nowhere refuses the push, unless asked to leave it out.
    const refused = await push({ local, remote: pg.url }).catch((e: unknown) => e as HesapError);
    expect(refused).toMatchObject({ code: 'CONSTRAINT_VIOLATION', table: 'orders', constraint: 'orders_group_id_fkey' });
    // By its natural key (code) it IS production's BASKET group: matched, not skipped.
    const result = await push({ local, remote: pg.url, skipOrphans: true });
    expect(table(result, 'groups').skipped).toEqual([]);
    const orders = table(result, 'orders');
    expect(orders.skipped).toEqual([expect.objectContaining({ sourceKey: 'id=10', targetKey: 'group_id=99', reason: expect.stringMatching(/does not exist/), orphan: 'parent-missing' })]);
    expect([result.complete, result.rowsLeftOut]).toEqual([false, 1]);
    const strict = await push({ local, remote: pg.url, strict: true }).catch((e: unknown) => e as HesapError);
    expect(strict).toBeInstanceOf(HesapError);
    expect((strict as HesapError).code).toBe('CONSTRAINT_VIOLATION');
    execSqlite(local, `DELETE FROM orders WHERE id = 10; DELETE FROM groups WHERE id = 10;`);
  });

  it('--key chooses the natural key', async () => {
    execSqlite(local, `INSERT INTO users (id, first_name, email, created_at) VALUES (7, 'Zeynep', 'zeynep.local@example.com', '2026-04-02 00:00:00')`);
    // By default (email) the local Zeynep is a new user...
    const byEmail = await push({ local, remote: pg.url, dryRun: true });
    expect(table(byEmail, 'users').inserted).toBe(1);
    // ...matched by first name, she is production's Zeynep, and nothing is inserted.
    const byName = await push({ local, remote: pg.url, keys: { users: ['first_name'] }, dryRun: true });
    expect(table(byName, 'users').inserted).toBe(0);
    await expect(push({ local, remote: pg.url, keys: { users: ['nope'] } })).rejects.toMatchObject({ code: 'USAGE', column: 'nope' });
    execSqlite(local, `DELETE FROM users WHERE id = 7`);
  });
});

describe('upsert, append and replace', () => {
  const tmp = tempDir('hesap-modes');
  const pg = databasePerTest('modes');
  const local = path.join(tmp.dir, 'modes.db');
  beforeEach(async () => {
    execSqlite(local, `DROP TABLE IF EXISTS orders; DROP TABLE IF EXISTS users;` + SCHEMA.split('CREATE TABLE groups')[0] + SEED.split('INSERT INTO groups')[0]);
    await push({ local, remote: pg.url, mode: 'replace', tables: ['users'] });
    await pg.query(`UPDATE users SET phone = 'changed in production' WHERE id = 1; INSERT INTO users (first_name, email, created_at) VALUES ('Prod', 'prod@example.com', '2026-05-01 00:00:00')`);
    execSqlite(local, `UPDATE users SET bonus_points = 7 WHERE id = 2; INSERT INTO users (id, first_name, email, created_at) VALUES (10, 'Ten', 'ten@example.com', '2026-05-02 00:00:00')`);
  });
  afterAll(() => tmp.cleanup());

  const usersNow = async () =>
    pg.query<{ id: string; email: string; phone: string | null; bonus: string }>(`SELECT u.id::text AS id, email, phone, bonus_points::text AS bonus FROM users u ORDER BY u.id`);

  it('upsert matches on the primary key: inserts new rows, updates the others', async () => {
    const r = await push({ local, remote: pg.url, mode: 'upsert', tables: ['users'] });
    expect(table(r, 'users')).toMatchObject({ inserted: 1, updated: 2, skipped: [] });
    const rows = await usersNow();
    expect(rows.map((u) => u.id)).toEqual(['1', '2', '3', '4', '10']);
    expect(rows[0]!.phone).toBe('+90 555 0001');
    expect(rows[1]!.bonus).toBe('7');
  });

  it('append inserts rows whose key is new and reports the rest, changing nothing', async () => {
    const r = await push({ local, remote: pg.url, mode: 'append', tables: ['users'] });
    const users = table(r, 'users');
    expect(users.inserted).toBe(1);
    expect(users.skipped.map((s) => s.sourceKey)).toEqual(['id=1', 'id=2', 'id=3']);
    expect(users.skipped[0]!.reason).toMatch(/primary key exists/);
    const rows = await usersNow();
    expect(rows[0]!.phone).toBe('changed in production');
    expect(rows[1]!.bonus).toBe('0');
  });

  it('append: a new row whose inviter (same table) is a row the target has goes in under it', async () => {
    execSqlite(local, `INSERT INTO users (id, first_name, email, invited_by, created_at) VALUES (11, 'Eleven', 'eleven@example.com', 2, '2026-05-03 00:00:00')`);
    const r = await push({ local, remote: pg.url, mode: 'append', tables: ['users'] });
    expect(r.complete).toBe(true);
    expect(table(r, 'users').inserted).toBe(2);
    expect(await pg.query(`SELECT invited_by FROM users WHERE email = 'eleven@example.com'`)).toEqual([{ invited_by: 2 }]);
  });

  it('replace makes the table hold exactly the local rows, and the identity map knows them', async () => {
    const r = await push({ local, remote: pg.url, mode: 'replace', tables: ['users'] });
    expect(table(r, 'users')).toMatchObject({ action: 'replace', inserted: 4 });
    expect((await usersNow()).map((u) => u.email)).toEqual(['ali@example.com', 'ayse@example.com', 'can@example.com', 'ten@example.com']);
    const again = await push({ local, remote: pg.url, tables: ['users'] });
    expect(table(again, 'users')).toMatchObject({ inserted: 0, unchanged: 4 });
  });

  it('a failure in the last table leaves the target as it was, in every mode', async () => {
    const file = path.join(tmp.dir, 'broken.db');
    execSqlite(file, SCHEMA + SEED + `PRAGMA foreign_keys = OFF; INSERT INTO member_bills (order_id, user_id, amount, items) VALUES (1, 77, 1, '[]');`);
    await push({ local: file, remote: pg.url, mode: 'replace', tables: ['users'] });
    const before = (await pg.query<{ t: string }>(`SELECT string_agg(u::text, '|' ORDER BY id) AS t FROM users u`))[0]!.t;
    for (const mode of ['merge', 'upsert', 'append', 'replace'] as const) {
      const error = await push({ local: file, remote: pg.url, mode, strict: true, exclude: ['users'] }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HesapError);
      expect((error as HesapError).table).toBe('member_bills');
      const tables = await pg.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`);
      expect(tables.map((t) => t.t)).toEqual(['users']);
      expect((await pg.query<{ t: string }>(`SELECT string_agg(u::text, '|' ORDER BY id) AS t FROM users u`))[0]!.t).toBe(before);
    }
  });
});

describe('a target restored from a snapshot', () => {
  const tmp = tempDir('hesap-restore');
  const local = path.join(tmp.dir, 'app.db');
  let first: TestDatabase;
  let restored: TestDatabase;
  beforeAll(async () => {
    first = await createTestDatabase('restore_a');
    restored = await createTestDatabase('restore_b');
    execSqlite(local, SCHEMA + SEED + LOCAL_CHANGES);
  });
  afterAll(async () => {
    await first.drop();
    await restored.drop();
    tmp.cleanup();
  });

  it('does not get duplicates on the next push, although it has no identity map', async () => {
    await push({ local, remote: first.url });
    const created = await snapshot.create({ from: first.url, dir: path.join(tmp.dir, 'snapshots') });
    await snapshot.restore({ snapshot: created.snapshot.path, dir: path.join(tmp.dir, 'snapshots'), to: restored.url });
    // The snapshot holds the app's tables, not hesap's own schema: the memory of this local file is gone.
    const memory = await restored.query(`SELECT source_id FROM _hesap.identity_baseline WHERE source_id LIKE $1`, [`%${local}`]);
    expect(memory).toEqual([]);
    const before = await contentOf(restored);
    const again = await push({ local, remote: restored.url });
    expect(again.tables.map((t) => [t.table, t.inserted, t.skipped.length])).toEqual(again.tables.map((t) => [t.table, 0, 0]));
    expect(await contentOf(restored)).toBe(before);
    // And now it remembers: a local edit is an update of the same row, not a new one.
    execSqlite(local, `UPDATE order_items SET quantity = 3 WHERE name = 'Levrek'`);
    const edited = await push({ local, remote: restored.url, update: true });
    expect(table(edited, 'order_items')).toMatchObject({ inserted: 0, updated: 1 });
  });
});

describe('rows paired by content under the same key', () => {
  // Tables with only a surrogate key, pushed from a source the target has no memory of: the
  // rows identical to the target's are paired (and set aside), and new children, a
  // self-reference included, must still find those parents.
  const SHOP = `
    CREATE TABLE categories (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, parent_id INTEGER REFERENCES categories (id));
    CREATE TABLE products (id INTEGER PRIMARY KEY AUTOINCREMENT, category_id INTEGER NOT NULL REFERENCES categories (id), title TEXT NOT NULL);
    INSERT INTO categories (id, name, parent_id) VALUES (1, 'Yemek', NULL), (2, 'Tatlı', 1), (3, 'Baklava', 2);
    INSERT INTO products (id, category_id, title) VALUES (1, 3, 'Fıstıklı'), (2, 2, 'Sütlaç');`;
  const { local, target } = localAndTarget('kept', SHOP);

  it('pairs them, and new rows under them keep pointing at them', async () => {
    const pg = target();
    await push({ local, remote: pg.url, sourceId: 'laptop' });
    execSqlite(
      local,
      `INSERT INTO categories (id, name, parent_id) VALUES (4, 'Kadayıf', 3), (5, 'Yeni', 4);
       INSERT INTO products (id, category_id, title) VALUES (3, 2, 'Kazandibi'), (4, 5, 'Künefe');`,
    );
    // Another machine with the same file: no memory of it in the target.
    const result = await push({ local, remote: pg.url, sourceId: 'desktop' });
    expect(result.tables.map((t) => [t.table, t.inserted, t.unchanged, t.skipped.length])).toEqual([
      ['categories', 2, 3, 0],
      ['products', 2, 2, 0],
    ]);
    const tree = await pg.query<{ name: string; parent: string | null }>(
      `SELECT c.name, p.name AS parent FROM categories c LEFT JOIN categories p ON p.id = c.parent_id ORDER BY c.id`,
    );
    expect(tree).toEqual([
      { name: 'Yemek', parent: null },
      { name: 'Tatlı', parent: 'Yemek' },
      { name: 'Baklava', parent: 'Tatlı' },
      { name: 'Kadayıf', parent: 'Baklava' },
      { name: 'Yeni', parent: 'Kadayıf' },
    ]);
    const products = await pg.query<{ title: string; category: string }>(
      `SELECT p.title, c.name AS category FROM products p JOIN categories c ON c.id = p.category_id ORDER BY p.id`,
    );
    expect(products.map((r) => `${r.title}/${r.category}`)).toEqual(['Fıstıklı/Baklava', 'Sütlaç/Tatlı', 'Kazandibi/Tatlı', 'Künefe/Yeni']);
    // Remembered now, set-aside rows included: the next push from that machine pairs nothing and writes nothing.
    const [baseline] = await pg.query<{ max: string }>(`SELECT max_key::text AS max FROM _hesap.identity_baseline WHERE source_id = 'desktop' AND table_name = 'products'`);
    expect(baseline!.max).toBe('4');
    const again = await push({ local, remote: pg.url, sourceId: 'desktop' });
    expect(again.tables.map((t) => [t.table, t.inserted, t.unchanged])).toEqual([
      ['categories', 0, 5],
      ['products', 0, 4],
    ]);
  });
});

describe('a cycle of foreign keys, under rows paired by content', () => {
  // Teams have a captain, players a team: one of the two keys is filled in after both tables
  // are merged. New rows pointing at rows that were paired (and set aside) must get them.
  const { local, target } = localAndTarget(
    'cycle',
    `PRAGMA foreign_keys = OFF;
       CREATE TABLE teams (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, captain_id INTEGER REFERENCES players (id));
       CREATE TABLE players (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, team_id INTEGER REFERENCES teams (id));
       INSERT INTO teams (id, name, captain_id) VALUES (1, 'Kartallar', 1);
       INSERT INTO players (id, name, team_id) VALUES (1, 'Arda', 1), (2, 'Barış', 1);`,
  );

  it('fills the deferred key with the paired row, and with a new row', async () => {
    const pg = target();
    await push({ local, remote: pg.url, sourceId: 'laptop' });
    execSqlite(
      local,
      `PRAGMA foreign_keys = OFF;
       INSERT INTO teams (id, name, captain_id) VALUES (2, 'Aslanlar', 1);
       INSERT INTO players (id, name, team_id) VALUES (3, 'Cem', 2), (4, 'Deniz', 1);`,
    );
    const result = await push({ local, remote: pg.url, sourceId: 'desktop' });
    const byTable = Object.fromEntries(result.tables.map((t) => [t.table, [t.inserted, t.unchanged, t.skipped.length]]));
    expect(byTable).toEqual({ teams: [1, 1, 0], players: [2, 2, 0] });
    const teams = await pg.query<{ name: string; captain: string | null }>(
      `SELECT t.name, p.name AS captain FROM teams t LEFT JOIN players p ON p.id = t.captain_id ORDER BY t.id`,
    );
    expect(teams).toEqual([
      { name: 'Kartallar', captain: 'Arda' },
      { name: 'Aslanlar', captain: 'Arda' },
    ]);
    const players = await pg.query<{ name: string; team: string | null }>(
      `SELECT p.name, t.name AS team FROM players p LEFT JOIN teams t ON t.id = p.team_id ORDER BY p.id`,
    );
    expect(players).toEqual([
      { name: 'Arda', team: 'Kartallar' },
      { name: 'Barış', team: 'Kartallar' },
      { name: 'Cem', team: 'Aslanlar' },
      { name: 'Deniz', team: 'Kartallar' },
    ]);
  });
});

describe('a table merged into a new target without its parents', () => {
  const { local, target } = localAndTarget('merge-orphan-table', SCHEMA + SEED + LOCAL_CHANGES);

  it('is created without the foreign keys it cannot have, as --mode create does, and takes every row', async () => {
    // orders points at users and groups; neither is pushed nor in the target.
    const first = await push({ local, remote: target().url, tables: ['orders'] });
    expect(totals(first)).toEqual([['orders', 3, 0, 0]]);
    const leftOut = first.notes.filter((n) => n.code === 'FOREIGN_KEY_SKIPPED' && n.table === 'orders').map((n) => n.message);
    expect(leftOut).toHaveLength(2);
    expect(leftOut).toEqual(expect.arrayContaining([expect.stringContaining('points at "groups"'), expect.stringContaining('points at "users"')]));
    expect(await target().query(`SELECT count(*)::int AS n FROM pg_constraint WHERE conrelid = 'orders'::regclass AND contype = 'f'`)).toEqual([{ n: 0 }]);
    const rows = await target().query<{ id: number; group_id: number; creator_id: number }>(`SELECT id, group_id, creator_id FROM orders ORDER BY id`);
    expect(rows.map((r) => [Number(r.id), Number(r.group_id), Number(r.creator_id)])).toEqual([
      [1, 1, 1],
      [2, 2, 5],
      [3, 1, 1],
    ]);
    // The table exists now, still without those keys: the next push merges into it and finds every row there.
    const again = await push({ local, remote: target().url, tables: ['orders'] });
    expect(totals(again)).toEqual([['orders', 0, 0, 0]]);
    expect(table(again, 'orders').unchanged).toBe(3);
  });
});

describe('a table keyed by its parent key (one profile per user)', () => {
  const { local, target } = localAndTarget(
    'merge-parent-keyed',
    `CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL UNIQUE);
     CREATE TABLE profiles (user_id INTEGER PRIMARY KEY REFERENCES users (id), bio TEXT);
     CREATE TABLE badges (id INTEGER PRIMARY KEY AUTOINCREMENT, profile_id INTEGER NOT NULL REFERENCES profiles (user_id), name TEXT NOT NULL);
     INSERT INTO users VALUES (1, 'ali@example.com'), (2, 'ayse@example.com');
     INSERT INTO profiles VALUES (1, 'Ali''s bio'), (2, 'Ayşe''s bio');
     INSERT INTO badges (profile_id, name) VALUES (1, 'gold'), (2, 'silver'), (2, 'bronze');`,
  );
  const byMeaning = async () =>
    target().query(`SELECT u.email, p.bio, b.name FROM badges b JOIN profiles p ON p.user_id = b.profile_id JOIN users u ON u.id = p.user_id ORDER BY b.name`);

  it('follows its users to their new ids, and its children follow it; a second push writes nothing', async () => {
    // Production's own users hold ids 1 and 2: the local users get new ids, their profiles with them.
    await target().query(
      `CREATE TABLE users (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, email text NOT NULL UNIQUE);
       INSERT INTO users (id, email) VALUES (1, 'zeynep@example.com'), (2, 'mehmet@example.com');
       SELECT setval(pg_get_serial_sequence('users', 'id'), 2);`,
    );
    const first = await push({ local, remote: target().url });
    expect(first.tables.map((t) => [t.table, t.inserted, t.remapped, t.skipped.length])).toEqual([
      ['users', 2, 2, 0],
      ['profiles', 2, 2, 0],
      ['badges', 3, 0, 0],
    ]);
    const expected = [
      { email: 'ayse@example.com', bio: 'Ayşe\'s bio', name: 'bronze' },
      { email: 'ali@example.com', bio: 'Ali\'s bio', name: 'gold' },
      { email: 'ayse@example.com', bio: 'Ayşe\'s bio', name: 'silver' },
    ];
    expect(await byMeaning()).toEqual(expected);
    // Production's users have no profile.
    expect(await target().query(`SELECT count(*)::int AS n FROM profiles WHERE user_id IN (1, 2)`)).toEqual([{ n: 0 }]);

    const again = await push({ local, remote: target().url });
    expect(again.tables.map((t) => [t.table, t.inserted, t.unchanged, t.skipped.length])).toEqual([
      ['users', 0, 2, 0],
      ['profiles', 0, 2, 0],
      ['badges', 0, 3, 0],
    ]);
    expect(await byMeaning()).toEqual(expected);
  });
});
