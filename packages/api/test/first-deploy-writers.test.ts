import * as path from 'node:path';
import { createTestDatabase, dumpSqlite, openSqlite, tempDir, writeSqlite, type TestDatabase } from '@hesap/test-support';
import { pull, push, verify } from '@hesap/api';

/**
 * A first deploy (push makes the tables) of columns whose declaration tells who wrote them:
 * Django's `datetime` in a file that holds `django_migrations` becomes `timestamptz`, as Django
 * makes it in PostgreSQL, and TINYINT(1), Sequelize's and Laravel's boolean, becomes `boolean`.
 * A pull gives back the very values, declarations and all.
 */

const types = (pg: TestDatabase, table: string) =>
  pg
    .query<{ name: string; type: string }>(
      `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a
        WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
      [table],
    )
    .then((rows) => Object.fromEntries(rows.map((r) => [r.name, r.type])));

const declared = (file: string, table: string) => {
  const db = openSqlite(file);
  try {
    return (db.prepare(`PRAGMA table_info("${table}")`).all() as Array<{ name: string; type: string; dflt_value: string | null }>).map((c) => [c.name, c.type, c.dflt_value]);
  } finally {
    db.close();
  }
};

describe("a Django project's file", () => {
  let pg: TestDatabase;
  const tmp = tempDir('hesap-django-file');
  const local = path.join(tmp.dir, 'db.sqlite3');

  beforeAll(async () => {
    pg = await createTestDatabase('django_file');
    writeSqlite(
      local,
      `CREATE TABLE "django_migrations" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "app" varchar(255) NOT NULL, "name" varchar(255) NOT NULL, "applied" datetime NOT NULL);
       CREATE TABLE "events" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "at" datetime NOT NULL, "six" datetime NULL, "whole" datetime NULL,
         "never" datetime NULL, "day" date NULL, "raw" DATETIME NULL);`,
      (db) => {
        db.prepare(`INSERT INTO django_migrations (app, name, applied) VALUES ('app', '0001_initial', '2024-01-01 09:00:00.123456')`).run();
        const insert = db.prepare('INSERT INTO events (at, six, whole, day, raw) VALUES (?, ?, ?, ?, ?)');
        // str() of a naive UTC datetime, as Django writes it: six digits, none when they are zero.
        insert.run('2024-07-01 08:00:00', '2024-01-02 03:04:05.678900', '2024-01-02 03:04:05', '2024-01-02', '2024-01-02 03:04:05.678900');
        insert.run('2024-01-02 03:04:05.500000', '2024-02-29 23:59:59.999999', '2024-02-29 23:59:59', null, '2024-01-02 03:04:05.000000');
      },
    );
  });
  afterAll(async () => {
    await pg.drop();
    tmp.cleanup();
  });

  it('push makes its datetime columns timestamptz holding the UTC instants, and says so', async () => {
    const pushed = await push({ local, remote: pg.url });
    expect(await types(pg, 'events')).toEqual({
      id: 'integer',
      at: 'timestamp with time zone',
      six: 'timestamp with time zone',
      whole: 'timestamp with time zone',
      never: 'timestamp with time zone',
      day: 'date',
      // Not Django's declaration: decided as in any file.
      raw: 'timestamp(6) without time zone',
    });
    expect((await types(pg, 'django_migrations')).applied).toBe('timestamp with time zone');
    expect(pushed.notes.filter((n) => n.code === 'DJANGO_DATETIMES')).toHaveLength(1);
    const utc = await pg.query<{ at: string }>(`SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS at FROM events ORDER BY id`);
    expect(utc.map((r) => r.at)).toEqual(['2024-07-01 08:00:00.000000', '2024-01-02 03:04:05.500000']);
  });

  it('a pull gives back every text, and verify finds both sides the same', async () => {
    const back = path.join(tmp.dir, 'back.sqlite3');
    await pull({ local: back, remote: pg.url });
    expect(dumpSqlite(back)).toEqual(dumpSqlite(local));
    expect(declared(back, 'events')).toEqual(declared(local, 'events'));
    const result = await verify({ local, remote: pg.url });
    expect(result.tables.filter((t) => t.status !== 'same')).toEqual([]);
  });

  it('values the app adds in PostgreSQL come back as Django writes them', async () => {
    await pg.query(`INSERT INTO events (at, six, whole, never) VALUES ('2025-05-05 05:05:05.5+00', '2025-05-05 07:05:05+02', '2025-05-05 05:05:05.25+00', '2025-05-05 05:05:05+00')`);
    const again = path.join(tmp.dir, 'again.sqlite3');
    await pull({ local: again, remote: pg.url });
    const db = openSqlite(again);
    try {
      expect(db.prepare('SELECT at, six, whole, never FROM events ORDER BY id DESC LIMIT 1').raw(true).get()).toEqual([
        '2025-05-05 05:05:05.500000',
        '2025-05-05 05:05:05',
        '2025-05-05 05:05:05.250000',
        '2025-05-05 05:05:05',
      ]);
    } finally {
      db.close();
    }
  });

  it('pushes into tables an earlier push made timestamp', async () => {
    const earlier = await createTestDatabase('django_file_earlier');
    try {
      await earlier.query(`CREATE TABLE events (id bigint PRIMARY KEY, at timestamp NOT NULL, six timestamp, whole timestamp, never timestamp, day date, raw timestamp(6))`);
      await push({ local, remote: earlier.url, tables: ['events'] });
      const rows = await earlier.query<{ at: string }>(`SELECT at::text AS at FROM events ORDER BY id`);
      expect(rows.map((r) => r.at)).toEqual(['2024-07-01 08:00:00', '2024-01-02 03:04:05.5']);
    } finally {
      await earlier.drop();
    }
  });
});

describe('TINYINT(1) columns (Sequelize, Laravel)', () => {
  let pg: TestDatabase;
  const tmp = tempDir('hesap-tinyint');
  const local = path.join(tmp.dir, 'app.db');

  beforeAll(async () => {
    pg = await createTestDatabase('tinyint_one');
    writeSqlite(
      local,
      'CREATE TABLE `users` (`id` INTEGER PRIMARY KEY AUTOINCREMENT, `is_active` TINYINT(1) NOT NULL DEFAULT 1, `is_admin` TINYINT(1), `level` TINYINT(1), `rank` TINYINT(4));',
      (db) => {
        const insert = db.prepare('INSERT INTO users (is_active, is_admin, level, rank) VALUES (?, ?, ?, ?)');
        insert.run(1, 0, 1, 1);
        insert.run(0, null, 2, 0);
        insert.run(1, 1, 0, 1);
      },
    );
  });
  afterAll(async () => {
    await pg.drop();
    tmp.cleanup();
  });

  it('push makes those holding only 0 and 1 boolean; a pull gives back 0 and 1 under the same declaration', async () => {
    const pushed = await push({ local, remote: pg.url });
    expect(await types(pg, 'users')).toEqual({ id: 'integer', is_active: 'boolean', is_admin: 'boolean', level: 'bigint', rank: 'bigint' });
    expect(pushed.notes.find((n) => n.column === 'level')?.message).toMatch(/other than 0 and 1/);
    const [row] = await pg.query<{ d: string }>(`SELECT pg_get_expr(adbin, adrelid) AS d FROM pg_attrdef WHERE adrelid = 'users'::regclass AND adnum = 2`);
    expect(row!.d).toBe('true');
    const back = path.join(tmp.dir, 'back.db');
    await pull({ local: back, remote: pg.url });
    expect(dumpSqlite(back)).toEqual(dumpSqlite(local));
    expect(declared(back, 'users')).toEqual(declared(local, 'users'));
  });
});
