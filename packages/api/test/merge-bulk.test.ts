import * as path from 'node:path';
import { Client } from 'pg';
import { HesapError } from '@hesap/core';
import { databasePerTest, pgFingerprint, tempDir, writeSqlite, type TestDatabase } from '@hesap/test-support';
import { push } from '@hesap/api';

/**
 * A merge that inserts many rows into a table with foreign keys sets those keys aside for the
 * INSERT and adds them back after it (one check for all rows, not a trigger per row). The keys
 * must come back exactly as they were, rows that break them must still be skipped and named,
 * a failure later in the push must leave everything as it was, and a busy parent table (a
 * reader holding a lock) must not make the push wait or fail: the rows then go in checked.
 */

/** Above the merge's bulk threshold (50 000 new rows, and a quarter of the table). */
const ORDERS = 60_000;
const USERS = 500;

const SCHEMA = `
  CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL UNIQUE);
  CREATE TABLE orders (id INTEGER PRIMARY KEY AUTOINCREMENT, creator_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                       payer_id INTEGER REFERENCES users (id) ON DELETE SET NULL, total DECIMAL(10,2) NOT NULL, ref TEXT);
  CREATE TABLE order_items (id INTEGER PRIMARY KEY AUTOINCREMENT, order_id INTEGER NOT NULL REFERENCES orders (id), name TEXT NOT NULL);
`;

/** A local file: users, `orders` orders (creators and payers spread over the users), and its items. */
function localFile(file: string, orders: number, extra = ''): string {
  return writeSqlite(file, SCHEMA, (db) => {
    db.exec('PRAGMA foreign_keys = OFF');
    const user = db.prepare('INSERT INTO users (id, email) VALUES (?, ?)');
    const order = db.prepare('INSERT INTO orders (id, creator_id, payer_id, total) VALUES (?, ?, ?, ?)');
    db.transaction(() => {
      for (let i = 1; i <= USERS; i++) user.run(i, `user${i}@example.com`);
      for (let i = 1; i <= orders; i++) order.run(i, (i % USERS) + 1, i % 7 === 0 ? null : ((i * 3) % USERS) + 1, (i % 1000) / 10);
      db.exec(extra);
    })();
  });
}

interface KeyState {
  name: string;
  oid: number;
  def: string;
  validated: boolean;
}

/** The foreign keys of `orders`: their definitions and the oid of each constraint (new when re-created). */
async function ordersKeys(pg: TestDatabase): Promise<KeyState[]> {
  const rows = await pg.query<{ name: string; oid: number; def: string; validated: boolean }>(
    `SELECT conname AS name, oid::int AS oid, pg_get_constraintdef(oid) AS def, convalidated AS validated
       FROM pg_constraint WHERE conrelid = 'public.orders'::regclass AND contype = 'f' ORDER BY conname`,
  );
  return rows;
}

const shapes = (keys: KeyState[]) => keys.map((k) => [k.name, k.def, k.validated]);

describe('merge: a bulk insert checks foreign keys once, and puts them back as they were', () => {
  const tmp = tempDir('hesap-merge-bulk');
  const pg = databasePerTest('merge_bulk');
  const small = path.join(tmp.dir, 'small.db');
  const big = path.join(tmp.dir, 'big.db');

  beforeEach(async () => {
    // Production starts from a small copy of the same file (so the identity map knows its rows).
    localFile(small, 10);
    await push({ local: small, remote: pg.url, sourceId: 'app' });
  });
  afterAll(() => tmp.cleanup());

  it('sets the keys aside for the insert and adds them back identical and validated; an orphan is still skipped and named', async () => {
    // One order points at a user who does not exist (SQLite ran with foreign keys off).
    localFile(big, ORDERS, `INSERT INTO orders (id, creator_id, payer_id, total) VALUES (${ORDERS + 1}, 999999, NULL, 1);`);
    const before = await ordersKeys(pg);
    expect(before).toHaveLength(2);

    const result = await push({ local: big, remote: pg.url, sourceId: 'app', skipOrphans: true });

    const orders = result.tables.find((t) => t.table === 'orders')!;
    expect([orders.inserted, orders.unchanged, orders.skipped.length]).toEqual([ORDERS - 10, 10, 1]);
    expect(orders.skipped[0]).toMatchObject({ sourceKey: `id=${ORDERS + 1}`, constraint: 'orders_creator_id_fkey' });
    expect(orders.skipped[0]!.reason).toMatch(/parent row in "users"/);
    const after = await ordersKeys(pg);
    // Re-created: new constraints (new oids) with exactly the old definitions, ON DELETE actions included.
    expect(shapes(after)).toEqual(shapes(before));
    expect(after.map((k) => k.oid)).not.toEqual(before.map((k) => k.oid));
    expect(after.every((k) => k.validated)).toBe(true);
    // Every order is there once, pointing at the user of the same email.
    const [count] = await pg.query<{ n: string; d: string; bad: string }>(
      `SELECT count(*)::text AS n, count(DISTINCT o.id)::text AS d, count(*) FILTER (WHERE u.email <> 'user' || ((o.id % ${USERS}) + 1) || '@example.com')::text AS bad
         FROM orders o JOIN users u ON u.id = o.creator_id`,
    );
    expect(count).toEqual({ n: String(ORDERS), d: String(ORDERS), bad: '0' });
    // The keys work: deleting a user cascades to their orders and clears them as payer.
    await pg.query(`DELETE FROM users WHERE id = 1`);
    const [left] = await pg.query<{ n: string }>(`SELECT count(*)::text AS n FROM orders WHERE creator_id = 1 OR payer_id = 1`);
    expect(left!.n).toBe('0');
  });

  it('checks keys to tables outside the push against the target, naming for each orphan the first key it breaks', async () => {
    // Only orders are pushed: their users are not part of it, so both keys are checked against the target.
    localFile(
      small,
      10,
      `INSERT INTO orders (id, creator_id, payer_id, total) VALUES (11, 999, 1, 1), (12, 1, 998, 2), (13, 997, 996, 3), (14, 2, NULL, 4);`,
    );
    const result = await push({ local: small, remote: pg.url, sourceId: 'app', skipOrphans: true, tables: ['orders'] });
    const orders = result.tables.find((t) => t.table === 'orders')!;
    expect([orders.inserted, orders.unchanged]).toEqual([1, 10]);
    expect(orders.skipped.map((r) => [r.sourceKey, r.constraint, r.targetKey, r.reason])).toEqual([
      ['id=11', 'orders_creator_id_fkey', 'creator_id=999', 'its parent row in "users" does not exist in the target'],
      ['id=12', 'orders_payer_id_fkey', 'payer_id=998', 'its parent row in "users" does not exist in the target'],
      ['id=13', 'orders_creator_id_fkey', 'creator_id=997', 'its parent row in "users" does not exist in the target'],
    ]);
    // Order 14 went in under its own id (free in production; the sequence was moved past it first).
    const ids = await pg.query<{ id: number; total: string }>('SELECT id::int AS id, total::text AS total FROM orders WHERE id > 10 ORDER BY id');
    expect(ids).toEqual([{ id: 14, total: '4.00' }]);
    const strict = await push({ local: small, remote: pg.url, sourceId: 'app', tables: ['orders'], strict: true }).catch((e: unknown) => e);
    expect((strict as HesapError).code).toBe('CONSTRAINT_VIOLATION');
  });

  it('a failure later in the push leaves the target and its keys as they were', async () => {
    // The items table has an orphan: with --strict the whole push fails after the orders went in.
    localFile(big, ORDERS, `INSERT INTO order_items (order_id, name) VALUES (1, 'Ayran'), (${ORDERS + 5}, 'nowhere');`);
    const keys = await ordersKeys(pg);
    const content = await pgFingerprint(pg);

    const error = await push({ local: big, remote: pg.url, sourceId: 'app', strict: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HesapError);
    expect((error as HesapError).code).toBe('CONSTRAINT_VIOLATION');
    expect((error as HesapError).message).toMatch(/order_items/);

    expect(await pgFingerprint(pg)).toEqual(content);
    expect(await ordersKeys(pg)).toEqual(keys);
  });

  it('two new rows that collide with each other on a unique index only production has: one goes in, the other is skipped and named', async () => {
    // Production added a unique reference number; locally two new orders share one.
    await pg.query('CREATE UNIQUE INDEX orders_ref ON orders (ref)');
    localFile(big, ORDERS, `UPDATE orders SET ref = 'R-1' WHERE id IN (30000, 30001);`);
    const before = await ordersKeys(pg);

    const result = await push({ local: big, remote: pg.url, sourceId: 'app' });

    const orders = result.tables.find((t) => t.table === 'orders')!;
    expect([orders.inserted, orders.unchanged, orders.skipped.length]).toEqual([ORDERS - 11, 10, 1]);
    expect(orders.skipped[0]).toMatchObject({ sourceKey: 'id=30001', reason: 'it conflicts with a row that exists in the target' });
    const refs = await pg.query<{ id: number }>(`SELECT id::int AS id FROM orders WHERE ref = 'R-1'`);
    expect(refs).toEqual([{ id: 30000 }]);
    // The bulk path was taken (the keys were re-created) and the keys are as they were.
    const after = await ordersKeys(pg);
    expect(shapes(after)).toEqual(shapes(before));
    expect(after.map((k) => k.oid)).not.toEqual(before.map((k) => k.oid));
  });

  it('the same collision in a small push, with the keys left in place: the first of the two goes in', async () => {
    await pg.query('CREATE UNIQUE INDEX orders_ref ON orders (ref)');
    localFile(small, 14, `UPDATE orders SET ref = 'R-2' WHERE id IN (12, 13);`);
    const before = await ordersKeys(pg);

    const result = await push({ local: small, remote: pg.url, sourceId: 'app' });

    const orders = result.tables.find((t) => t.table === 'orders')!;
    expect([orders.inserted, orders.unchanged, orders.skipped.length]).toEqual([3, 10, 1]);
    expect(orders.skipped[0]).toMatchObject({ sourceKey: 'id=13', reason: 'it conflicts with a row that exists in the target' });
    const rows = await pg.query<{ id: number; ref: string | null }>(`SELECT id::int AS id, ref FROM orders WHERE id > 10 ORDER BY id`);
    expect(rows).toEqual([
      { id: 11, ref: null },
      { id: 12, ref: 'R-2' },
      { id: 14, ref: null },
    ]);
    // Too few rows for the bulk path: the keys were never dropped.
    expect(await ordersKeys(pg)).toEqual(before);
  });

  /**
   * Pushes `big` while another session, in an open transaction, holds `lock`; checks the
   * orders went in (10 were there already) and returns once the other session has committed.
   */
  async function pushWhileLocked(lock: string): Promise<void> {
    localFile(big, ORDERS);
    const other = new Client({ connectionString: pg.url });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query(lock);
      const result = await push({ local: big, remote: pg.url, sourceId: 'app' });
      const orders = result.tables.find((t) => t.table === 'orders')!;
      expect([orders.inserted, orders.unchanged, orders.skipped.length]).toEqual([ORDERS - 10, 10, 0]);
      await other.query('COMMIT');
    } finally {
      await other.end();
    }
    const [n] = await pg.query<{ n: string }>('SELECT count(*)::text AS n FROM orders');
    expect(n!.n).toBe(String(ORDERS));
  }

  it('a parent table in use (a reader holds a lock on it) does not hold the push up: the rows go in checked one by one', async () => {
    const keys = await ordersKeys(pg);
    // A long report reading users: dropping a foreign key that points at users would have to wait for it.
    await pushWhileLocked('LOCK TABLE users IN ACCESS SHARE MODE');
    // The same constraints as before, never dropped.
    expect(await ordersKeys(pg)).toEqual(keys);
  });

  /** Tables of the target with column statistics (what ANALYZE leaves for the planner). */
  async function analysed(): Promise<string[]> {
    const rows = await pg.query<{ t: string }>(`SELECT DISTINCT tablename AS t FROM pg_stats WHERE schemaname = 'public' ORDER BY 1`);
    return rows.map((r) => r.t);
  }

  it('a target table without statistics is analysed before its merge (the planner would guess)', async () => {
    // Ten rows each: far below autovacuum's threshold, so nothing has analysed them.
    expect(await analysed()).toEqual([]);
    localFile(big, ORDERS);
    await push({ local: big, remote: pg.url, sourceId: 'app' });
    expect(await analysed()).toEqual(['orders', 'users']);
  });

  it('a table another session holds for its own ANALYZE does not hold the push up: it merges without statistics', async () => {
    await pushWhileLocked('LOCK TABLE orders IN SHARE UPDATE EXCLUSIVE MODE');
    // users was free and got its statistics; orders went on without.
    expect(await analysed()).toEqual(['users']);
  });
});
