import * as fs from 'node:fs';
import * as path from 'node:path';
import { HesapError } from '@hesap/core';
import { databasePerTest, dumpSqlite, hesapTempFiles, pgFingerprint, rejectionOf, tempDir, writeSqlite } from '@hesap/test-support';
import { pull, push, verify } from '@hesap/api';

/**
 * Table and column names that break hand-written SQL: quotes, spaces, newlines, dots,
 * semicolons, emoji, reserved words, names that differ only in case (PostgreSQL can hold
 * both, SQLite cannot), names longer than PostgreSQL's 63 bytes, empty names, SQLite's
 * reserved prefix. Each round-trips exactly or is refused with a clear error before anything
 * is written.
 */

describe('hostile names', () => {
  const tmp = tempDir('hesap-names');
  const pg = databasePerTest('names');
  afterAll(() => tmp.cleanup());

  const localDb = (name: string, sql: string, fill?: Parameters<typeof writeSqlite>[2]) => writeSqlite(path.join(tmp.dir, name), sql, fill);

  const publicTables = async () => Object.keys(await pgFingerprint(pg));

  it('quotes, spaces, newlines, dots, semicolons, emoji and reserved words survive push and pull with keys and foreign keys', async () => {
    const file = localDb(
      'hostile.db',
      `CREATE TABLE "user" ("id" INTEGER PRIMARY KEY, "select" TEXT NOT NULL UNIQUE, "group" TEXT, "order" INTEGER);
       CREATE TABLE "order" ("id" INTEGER PRIMARY KEY, "user" INTEGER REFERENCES "user" ("id"), "from" TEXT, "where" REAL);
       CREATE TABLE "we""ird tab.le; DROP TABLE x;--" (
         "co""l 1" INTEGER PRIMARY KEY,
         "new
line" TEXT,
         "dot.ted" TEXT,
         "semi;colon" TEXT,
         "😀 emoji 🏳️‍🌈" TEXT,
         " leading and trailing " TEXT,
         "back\\slash" TEXT,
         "Ünïcödé" TEXT
       );
       CREATE UNIQUE INDEX "idx ""quoted"" name" ON "we""ird tab.le; DROP TABLE x;--" ("dot.ted", "semi;colon");
       CREATE TABLE "select" ("group" TEXT PRIMARY KEY, "order" TEXT) WITHOUT ROWID;
       CREATE TABLE "😀" ("🔑" INTEGER PRIMARY KEY, "値" TEXT);
       INSERT INTO "user" VALUES (1, 'a', 'g1', 3), (2, 'b', NULL, NULL);
       INSERT INTO "order" VALUES (10, 1, 'x', 1.5), (11, 2, 'y', -0.25), (12, NULL, NULL, NULL);
       INSERT INTO "we""ird tab.le; DROP TABLE x;--" VALUES (1, 'n', 'd1', 's1', 'e', 'l', 'b', 'ü'), (2, 'm', 'd2', 's1', NULL, NULL, NULL, NULL);
       INSERT INTO "select" VALUES ('g', 'o'), ('h', NULL);
       INSERT INTO "😀" VALUES (1, 'ハロー');`,
    );
    const before = dumpSqlite(file);
    const pushed = await push({ local: file, remote: pg.url });
    expect(pushed.tables.map((t) => [t.table, t.inserted]).sort()).toEqual(
      [
        ['order', 3],
        ['select', 2],
        ['user', 2],
        ['we"ird tab.le; DROP TABLE x;--', 2],
        ['😀', 1],
      ].sort(),
    );
    expect((await publicTables()).sort()).toEqual(['order', 'select', 'user', 'we"ird tab.le; DROP TABLE x;--', '😀'].sort());
    const check = await verify({ local: file, remote: pg.url });
    expect(check.tables.filter((t) => t.status !== 'same')).toEqual([]);
    const back = path.join(tmp.dir, 'hostile-back.db');
    await pull({ local: back, remote: pg.url });
    const after = dumpSqlite(back);
    expect(after.tables).toEqual(before.tables);
  });

  describe('names that differ only in case (PostgreSQL holds both, SQLite cannot)', () => {
    it('pulling two tables "Case" and "case" is refused, and nothing is written: the old file stays, no temporary file', async () => {
      await pg.query(`CREATE TABLE "Case" (id int PRIMARY KEY, v text); CREATE TABLE "case" (id int PRIMARY KEY, v text);
                      INSERT INTO "Case" VALUES (1, 'upper'); INSERT INTO "case" VALUES (2, 'lower');`);
      const file = localDb('case.db', "CREATE TABLE old (v TEXT); INSERT INTO old VALUES ('kept');");
      const sha = fs.readFileSync(file);
      const error = await rejectionOf(pull({ local: file, remote: pg.url }));
      expect(String((error as Error).message)).toMatch(/case/i);
      expect(fs.readFileSync(file).equals(sha)).toBe(true);
      expect(hesapTempFiles(tmp.dir)).toEqual([]);
      // Each one alone is fine.
      const one = path.join(tmp.dir, 'case-one.db');
      await pull({ local: one, remote: pg.url, tables: ['case'] });
      expect(dumpSqlite(one).tables.case!.rows).toEqual(["integer:2\u0001text:'lower'"]);
    });

    // The clash was once found only by SQLite's CREATE TABLE, as a raw SqliteError.
    it('the refusal is an IDENTIFIER_COLLISION naming both tables, and both columns', async () => {
      await pg.query(`CREATE TABLE "Case" (id int PRIMARY KEY); CREATE TABLE "case" (id int PRIMARY KEY);`);
      const error = await rejectionOf<HesapError>(pull({ local: path.join(tmp.dir, 'case2.db'), remote: pg.url }));
      expect(error).toBeInstanceOf(HesapError);
      expect(error.code).toBe('IDENTIFIER_COLLISION');
      expect(error.message).toContain('"Case"');
      expect(error.message).toContain('"case"');
      await pg.query(`DROP TABLE "Case"; CREATE TABLE cols (id int PRIMARY KEY, "A" int, "a" int);`);
      const columns = await rejectionOf<HesapError>(pull({ local: path.join(tmp.dir, 'case3.db'), remote: pg.url }));
      expect(columns).toMatchObject({ code: 'IDENTIFIER_COLLISION', table: 'cols' });
      expect(columns.message).toContain('"A"');
    });
  });

  // SQLite reserves names starting with "sqlite_" (once a raw SqliteError on pull).
  it('a PostgreSQL table named sqlite_stat1 is refused with a HesapError naming it', async () => {
    await pg.query('CREATE TABLE sqlite_stat1 (id int PRIMARY KEY)');
    const error = await rejectionOf<HesapError>(pull({ local: path.join(tmp.dir, 'reserved.db'), remote: pg.url }));
    expect(error).toBeInstanceOf(HesapError);
    expect(error.table).toBe('sqlite_stat1');
  });

  describe('names longer than 63 bytes', () => {
    const long = 't'.repeat(64);
    const emoji = '😀'.repeat(16); // 16 characters, 64 bytes
    const sharedPrefix = 'p'.repeat(63);

    it('are refused before anything is written, naming them; bytes count, not characters; a clash after cutting is named', async () => {
      const file = localDb(
        'long.db',
        `CREATE TABLE fine (id INTEGER PRIMARY KEY);
         CREATE TABLE "${long}" (id INTEGER PRIMARY KEY, v TEXT);
         CREATE TABLE short (id INTEGER PRIMARY KEY, "${emoji}" TEXT);
         INSERT INTO fine VALUES (1); INSERT INTO "${long}" VALUES (1, 'x'); INSERT INTO short VALUES (1, 'y');`,
      );
      const error = await rejectionOf<HesapError>(push({ local: file, remote: pg.url }));
      expect(error).toBeInstanceOf(HesapError);
      expect(error.code).toBe('IDENTIFIER_INVALID');
      expect(error.message).toContain(`table name "${long}" is longer than 63 bytes`);
      expect(error.message).toContain(`column name "${emoji}" in table "short" is longer than 63 bytes`);
      expect(error.hints.join(' ')).toMatch(/`policies.longNames: 'shorten'`/);
      expect(await publicTables()).toEqual([]);

      const clash = localDb('clash.db', `CREATE TABLE "${sharedPrefix}a" (id INTEGER PRIMARY KEY); CREATE TABLE "${sharedPrefix}b" (id INTEGER PRIMARY KEY);`);
      const collision = await rejectionOf<HesapError>(push({ local: clash, remote: pg.url }));
      expect(collision.code).toBe('IDENTIFIER_COLLISION');
      expect(collision.message).toContain(`"${sharedPrefix}a" and "${sharedPrefix}b"`);
      expect(await publicTables()).toEqual([]);
    });

    it('with --long-names shorten they get deterministic short names, each reported, and every row arrives', async () => {
      const file = localDb(
        'long2.db',
        `CREATE TABLE "${sharedPrefix}a" (id INTEGER PRIMARY KEY, "${emoji}" TEXT);
         CREATE TABLE "${sharedPrefix}b" (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES "${sharedPrefix}a" (id));
         INSERT INTO "${sharedPrefix}a" VALUES (1, 'one'), (2, 'two'); INSERT INTO "${sharedPrefix}b" VALUES (1, 2);`,
      );
      const result = await push({ local: file, remote: pg.url, policies: { longNames: 'shorten' } });
      const names = result.tables.map((t) => t.targetName);
      expect(names.every((n) => n !== undefined && Buffer.byteLength(n) <= 63)).toBe(true);
      expect(new Set(names).size).toBe(2);
      expect(result.notes.filter((n) => n.code === 'NAME_SHORTENED')).toHaveLength(3);
      const fp = await pgFingerprint(pg);
      expect(Object.keys(fp).sort()).toEqual([...names].sort());
      expect(fp[names[0]!]!.rows).toBe(2);
      expect(fp[names[1]!]!.rows).toBe(1);
      // The same push again gives the same names (merge finds the rows, adds none).
      const again = await push({ local: file, remote: pg.url, policies: { longNames: 'shorten' } });
      expect(again.tables.map((t) => [t.targetName, t.inserted])).toEqual(names.map((n) => [n, 0]));
    });

    // verify once knew nothing of shortened names and reported them only-local and only-remote.
    it('verify after a push with shortened names says the content is the same', async () => {
      const file = localDb('long3.db', `CREATE TABLE "${long}" (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO "${long}" VALUES (1, 'x');`);
      await push({ local: file, remote: pg.url, policies: { longNames: 'shorten' } });
      const check = await verify({ local: file, remote: pg.url });
      expect(check.tables.map((t) => t.status)).toEqual(['same']);
      expect(check.same).toBe(true);
    });
  });

  it('an empty table name is refused before anything is written', async () => {
    const file = localDb('empty.db', `CREATE TABLE ok (id INTEGER PRIMARY KEY); CREATE TABLE "" (id INTEGER PRIMARY KEY); INSERT INTO ok VALUES (1);`);
    const error = await rejectionOf<HesapError>(push({ local: file, remote: pg.url }));
    expect(error).toMatchObject({ code: 'IDENTIFIER_INVALID' });
    expect(error.message).toMatch(/empty name/);
    expect(await publicTables()).toEqual([]);
  });

  it('an empty column name is refused naming its table', async () => {
    const file = localDb('empty-col.db', `CREATE TABLE notes (id INTEGER PRIMARY KEY, "" TEXT); INSERT INTO notes VALUES (1, 'x');`);
    const error = await rejectionOf<HesapError>(push({ local: file, remote: pg.url }));
    expect(error).toMatchObject({ code: 'IDENTIFIER_INVALID', table: 'notes' });
    expect(await publicTables()).toEqual([]);
  });
});
