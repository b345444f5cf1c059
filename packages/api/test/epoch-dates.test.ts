import * as path from 'node:path';
import { HesapError } from '@hesap/core';
import { createTestDatabase, databasePerTest, dumpSqlite, openSqlite, tempDir, writeSqlite } from '@hesap/test-support';
import { copy, pull, push, verify } from '@hesap/api';

/**
 * Epoch integers the user maps to dates (`epochDates`): Knex (better-sqlite3) and Prisma store a
 * Date in SQLite as milliseconds since 1970, Drizzle's `integer({ mode: 'timestamp' })` as
 * seconds. Real SQLite files, real PostgreSQL.
 */

/** The UTC date and time an epoch value names, as `to_char(... 'YYYY-MM-DD HH24:MI:SS.MS')` prints it. */
const utcText = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

// Knex's and Prisma's milliseconds, before 1970 and at both ends of years 1-9999 included.
const MILLIS = [1719820800123, 0, -1, 951782400000, -2208988800001, -62135596800000, 253402300799999];

/** What PostgreSQL says a column is: its type and hesap's comment. */
async function columnFacts(db: { query: (sql: string) => Promise<Array<Record<string, unknown>>> }, table: string, column: string) {
  const [row] = await db.query(
    `SELECT format_type(atttypid, atttypmod) AS type, col_description(attrelid, attnum) AS comment FROM pg_attribute WHERE attrelid = '${table}'::regclass AND attname = '${column}'`,
  );
  return row as { type: string; comment: string | null };
}

/** Rows of a query on a SQLite file, the file closed after. */
function sqliteRows(file: string, sql: string): unknown[] {
  const db = openSqlite(file);
  try {
    return db.prepare(sql).all();
  } finally {
    db.close();
  }
}

async function refusal(work: Promise<unknown>): Promise<HesapError> {
  const error = await work.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(HesapError);
  return error as HesapError;
}

describe('epoch integers mapped to dates (`epochDates`)', () => {
  const pg = databasePerTest('epoch');
  const tmp = tempDir('hesap-epoch');
  afterAll(() => tmp.cleanup());

  /** A file as Knex writes it: `datetime` columns holding epoch milliseconds, one holding text. */
  function knexFile(name: string, values: readonly number[] = MILLIS): string {
    return writeSqlite(
      path.join(tmp.dir, `${name}.db`),
      'CREATE TABLE events (id integer not null primary key autoincrement, name varchar(255), at datetime not null, seen datetime, made datetime)',
      (db) => values.forEach((v, i) => db.prepare('INSERT INTO events VALUES (?, ?, ?, ?, ?)').run(i + 1, `e${i}`, v, i % 2 ? null : v, '2024-01-02 03:04:05')),
    );
  }

  it('a first deploy makes epoch milliseconds timestamptz(3), exactly (before 1970 too), records the unit, and a pull gives the same integers back', async () => {
    const local = knexFile('first');
    const result = await push({ local, remote: pg.url, epochDates: 'ms' });
    expect(await columnFacts(pg, 'events', 'at')).toEqual({ type: 'timestamp(3) with time zone', comment: expect.stringContaining('"epoch":"ms"') });
    // A datetime column holding text is no epoch column: it keeps its own type.
    expect((await columnFacts(pg, 'events', 'made')).type).toBe('timestamp without time zone');
    expect(result.notes.filter((n) => n.code === 'EPOCH_DATES').map((n) => n.column)).toEqual(['at', 'seen']);
    const rows = await pg.query<{ at: string }>(`SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS') AS at FROM events ORDER BY id`);
    expect(rows.map((r) => r.at)).toEqual(MILLIS.map(utcText));

    // The record is enough: verify and pull need no mapping.
    expect((await verify({ local, remote: pg.url })).tables.map((t) => [t.table, t.status])).toEqual([['events', 'same']]);
    const pulled = path.join(tmp.dir, 'first-pulled.db');
    await pull({ local: pulled, remote: pg.url });
    expect(dumpSqlite(pulled).tables.events!.rows).toEqual(dumpSqlite(local).tables.events!.rows);
    expect(sqliteRows(pulled, `SELECT type FROM pragma_table_info('events') WHERE name = 'at'`)).toEqual([{ type: 'datetime' }]);
  });

  it('copies such a table from PostgreSQL to PostgreSQL as the instants, and a SQLite file made from the copy holds the integers', async () => {
    const local = knexFile('copied');
    await push({ local, remote: pg.url, epochDates: 'ms' });
    const other = await createTestDatabase('epoch_copy');
    try {
      await copy({ from: pg.url, to: other.url });
      const at = `SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS') AS at FROM events ORDER BY id`;
      expect(await other.query(at)).toEqual(await pg.query(at));
      const pulled = path.join(tmp.dir, 'copied-pulled.db');
      await pull({ local: pulled, remote: other.url });
      expect(dumpSqlite(pulled).tables.events!.rows).toEqual(dumpSqlite(local).tables.events!.rows);
    } finally {
      await other.drop();
    }
  });

  it("maps one column of Drizzle's epoch seconds into the timestamp column its PostgreSQL side made, as UTC, and pulls them back as seconds", async () => {
    await pg.query('CREATE TABLE sessions (id serial PRIMARY KEY, token text NOT NULL, expires_at timestamp NOT NULL)');
    const seconds = [1719820800, -86400, 0, -62135596800, 253402300799];
    const local = writeSqlite(path.join(tmp.dir, 'drizzle.db'), 'CREATE TABLE `sessions` (`id` integer PRIMARY KEY NOT NULL, `token` text NOT NULL, `expires_at` integer NOT NULL)', (db) =>
      seconds.forEach((s, i) => db.prepare('INSERT INTO sessions VALUES (?, ?, ?)').run(i + 1, `t${i}`, s)),
    );
    const epochDates = { 'sessions.expires_at': 's' } as const;
    await push({ local, remote: pg.url, epochDates });
    const rows = await pg.query<{ at: string }>(`SELECT to_char(expires_at, 'YYYY-MM-DD HH24:MI:SS.MS') AS at FROM sessions ORDER BY id`);
    expect(rows.map((r) => r.at)).toEqual(seconds.map((s) => utcText(s * 1000)));
    expect((await verify({ local, remote: pg.url, epochDates })).same).toBe(true);
    const again = await push({ local, remote: pg.url, epochDates });
    expect(again.tables.map((t) => [t.table, t.inserted, t.updated])).toEqual([['sessions', 0, 0]]);

    const pulled = path.join(tmp.dir, 'drizzle-pulled.db');
    await pull({ local: pulled, remote: pg.url, epochDates });
    const back = sqliteRows(pulled, 'SELECT typeof(expires_at) AS kind, expires_at AS at FROM sessions ORDER BY id');
    expect(back).toEqual(seconds.map((at) => ({ kind: 'integer', at })));
  });

  it('pushes into the timestamptz columns Knex made in production, and pulls them into the app file that declares them as integers again', async () => {
    await pg.query('create table "events" ("id" serial primary key, "name" varchar(255), "at" timestamptz not null, "seen" timestamptz, "made" timestamptz)');
    const local = knexFile('knex');
    await push({ local, remote: pg.url, epochDates: 'ms' });
    expect((await columnFacts(pg, 'events', 'at')).comment).toBeNull();
    // Verify compares by meaning, and names the column that differs.
    expect((await verify({ local, remote: pg.url, epochDates: 'ms' })).same).toBe(true);
    await pg.query(`UPDATE events SET at = at + interval '1 millisecond' WHERE id = 3`);
    const differs = await verify({ local, remote: pg.url, epochDates: 'ms' });
    expect(differs.tables.map((t) => [t.table, t.status, t.differences])).toEqual([['events', 'different', [{ key: 'id=3', kind: 'changed', columns: ['at'] }]]]);

    // Production's own row, with a fraction finer than milliseconds: read as PostgreSQL prints it, never cut.
    await pg.query(`INSERT INTO events (name, at) VALUES ('fine', '2024-01-02 03:04:05.123456+00')`);
    await pull({ local, remote: pg.url, tables: ['events'], epochDates: 'ms' });
    const back = sqliteRows(local, 'SELECT typeof(at) AS kind, at FROM events ORDER BY id');
    expect(back).toEqual([
      ...MILLIS.map((at, i) => ({ kind: 'integer', at: i === 2 ? at + 1 : at })),
      { kind: 'text', at: '2024-01-02 03:04:05.123456+00' },
    ]);
    expect(sqliteRows(local, `SELECT type FROM pragma_table_info('events') WHERE name = 'at'`)).toEqual([{ type: 'datetime' }]);
  });

  it.each<[string, unknown, RegExp, Parameters<typeof push>[0]['epochDates']]>([
    ['a fraction of a millisecond', 1719820800123.5, /not a whole number of epoch milliseconds/, { 'events.at': 'ms' }],
    ['text', '2024-01-02 03:04:05', /not a whole number of epoch milliseconds/, { 'events.at': 'ms' }],
    ['a date past year 9999', 253402300800000, /names no date of years 1 to 9999 as epoch milliseconds/, 'ms'],
    ['a date before year 1', -62135596801, /names no date of years 1 to 9999 as epoch seconds/, 's'],
  ])('refuses %s before anything is written, naming table, column, row and value', async (name, value, why, epochDates) => {
    const local = knexFile(`refused-${name.replace(/\W+/g, '-')}`, [1719820800, 0, 5]);
    sqliteRows(local, `UPDATE events SET at = ${typeof value === 'string' ? `'${value}'` : String(value)} WHERE id = 2 RETURNING id`);
    const error = await refusal(push({ local, remote: pg.url, epochDates }));
    expect({ code: error.code, table: error.table, column: error.column, row: error.row }).toEqual({ code: 'VALUE_UNREPRESENTABLE', table: 'events', column: 'at', row: 'id=2' });
    expect(error.message).toMatch(why);
    expect(error.message).toContain(typeof value === 'string' ? `'${value}'` : String(value));
    expect(await pg.query(`SELECT relname FROM pg_class WHERE relname = 'events'`)).toEqual([]);
  });

  it("refuses milliseconds that the target's timestamp(0) would round, naming the row", async () => {
    await pg.query('CREATE TABLE events (id serial PRIMARY KEY, name text, at timestamp(0) with time zone NOT NULL, seen timestamptz, made timestamptz)');
    const error = await refusal(push({ local: knexFile('rounded', [1719820800000, 1719820800123]), remote: pg.url, epochDates: 'ms' }));
    expect({ code: error.code, column: error.column, row: error.row }).toEqual({ code: 'VALUE_UNREPRESENTABLE', column: 'at', row: 'id=2' });
    expect(error.message).toMatch(/more fraction digits than timestamp\(0\) with time zone keeps/);
    expect(await pg.query('SELECT id FROM events')).toEqual([]);
  });

  describe('without the mapping', () => {
    it('refuses integers for a timestamptz column, naming the setting that says they are dates', async () => {
      await pg.query('CREATE TABLE events (id serial PRIMARY KEY, name text, at timestamptz NOT NULL, seen timestamptz, made timestamptz)');
      const error = await refusal(push({ local: knexFile('unmapped'), remote: pg.url }));
      expect(error.code).toBe('SCHEMA_INCOMPATIBLE');
      expect(error.message).toContain('column "at" is timestamptz in the target but integer in the source');
      expect(error.hints.join('\n')).toContain("`epochDates: 'ms'`");
      expect(error.hints.join('\n')).toContain("`epochDates: { 'events.at': 'ms' }`");
    });

    it('a first deploy keeps them integers, with a note naming the setting', async () => {
      const result = await push({ local: knexFile('unmapped-first'), remote: pg.url });
      expect((await columnFacts(pg, 'events', 'at')).type).toBe('bigint');
      expect(result.notes.find((n) => n.column === 'at')?.message).toMatch(/kept as integers.*`epochDates`/);
    });
  });

  it('refuses a mapping that is not one', async () => {
    const local = knexFile('usage', [0]);
    await expect(push({ local, remote: pg.url, epochDates: 'us' as 'ms' })).rejects.toMatchObject({ code: 'USAGE', message: expect.stringMatching(/expected 'ms'/) });
    await expect(push({ local, remote: pg.url, epochDates: { events: 'ms' } })).rejects.toMatchObject({ code: 'USAGE', message: expect.stringMatching(/table\.column/) });
  });
});
