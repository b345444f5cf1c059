import { AdapterRegistry } from '@hesap/core';
import { copy } from '@hesap/api';
import { postgresAdapter } from '@hesap/adapter-postgres';
import { sqliteAdapter } from '@hesap/adapter-sqlite';
import { mysqlAdapter } from '@hesap/adapter-mysql';
import { createMysqlDatabase, createTestDatabase, describeMysql, type MysqlTestDatabase, type TestDatabase } from '@hesap/test-support';

/**
 * A database written by hand in MySQL's own dialect (not by hesap): unsigned and
 * BIGINT UNSIGNED, TINYINT(1) that is not a boolean, ENUM, JSON, TIMESTAMP, YEAR, BIT,
 * defaults, a generated column, a prefix index, a view. What it holds must reach
 * PostgreSQL as the same values, and come back with MySQL's own declarations.
 */
const SCHEMA = [
  `CREATE TABLE customers (
     id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
     email VARCHAR(120) NOT NULL UNIQUE,
     active TINYINT(1) NOT NULL DEFAULT 1,
     level TINYINT(1) NULL,
     plan ENUM('free', 'pro') NOT NULL DEFAULT 'free',
     born YEAR NULL,
     flags BIT(8) NULL,
     big BIGINT UNSIGNED NULL,
     prefs JSON NULL,
     created TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
     note TEXT NULL,
     name_upper VARCHAR(120) AS (UPPER(email)) VIRTUAL,
     KEY note_prefix (note(20))
   ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci AUTO_INCREMENT=100`,
  `CREATE TABLE orders (
     id BIGINT NOT NULL AUTO_INCREMENT,
     customer_id INT UNSIGNED NOT NULL,
     total DECIMAL(10,2) NOT NULL DEFAULT '0.00',
     placed DATETIME NOT NULL,
     PRIMARY KEY (id),
     KEY by_customer (customer_id, placed),
     CONSTRAINT orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id) ON DELETE CASCADE
   ) ENGINE=InnoDB`,
  `CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 100`,
  `INSERT INTO customers (id, email, active, level, plan, born, flags, big, prefs, created, note) VALUES
     (1, 'ayse@example.com', 1, 2, 'pro', 1990, b'10100101', 18446744073709551615, '{"theme": "dark",  "n": [1, 2.50]}', '2024-03-05 07:08:09.123', 'İstanbul'),
     (2, 'ali@example.com', 0, NULL, 'free', NULL, NULL, NULL, NULL, '2024-03-05 07:08:09', '')`,
  `INSERT INTO orders (id, customer_id, total, placed) VALUES (1, 1, 250.50, '2024-01-01 10:00:00'), (2, 2, 0.00, '2024-01-02 11:30:00')`,
];

describeMysql('a database made in MySQL', () => {
  const registry = new AdapterRegistry().register(sqliteAdapter).register(postgresAdapter).register(mysqlAdapter);
  let source: MysqlTestDatabase;
  let back: MysqlTestDatabase;
  let pg: TestDatabase;

  beforeAll(async () => {
    [source, back, pg] = await Promise.all([createMysqlDatabase('native'), createMysqlDatabase('native_back'), createTestDatabase('mysql_native')]);
    for (const sql of SCHEMA) await source.query(sql);
  });
  afterAll(async () => {
    await Promise.all([source?.drop(), back?.drop(), pg?.drop()]);
  });

  it('reads its schema from information_schema', async () => {
    const session = await mysqlAdapter.openSource(source.url);
    try {
      const schema = await session.introspect({ profile: true });
      expect(schema.views.map((v) => v.name)).toEqual(['big_orders']);
      const customers = schema.tables.find((t) => t.name === 'customers')!;
      const types = Object.fromEntries(customers.columns.map((c) => [c.name, c.type]));
      expect(types).toEqual({
        id: 'integer',
        email: 'text',
        active: 'boolean',
        // TINYINT(1) holding a 2 is an integer: a boolean would lose it.
        level: 'integer',
        plan: 'text',
        born: 'integer',
        flags: 'bytes',
        big: 'decimal',
        prefs: 'json',
        created: 'timestamptz',
        note: 'text',
      });
      expect(customers.sequence).toEqual({ column: 'id', lastValue: 99n, strict: undefined });
      expect(customers.uniques.map((u) => u.columns)).toEqual([['email']]);
      expect(customers.columns.find((c) => c.name === 'plan')!.default).toEqual({ kind: 'literal', value: 'free' });
      expect(customers.columns.find((c) => c.name === 'created')!.default).toEqual({ kind: 'now', precision: 3 });
      expect(schema.notes.map((n) => n.code).sort()).toEqual(['GENERATED_COLUMN_SKIPPED', 'INDEX_SKIPPED', 'TYPE_FALLBACK']);
      const orders = schema.tables.find((t) => t.name === 'orders')!;
      expect(orders.foreignKeys).toEqual([
        { name: 'orders_customer', columns: ['customer_id'], references: { table: 'customers', columns: ['id'] }, onDelete: 'CASCADE', onUpdate: 'NO ACTION' },
      ]);
      expect(orders.indexes).toEqual([{ name: 'by_customer', columns: ['customer_id', 'placed'], unique: false }]);
    } finally {
      await session.close();
    }
  });

  it('reads every table from one snapshot while others write', async () => {
    const session = await mysqlAdapter.openSource(source.url);
    try {
      const schema = await session.introspect({ profile: true });
      const orders = schema.tables.find((t) => t.name === 'orders')!;
      expect(await session.countRows(orders)).toBe(2);
      await source.query(`INSERT INTO orders (id, customer_id, total, placed) VALUES (3, 1, 1.00, '2024-02-01 00:00:00')`);
      expect(await session.countRows(orders)).toBe(2);
      let csv = '';
      for await (const chunk of session.readTable(orders)) csv += chunk.toString();
      expect(csv).toBe('1,1,"250.50","2024-01-01 10:00:00"\n2,2,"0.00","2024-01-02 11:30:00"\n');
    } finally {
      await session.close();
      await source.query('DELETE FROM orders WHERE id = 3');
    }
  });

  it('goes to PostgreSQL with the same values and comes back with its own declarations', async () => {
    await copy({ from: source.url, to: pg.url }, registry);
    const [ayse] = await pg.query(`SELECT id, active, level, plan, born, encode(flags, 'hex') AS flags, big::text, prefs::text, created::text, note FROM customers WHERE id = 1`);
    expect(ayse).toEqual({
      id: '1',
      active: true,
      level: 2,
      plan: 'pro',
      born: '1990',
      flags: 'a5',
      big: '18446744073709551615',
      prefs: '{"theme": "dark",  "n": [1, 2.50]}',
      created: '2024-03-05 07:08:09.123+00',
      note: 'İstanbul',
    });
    // The widths PostgreSQL has: INT UNSIGNED goes past integer, a TINYINT fits smallint.
    const created = await pg.query<{ c: string; type: string }>(
      `SELECT attname AS c, format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = 'customers'::regclass AND attname IN ('id', 'email', 'level') ORDER BY attnum`,
    );
    expect(created).toEqual([
      { c: 'id', type: 'bigint' },
      { c: 'email', type: 'character varying(120)' },
      { c: 'level', type: 'smallint' },
    ]);
    await copy({ from: pg.url, to: back.url }, registry);
    const declared = async (db: MysqlTestDatabase) =>
      db.query<{ t: string; c: string; type: string; d: string | null }>(
        `SELECT TABLE_NAME AS t, COLUMN_NAME AS c, COLUMN_TYPE AS type, COLUMN_DEFAULT AS d FROM information_schema.COLUMNS
          WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ('customers', 'orders') AND COLUMN_NAME <> 'name_upper' ORDER BY TABLE_NAME, ORDINAL_POSITION`,
      );
    expect(await declared(back)).toEqual(await declared(source));
    const checks = (db: MysqlTestDatabase) => db.query('SELECT TABLE_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() ORDER BY 1, 2');
    expect(await checks(back)).toEqual(await checks(source));
    const rows = (db: MysqlTestDatabase) => db.query(`SELECT id, email, active, level, plan, born, HEX(flags) AS flags, big, prefs, created, note FROM customers ORDER BY id`);
    expect(await rows(back)).toEqual(await rows(source));
    const orders = (db: MysqlTestDatabase) => db.query('SELECT * FROM orders ORDER BY id');
    expect(await orders(back)).toEqual(await orders(source));
    const [next] = await back.query<{ n: string }>(`SELECT AUTO_INCREMENT AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'customers'`);
    expect(String(next!.n)).toBe('100');
  });

  it('refuses what MySQL would round or change, and leaves nothing behind', async () => {
    const target = await createMysqlDatabase('refuse');
    try {
      await pg.query(`CREATE TABLE precise (id int PRIMARY KEY, amount numeric(12,6), ratio double precision)`);
      await pg.query(`INSERT INTO precise VALUES (1, 1.000001, 0.5)`);
      await pg.query(`CREATE TABLE specials (id int PRIMARY KEY, ratio double precision)`);
      await pg.query(`INSERT INTO specials VALUES (1, 'Infinity')`);
      await expect(copy({ from: pg.url, to: target.url, tables: ['specials', 'precise'] }, registry)).rejects.toMatchObject({ code: 'VALUE_UNREPRESENTABLE', table: 'specials' });
      expect(await target.query('SHOW TABLES')).toEqual([]);
      const done = await copy({ from: pg.url, to: target.url, tables: ['precise'] }, registry);
      expect(done.tables[0]).toMatchObject({ inserted: 1 });
      expect(await target.query('SELECT amount, ratio FROM precise')).toEqual([{ amount: '1.000001', ratio: 0.5 }]);
    } finally {
      await target.drop();
    }
  });
});
