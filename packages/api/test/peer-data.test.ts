import * as fs from 'node:fs';
import * as path from 'node:path';
import { HesapError } from '@hesap/core';
import { createTestDatabase, describePeerData, dumpSqlite, tempDir, type DatabaseDump } from '@hesap/test-support';
import { pull, push } from '@hesap/api';

/** The tables part of a dump: views are listed by push, never copied as tables. */
const tablesOf = (dump: DatabaseDump) => ({ tables: dump.tables, sequences: dump.sequences });

async function tablesIn(query: (sql: string) => Promise<Array<{ n: string }>>): Promise<number> {
  const [row] = await query(`SELECT count(*)::text AS n FROM pg_tables WHERE schemaname = 'public'`);
  return Number(row!.n);
}

describePeerData('peer databases (../shared/peer-data, read in place)', (peer) => {
  const tmp = tempDir('hesap-peer');
  // The peer files are read in place and must never change, nor get company.
  const listing = () =>
    ['chinook', 'pgloader-sqlite']
      .flatMap((d) => fs.readdirSync(path.join(peer, d)).map((f) => path.join(d, f)))
      .map((f) => `${f} ${fs.statSync(path.join(peer, f)).size} ${fs.statSync(path.join(peer, f)).mtimeMs}`)
      .sort();
  const before = listing();
  afterAll(() => {
    tmp.cleanup();
    expect(listing()).toEqual(before);
  });

  const mustLoad = [
    'chinook/Chinook_Sqlite.sqlite',
    'chinook/Chinook_Sqlite_AutoIncrementPKs.sqlite',
    'pgloader-sqlite/sqlite.db',
    'pgloader-sqlite/storage.sqlite',
    'pgloader-sqlite/test_pk.db',
    'pgloader-sqlite/cli_with.db',
    'pgloader-sqlite/my db.sqlite',
    'pgloader-sqlite/matviews.sqlite',
  ];

  it.each(mustLoad)('%s: push then pull gives back every row and key', async (relative) => {
    const source = path.join(peer, relative);
    const pg = await createTestDatabase('peer');
    try {
      const pushed = await push({ local: source, remote: pg.url });
      const out = path.join(tmp.dir, `${path.basename(relative)}.pulled.db`);
      await pull({ local: out, remote: pg.url });
      const before = dumpSqlite(source);
      expect(tablesOf(dumpSqlite(out))).toEqual(tablesOf(before));
      expect(pushed.views.sort()).toEqual(before.views.sort());
      // Every table is in PostgreSQL with the same row count, and keys are real constraints.
      for (const [name, table] of Object.entries(before.tables)) {
        const [count] = await pg.query<{ n: string }>(`SELECT count(*)::text AS n FROM "${name.replace(/"/g, '""')}"`);
        expect(Number(count!.n)).toBe(table.rows.length);
      }
      // A SQLite primary key that holds NULLs (sqlite.db's autoinc) is a UNIQUE constraint in PostgreSQL.
      const keys = await pg.query<{ n: string }>(`SELECT count(*)::text AS n FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND contype IN ('p', 'u', 'f')`);
      const expectedKeys = Object.values(before.tables).reduce((n, t) => n + (t.primaryKey.length > 0 ? 1 : 0) + t.uniques.length + t.foreignKeys.length, 0);
      expect(Number(keys[0]!.n)).toBe(expectedKeys);
    } finally {
      await pg.drop();
    }
  });

  it('Chinook keeps its composite key, bracket-quoted names and foreign keys in PostgreSQL', async () => {
    const pg = await createTestDatabase('chinook');
    try {
      await push({ local: path.join(peer, 'chinook/Chinook_Sqlite.sqlite'), remote: pg.url });
      const pk = await pg.query<{ def: string }>(`SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = '"PlaylistTrack"'::regclass AND contype = 'p'`);
      expect(pk[0]!.def).toBe('PRIMARY KEY ("PlaylistId", "TrackId")');
      const fks = await pg.query<{ n: string }>(`SELECT count(*)::text AS n FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace`);
      expect(Number(fks[0]!.n)).toBe(11);
      const [next] = await pg.query<{ id: string }>(`INSERT INTO "Genre" ("Name") VALUES ('Türkü') RETURNING "GenreId"::text AS id`);
      expect(next!.id).toBe('26');
    } finally {
      await pg.drop();
    }
  });

  it('storage.sqlite: each sequence continues after max(id), ON DELETE CASCADE kept', async () => {
    const pg = await createTestDatabase('storage');
    try {
      await push({ local: path.join(peer, 'pgloader-sqlite/storage.sqlite'), remote: pg.url });
      const [event] = await pg.query<{ id: string }>(`INSERT INTO auth_event (description) VALUES ('x') RETURNING id::text AS id`);
      expect(event!.id).toBe('16');
      const [empty] = await pg.query<{ id: string }>(`INSERT INTO auth_cas (service) VALUES ('x') RETURNING id::text AS id`);
      expect(empty!.id).toBe('1');
      const cascade = await pg.query<{ def: string }>(
        `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'auth_membership'::regclass AND contype = 'f' ORDER BY 1`,
      );
      expect(cascade.map((c) => c.def)).toEqual([
        'FOREIGN KEY (group_id) REFERENCES auth_group(id) ON DELETE CASCADE',
        'FOREIGN KEY (user_id) REFERENCES auth_user(id) ON DELETE CASCADE',
      ]);
    } finally {
      await pg.drop();
    }
  });

  it('test_pk.db: keys and sequences exist although no row is copied', async () => {
    const pg = await createTestDatabase('testpk');
    try {
      await push({ local: path.join(peer, 'pgloader-sqlite/test_pk.db'), remote: pg.url });
      const defs = await pg.query<{ def: string }>(`SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1`);
      expect(defs.map((d) => d.def)).toEqual([
        'FOREIGN KEY (division_kind_id) REFERENCES division_kind(division_kind_id)',
        'PRIMARY KEY (division_id)',
        'PRIMARY KEY (division_kind_id)',
      ]);
      const [row] = await pg.query<{ id: string }>(`INSERT INTO division_kind DEFAULT VALUES RETURNING division_kind_id::text AS id`);
      expect(row!.id).toBe('1');
    } finally {
      await pg.drop();
    }
  });

  const refusals: Array<[string, string, RegExp, Partial<HesapError>]> = [
    ['pgloader-sqlite/bad-utf8.db', 'INVALID_TEXT', /files.*filename.*id=2.*not valid UTF-8/, { table: 'files', column: 'filename', row: 'id=2' }],
    ['pgloader-sqlite/type-mismatch.db', 'TYPE_MISMATCH', /products.*qty.*id=2/, { table: 'products', column: 'qty', row: 'id=2' }],
    [
      'pgloader-sqlite/collision.db',
      'IDENTIFIER_COLLISION',
      /col_very_long_name_that_exceeds_postgresql_identifier_limit_aaax.*col_very_long_name_that_exceeds_postgresql_identifier_limit_aaay/,
      { table: 'products' },
    ],
  ];

  it.each(refusals)('%s is refused with a clear error and nothing written', async (relative, code, message, located) => {
    const pg = await createTestDatabase('refuse');
    try {
      const error = await push({ local: path.join(peer, relative), remote: pg.url }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(HesapError);
      expect(error).toMatchObject({ code, ...located });
      expect((error as Error).message).toMatch(message);
      expect(await tablesIn((sql) => pg.query(sql))).toBe(0);
    } finally {
      await pg.drop();
    }
  });

  it('opt-in policies load the refused databases and say what they did', async () => {
    const pg = await createTestDatabase('optin');
    try {
      const mismatch = await push({ local: path.join(peer, 'pgloader-sqlite/type-mismatch.db'), remote: pg.url, policies: { typeMismatch: 'text' } });
      expect(mismatch.notes.map((n) => n.message).join('\n')).toMatch(/qty.*loaded as text|loaded as text/);
      const [qty] = await pg.query<{ qty: string }>(`SELECT qty FROM products WHERE id = 2`);
      expect(qty!.qty).toBe('lots-of-it');

      const utf8 = await push({ local: path.join(peer, 'pgloader-sqlite/bad-utf8.db'), remote: pg.url, policies: { invalidText: 'replace' } });
      expect(utf8.notes.some((n) => n.column === 'filename' && /U\+FFFD/.test(n.message))).toBe(true);
      const [name] = await pg.query<{ filename: string }>(`SELECT filename FROM files WHERE id = 2`);
      expect(name!.filename).toBe('file\uFFFDname.txt');

    } finally {
      await pg.drop();
    }
  });

  it('collision.db loads with --long-names shorten, each long name reported', async () => {
    const pg = await createTestDatabase('shorten');
    try {
      const result = await push({ local: path.join(peer, 'pgloader-sqlite/collision.db'), remote: pg.url, policies: { longNames: 'shorten' } });
      const renamed = result.notes.filter((n) => n.code === 'NAME_SHORTENED');
      expect(renamed).toHaveLength(2);
      const columns = await pg.query<{ c: string }>(`SELECT column_name AS c FROM information_schema.columns WHERE table_name = 'products' ORDER BY ordinal_position`);
      expect(columns.map((c) => c.c).slice(0, 2)).toEqual(['id', 'name']);
      expect(new Set(columns.slice(2).map((c) => c.c)).size).toBe(2);
      expect(columns.slice(2).every((c) => Buffer.byteLength(c.c) <= 63)).toBe(true);
    } finally {
      await pg.drop();
    }
  });
});
