import * as path from 'node:path';
import { HesapError } from '@hesap/core';
import { databasePerTest, dumpSqlite, pgFingerprint, sqliteDeclarations, tempDir, writeSqlite, type TestDatabase } from '@hesap/test-support';
import { pull, push } from '@hesap/api';

/**
 * Declared widths on a first deploy (issue 19): an ORM declares `integer` ids and keys and
 * `varchar(n)` in SQLite and in PostgreSQL alike, and its schema step (TypeORM's synchronize)
 * drops and re-adds a column of another type. A push that creates the tables keeps a
 * declared width where every value fits it, and says where it could not.
 */
describe('declared widths when a push creates the tables', () => {
  const tmp = tempDir('hesap-widths');
  const pg = databasePerTest('widths');
  afterAll(() => tmp.cleanup());

  async function types(db: TestDatabase, table: string): Promise<Record<string, string>> {
    const rows = await db.query<{ c: string; type: string }>(
      `SELECT a.attname AS c, format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
      [table],
    );
    return Object.fromEntries(rows.map((r) => [r.c, r.type]));
  }

  const PEOPLE = `
    CREATE TABLE people (
      id INTEGER PRIMARY KEY AUTOINCREMENT, email varchar(255) NOT NULL UNIQUE, name VARCHAR(5), country CHAR(2), code character(3),
      points int NOT NULL DEFAULT 0, small smallint, big INTEGER, level MEDIUMINT, note nvarchar(10) DEFAULT 'hello', tag varchar(4) DEFAULT 'long default');
    INSERT INTO people (email, name, country, code, points, small, big, level, note, tag) VALUES
      ('ali@example.com', 'Ali', 'TR', 'ab', 1, 40000, 3000000000, 16777215, 'çğüşöı', 'a'),
      ('zeynep@example.com', 'Zeynep', 'DE', 'abc', -2147483648, -3, 1, NULL, NULL, NULL);`;

  it('keeps integer, smallint, varchar(n) and char(n) where every value fits, and says why not elsewhere', async () => {
    const local = writeSqlite(path.join(tmp.dir, 'people.db'), PEOPLE);
    const result = await push({ local, remote: pg.url });
    expect(await types(pg, 'people')).toEqual({
      id: 'integer',
      email: 'character varying(255)',
      name: 'text',
      country: 'character(2)',
      code: 'text',
      points: 'integer',
      small: 'bigint',
      big: 'bigint',
      level: 'integer',
      note: 'character varying(10)',
      tag: 'text',
    });
    const notes = result.notes.filter((n) => n.code === 'TYPE_FALLBACK').map((n) => `${n.column}: ${n.message}`);
    expect(notes).toEqual([
      'name: declared VARCHAR(5) holds values longer than 5 characters (SQLite does not check the length); created as text.',
      "code: declared character(3) holds values of other lengths than 3, which PostgreSQL's character(3) would pad with spaces or refuse; created as text.",
      "small: declared smallint holds integers past PostgreSQL's 16-bit range; created as bigint.",
      "big: declared INTEGER holds integers past PostgreSQL's 32-bit range; created as bigint.",
      'tag: declared varchar(4): its default is 12 characters long, which character varying(4) would not give back as it is; created as text.',
    ]);
    // The app's own insert takes the identity and the defaults.
    const [row] = await pg.query<{ id: number; note: string }>(`INSERT INTO people (email) VALUES ('new@example.com') RETURNING id, note`);
    expect(row).toEqual({ id: 3, note: 'hello' });
  });

  it('gives a pulled file the declarations and values it had, and a second push changes nothing', async () => {
    const local = writeSqlite(path.join(tmp.dir, 'people-back.db'), PEOPLE);
    const back = path.join(tmp.dir, 'people-pulled.db');
    await push({ local, remote: pg.url });
    await pull({ local: back, remote: pg.url });
    expect(sqliteDeclarations(back)).toEqual(sqliteDeclarations(local));
    expect(dumpSqlite(back)).toEqual(dumpSqlite(local));
    const before = await pgFingerprint(pg);
    const again = await push({ local, remote: pg.url });
    expect(again.tables.map((t) => [t.table, t.inserted, t.updated])).toEqual([['people', 0, 0]]);
    expect(await pgFingerprint(pg)).toEqual(before);
  });

  it('gives a key and the columns that reference it one type, the widest any of them needs', async () => {
    const local = writeSqlite(
      path.join(tmp.dir, 'keys.db'),
      `CREATE TABLE groups (id INTEGER PRIMARY KEY, name varchar(20));
       CREATE TABLE members (id INTEGER PRIMARY KEY, group_id INTEGER NOT NULL REFERENCES groups (id), sponsor_id integer REFERENCES members (id));
       CREATE TABLE events (id INTEGER PRIMARY KEY, member_id smallint REFERENCES members (id));
       INSERT INTO groups (id, name) VALUES (1, 'a'), (5000000000, 'b');
       INSERT INTO members (id, group_id, sponsor_id) VALUES (1, 1, NULL), (2, 1, 1);
       INSERT INTO events (member_id) VALUES (1), (2);`,
    );
    const result = await push({ local, remote: pg.url });
    expect(await types(pg, 'groups')).toEqual({ id: 'bigint', name: 'character varying(20)' });
    expect(await types(pg, 'members')).toEqual({ id: 'integer', group_id: 'bigint', sponsor_id: 'integer' });
    expect(await types(pg, 'events')).toEqual({ id: 'integer', member_id: 'integer' });
    expect(result.notes.filter((n) => n.code === 'TYPE_FALLBACK').map((n) => `${n.table}.${n.column}: ${n.message}`).sort()).toEqual([
      'events.member_id: "member_id" is created as integer, as "members"."id" is, to which a foreign key joins it.',
      "groups.id: declared INTEGER holds integers past PostgreSQL's 32-bit range; created as bigint.",
      'members.group_id: "group_id" is created as bigint, as "groups"."id" is, to which a foreign key joins it.',
    ]);
  });

  it('keeps a bigint identity where AUTOINCREMENT has handed out ids past 32 bits, and continues past them', async () => {
    const local = writeSqlite(
      path.join(tmp.dir, 'counter.db'),
      `CREATE TABLE tickets (id INTEGER PRIMARY KEY AUTOINCREMENT, label varchar(10));
       INSERT INTO tickets (label) VALUES ('a');
       UPDATE sqlite_sequence SET seq = 3000000000 WHERE name = 'tickets';`,
    );
    await push({ local, remote: pg.url });
    expect(await types(pg, 'tickets')).toEqual({ id: 'bigint', label: 'character varying(10)' });
    const [row] = await pg.query<{ id: string }>(`INSERT INTO tickets (label) VALUES ('b') RETURNING id::text AS id`);
    expect(row!.id).toBe('3000000001');
  });

  it('still tests each value going into a narrower column an ORM made, and refuses one that does not fit', async () => {
    await pg.query(`CREATE TABLE people (id serial PRIMARY KEY, email varchar(10) NOT NULL UNIQUE, points smallint NOT NULL)`);
    const local = writeSqlite(
      path.join(tmp.dir, 'narrow.db'),
      `CREATE TABLE people (id INTEGER PRIMARY KEY, email varchar(255) NOT NULL UNIQUE, points int NOT NULL);
       INSERT INTO people (email, points) VALUES ('a@b.c', 1), ('ayse@example.com', 2);`,
    );
    const error = (await push({ local, remote: pg.url }).catch((e: unknown) => e)) as HesapError;
    expect(error).toBeInstanceOf(HesapError);
    expect({ code: error.code, column: error.column, row: error.row }).toEqual({ code: 'VALUE_UNREPRESENTABLE', column: 'email', row: 'id=2' });
    expect(await pg.query('SELECT * FROM people')).toEqual([]);
  });
});
