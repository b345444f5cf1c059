import * as path from 'node:path';
import { createTestDatabase, openSqlite, tempDir, type TestDatabase } from '@hesap/test-support';
import { push } from '@hesap/api';

/**
 * A merge keeps hidden columns beside the table's own in its staging table. A user's table
 * may have columns of any name, hesap's own included: a merge must still work, and keep
 * the values of those columns as they are. (Before, a column named `__hesap_row` failed the
 * merge with "current transaction is aborted".)
 */

const INTERNAL = ['__hesap_row', '__hesap_tgt', '__hesap_how', '__hesap_skip', '__hesap_skip_constraint', '__hesap_skip_target', '__hesap_k0', '__hesap1_row'];
const columns = INTERNAL.map((c) => `"${c}" TEXT`).join(', ');
const values = (tag: string) => INTERNAL.map((c) => `'${tag}:${c}'`).join(', ');

describe('merge with columns named like hesap\'s own', () => {
  const tmp = tempDir('hesap-merge-names');
  const local = path.join(tmp.dir, 'app.db');
  let pg: TestDatabase;

  beforeAll(async () => {
    pg = await createTestDatabase('merge_names');
    const db = openSqlite(local);
    db.exec(`
      CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, ${columns});
      -- keyed by its user's id: the key follows the parent's (its source value kept in a hidden column)
      CREATE TABLE profiles (user_id INTEGER PRIMARY KEY REFERENCES users (id), bio TEXT, ${columns});
      CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id), ${columns});
      INSERT INTO users VALUES (1, 'ali@example.com', ${values('u1')}), (2, 'ayse@example.com', ${values('u2')});
      INSERT INTO profiles VALUES (1, 'Ali', ${values('p1')});
      INSERT INTO orders VALUES (1, 1, ${values('o1')});
    `);
    db.close();
  });
  afterAll(async () => {
    await pg?.drop();
    tmp.cleanup();
  });

  it('merges twice: rows remapped, children follow, the columns keep their values', async () => {
    const first = await push({ local, remote: pg.url });
    expect(Object.fromEntries(first.tables.map((t) => [t.table, t.inserted]))).toEqual({ users: 2, profiles: 1, orders: 1 });
    // Production hands out id 3 to its own user; locally id 3 is someone else, with a profile and an order.
    await pg.query(`INSERT INTO users (id, email) VALUES (3, 'prod@example.com')`);
    const db = openSqlite(local);
    // An orphan the merge must skip: SQLite files often hold them (foreign keys off).
    db.pragma('foreign_keys = OFF');
    db.exec(`INSERT INTO users VALUES (3, 'can@example.com', ${values('u3')});
             INSERT INTO profiles VALUES (3, 'Can', ${values('p3')});
             INSERT INTO orders VALUES (2, 3, ${values('o2')}), (3, 99, ${values('o3')});`);
    db.close();
    for (const round of [1, 2]) {
      const result = await push({ local, remote: pg.url, skipOrphans: true });
      const byTable = Object.fromEntries(result.tables.map((t) => [t.table, { inserted: t.inserted, skipped: t.skipped.map((s) => s.sourceKey) }]));
      expect({ round, byTable }).toEqual({
        round,
        byTable: {
          users: { inserted: round === 1 ? 1 : 0, skipped: [] },
          profiles: { inserted: round === 1 ? 1 : 0, skipped: [] },
          // Order 3's user does not exist anywhere: skipped, and said so, both times.
          orders: { inserted: round === 1 ? 1 : 0, skipped: ['id=3'] },
        },
      });
    }
    const can = (await pg.query<{ id: number }>(`SELECT id::int AS id FROM users WHERE email = 'can@example.com'`))[0]!.id;
    expect(can).toBe(4);
    const rows = await pg.query<Record<string, string>>(
      `SELECT 'users' AS t, u.id::text AS id, ${INTERNAL.map((c) => `u."${c}"`).join(', ')} FROM users u WHERE u.id <> 3
       UNION ALL SELECT 'profiles', p.user_id::text, ${INTERNAL.map((c) => `p."${c}"`).join(', ')} FROM profiles p
       UNION ALL SELECT 'orders', o.user_id::text, ${INTERNAL.map((c) => `o."${c}"`).join(', ')} FROM orders o ORDER BY 1, 2`,
    );
    const tagOf = (r: Record<string, string>) => r[INTERNAL[0]!]!.split(':')[0];
    expect(rows.map((r) => [r.t, r.id, tagOf(r)])).toEqual([
      ['orders', '1', 'o1'],
      ['orders', String(can), 'o2'],
      ['profiles', '1', 'p1'],
      ['profiles', String(can), 'p3'],
      ['users', '1', 'u1'],
      ['users', '2', 'u2'],
      ['users', String(can), 'u3'],
    ]);
    // Every one of the columns holds its own value, as pushed.
    for (const r of rows) for (const c of INTERNAL) expect(r[c]).toBe(`${tagOf(r)}:${c}`);
  });
});
