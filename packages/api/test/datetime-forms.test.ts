import * as path from 'node:path';
import { createTestDatabase, dumpSqlite, openSqlite, tempDir, writeSqlite, type TestDatabase } from '@hesap/test-support';
import { pull, push, verify } from '@hesap/api';

/**
 * Date-time text in the form each ORM writes it: push makes the column a PostgreSQL date-time
 * type and records the form; pull writes every value back as the very text it was.
 */

/** Column name, declared type, PostgreSQL type push must choose, and the values (one form per column). */
const COLUMNS: Array<[string, string, string, Array<string | null>]> = [
  // SQLAlchemy and Rails: six digits, always.
  ['sqlalchemy', 'DATETIME', 'timestamp(6) without time zone', ['2024-01-02 03:04:05.678900', '2024-01-02 03:04:05.000000', '1999-12-31 23:59:59.100000', null]],
  // Python's isoformat(): T, fraction left out when zero.
  ['isoformat', 'DATETIME', 'timestamp without time zone', ['2024-01-02T03:04:05.678900', '2024-01-02T03:04:05', '0001-01-01T00:00:00.000001', null]],
  // Django (str() of a naive UTC datetime): a space, fraction left out when zero.
  ['django', 'datetime', 'timestamp without time zone', ['2024-01-02 03:04:05.678900', '2024-01-02 03:04:05', '2024-06-30 12:00:00.5', null].slice(0, 2).concat(['2024-06-30 12:00:00.500000'])],
  // isoformat() of an aware datetime in UTC.
  ['aware', 'DATETIME', 'timestamp with time zone', ['2024-01-02T03:04:05.678900+00:00', '2024-01-02T03:04:05+00:00', null]],
  // One offset for every value: the instant is kept, the offset restored.
  ['paris', 'TIMESTAMP', 'timestamp(3) with time zone', ['2024-01-02 03:04:05.678+01:00', '2024-07-02 00:00:00.000+01:00']],
  // Sequelize: three digits, a space, then the offset.
  ['sequelize', 'DATETIME', 'timestamp(3) with time zone', ['2024-01-02 03:04:05.678 +00:00', '2024-01-02 03:04:05.000 +00:00']],
  // JavaScript's toISOString().
  ['iso_js', 'DATETIME', 'timestamp(3) with time zone', ['2024-01-02T03:04:05.678Z', '1970-01-01T00:00:00.000Z']],
  // T and no fraction.
  ['seconds_t', 'DATETIME', 'timestamp(0) without time zone', ['2024-01-02T03:04:05', '2024-01-02T23:59:59']],
  // Two fraction digits, trailing zeros kept.
  ['two_digits', 'DATETIME', 'timestamp(2) without time zone', ['2024-01-02 03:04:05.10', '2024-01-02 03:04:05.00']],
  // TypeORM, as before.
  ['typeorm', 'datetime', 'timestamp(3) without time zone', ['2024-01-02 03:04:05.100', '2024-01-02 03:04:05.000']],
  // Times of day: SQLAlchemy's Time writes six digits.
  ['clock', 'TIME', 'time(6) without time zone', ['03:04:05.678900', '23:59:59.000000']],
  ['clock_py', 'TIME', 'time without time zone', ['03:04:05.678900', '23:59:59']],
];

/** Mixes no single form describes: they stay text, with a note saying why. */
const TEXT_COLUMNS: Array<[string, string, Array<string>, RegExp]> = [
  ['mixed_zones', 'DATETIME', ['2024-01-02T03:04:05+01:00', '2024-01-02T03:04:05+02:00'], /different time zones/],
  ['some_zones', 'DATETIME', ['2024-01-02T03:04:05+01:00', '2024-01-02T03:04:05'], /some values have a time zone/],
  ['mixed_separators', 'DATETIME', ['2024-01-02T03:04:05', '2024-01-02 03:04:05'], /'T' between date and time/],
  ['mixed_digits', 'DATETIME', ['2024-01-02 03:04:05.10', '2024-01-02 03:04:05.100'], /numbers of fraction digits/],
  ['seven_digits', 'DATETIME', ['2024-01-02 03:04:05.1234567'], /reads as written/],
  ['hour_24', 'DATETIME', ['2024-01-02T24:00:00'], /reads as written/],
];

describe('date-time text in every ORM form', () => {
  let pg: TestDatabase;
  const tmp = tempDir('hesap-forms');
  const local = path.join(tmp.dir, 'forms.db');
  const back = path.join(tmp.dir, 'back.db');

  beforeAll(async () => {
    pg = await createTestDatabase('forms');
    writeSqlite(local, '', (db) => {
      for (const [name, declared, , values] of COLUMNS) {
        db.exec(`CREATE TABLE "${name}" (id INTEGER PRIMARY KEY, v ${declared})`);
        for (const v of values) db.prepare(`INSERT INTO "${name}" (v) VALUES (?)`).run(v);
      }
      for (const [name, declared, values] of TEXT_COLUMNS) {
        db.exec(`CREATE TABLE "${name}" (id INTEGER PRIMARY KEY, v ${declared})`);
        for (const v of values) db.prepare(`INSERT INTO "${name}" (v) VALUES (?)`).run(v);
      }
    });
  });
  afterAll(async () => {
    await pg.drop();
    tmp.cleanup();
  });

  it('push makes each column a date-time type, and a pull gives back every text exactly', async () => {
    const pushed = await push({ local, remote: pg.url });
    const types = await pg.query<{ t: string; type: string }>(
      `SELECT c.relname AS t, format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND a.attname = 'v'`,
    );
    const typeOf = Object.fromEntries(types.map((r) => [r.t, r.type]));
    expect(typeOf).toMatchObject(Object.fromEntries(COLUMNS.map(([name, , type]) => [name, type])));
    for (const [name, , , why] of TEXT_COLUMNS) {
      expect(typeOf[name]).toBe('text');
      expect(pushed.notes.find((n) => n.table === name)?.message).toMatch(why);
    }
    await pull({ local: back, remote: pg.url });
    expect(dumpSqlite(back)).toEqual(dumpSqlite(local));
  });

  it('PostgreSQL holds the instants the texts name', async () => {
    const [paris] = await pg.query<{ utc: string }>(`SELECT to_char(v AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS') AS utc FROM paris WHERE id = 1`);
    expect(paris!.utc).toBe('2024-01-02 02:04:05.678');
    const [py] = await pg.query<{ v: string }>(`SELECT v::text AS v FROM isoformat WHERE id = 2`);
    expect(py!.v).toBe('2024-01-02 03:04:05');
  });

  it('verify finds both sides the same', async () => {
    const result = await verify({ local, remote: pg.url });
    expect(result.tables.filter((t) => t.status !== 'same')).toEqual([]);
  });

  it('values the app adds in PostgreSQL later come back in the column form, never losing a digit', async () => {
    await pg.query(`INSERT INTO sqlalchemy (v) VALUES ('2025-05-05 05:05:05.5'), ('2025-05-05 05:05:05')`);
    await pg.query(`INSERT INTO isoformat (v) VALUES ('2025-05-05 05:05:05.5'), ('2025-05-05 05:05:05')`);
    await pg.query(`INSERT INTO paris (v) VALUES ('2025-05-05 05:05:05.25+00'), ('infinity')`);
    await pg.query(`INSERT INTO seconds_t (v) VALUES ('2025-05-05 05:05:05')`);
    const again = path.join(tmp.dir, 'again.db');
    await pull({ local: again, remote: pg.url });
    const db = openSqlite(again);
    const added = (t: string) => (db.prepare(`SELECT v FROM "${t}" ORDER BY id`).pluck().all() as string[]).slice(-2);
    expect(added('sqlalchemy')).toEqual(['2025-05-05 05:05:05.500000', '2025-05-05 05:05:05.000000']);
    expect(added('isoformat')).toEqual(['2025-05-05T05:05:05.500000', '2025-05-05T05:05:05']);
    expect(added('paris')).toEqual(['2025-05-05 06:05:05.250+01:00', 'infinity']);
    expect(added('seconds_t')).toEqual(['2024-01-02T23:59:59', '2025-05-05T05:05:05']);
    db.close();
  });
});
