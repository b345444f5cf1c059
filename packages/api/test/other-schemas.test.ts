import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { HesapError } from '@hesap/core';
import { pull, push, snapshot, status, verify, type PushResult } from '@hesap/api';
import { adminQuery, createTestDatabase, openSqlite, runHesap, tempDir, testServerUrl, type TestDatabase } from '@hesap/test-support';

/**
 * Tables of PostgreSQL schemas other than the URL's go back where they came from: a pull
 * records each one's place in the local file with the table, and a push (merge, replace,
 * `--tables audit.events`, a snapshot restore) puts the table back into its schema, creating
 * the schema where the target lacks it. A local table merely named with a dot is a table of
 * the URL's schema. `db status` and `db verify` compare each table with the one it came from.
 */

const ROLE = `hesap_schemas_${randomBytes(3).toString('hex')}`;

describe('tables of other schemas', () => {
  const tmp = tempDir('hesap-other-schemas');
  let source: TestDatabase;
  const targets: TestDatabase[] = [];
  const fresh = async () => {
    const db = await createTestDatabase('other_schemas_target');
    targets.push(db);
    return db;
  };
  const counts = (r: PushResult) => r.tables.map((t) => [t.table, t.action, t.inserted, t.unchanged]);
  /** Where tables named like `events` live in `db`. */
  const placesOf = async (db: TestDatabase) =>
    (
      await db.query<{ t: string }>(
        `SELECT table_schema || '|' || table_name AS t FROM information_schema.tables
          WHERE table_name LIKE '%events' OR table_name LIKE '%kinds' OR table_name LIKE '%notes' ORDER BY 1`,
      )
    ).map((r: { t: string }) => r.t);
  const local = (name: string) => path.join(tmp.dir, name);
  /** A local file holding the whole public schema and the two audit tables, pulled from the source. */
  const pulled = async (name: string) => {
    const file = local(name);
    await pull({ local: file, remote: source.url });
    await pull({ local: file, remote: source.url, tables: ['audit.kinds', 'audit.events'] });
    return file;
  };
  const inSync = async (file: string, db: TestDatabase) => {
    const s = await status({ local: file, remote: db.url });
    const v = await verify({ local: file, remote: db.url });
    return { status: s.inSync, verify: v.tables.map((t) => [t.table, t.status]) };
  };

  beforeAll(async () => {
    source = await createTestDatabase('other_schemas');
    await source.query(`
      CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL);
      INSERT INTO items SELECT i, 'item ' || i FROM generate_series(1, 5) i;
      CREATE SCHEMA audit;
      CREATE TABLE audit.kinds (id int PRIMARY KEY, name text NOT NULL UNIQUE);
      CREATE TABLE audit.events (id serial PRIMARY KEY, kind int NOT NULL REFERENCES audit.kinds (id), item int REFERENCES items (id), what text NOT NULL);
      INSERT INTO audit.kinds VALUES (1, 'created'), (2, 'deleted');
      INSERT INTO audit.events (kind, item, what) SELECT 1 + i % 2, 1 + i % 5, 'event ' || i FROM generate_series(1, 25) i;`);
  }, 60_000);
  afterAll(async () => {
    for (const db of [source, ...targets]) await db?.drop();
    await adminQuery(testServerUrl(), `DROP ROLE IF EXISTS ${ROLE}`);
    tmp.cleanup();
  });

  it('a pulled table records where it came from in its declaration', async () => {
    const file = await pulled('recorded.db');
    const db = openSqlite(file);
    const sql = db.prepare(`SELECT sql FROM sqlite_schema WHERE name = 'audit.events'`).pluck().get() as string;
    db.close();
    expect(sql).toContain('-- hesap place: {"schema":"audit","table":"events"}\n');
  });

  it('pushed back into the database it came from: into audit.events, not public."audit.events"; a second push changes nothing', async () => {
    const file = await pulled('back.db');
    const db = openSqlite(file);
    db.exec(`INSERT INTO "audit.events" (id, kind, item, what) VALUES (26, 2, 5, 'local event')`);
    db.close();
    const first = await push({ local: file, remote: source.url, sourceId: 'laptop' });
    expect(counts(first)).toEqual(expect.arrayContaining([['audit.events', 'merge', 1, 25]]));
    expect(await source.query(`SELECT count(*)::int AS n, max(id) AS top FROM audit.events`)).toEqual([{ n: 26, top: 26 }]);
    expect(await placesOf(source)).toEqual(['audit|events', 'audit|kinds']);
    // The app's next id is past the pushed one: the sequence of audit.events was moved.
    expect(await source.query(`INSERT INTO audit.events (kind, what) VALUES (1, 'app') RETURNING id`)).toEqual([{ id: 27 }]);
    await source.query('DELETE FROM audit.events WHERE id = 27');
    expect(await inSync(file, source)).toEqual({
      status: true,
      verify: [
        ['audit.events', 'same'],
        ['audit.kinds', 'same'],
        ['items', 'same'],
      ],
    });
    const again = await push({ local: file, remote: source.url, sourceId: 'laptop' });
    expect(again.tables.every((t) => t.inserted === 0 && t.updated === 0)).toBe(true);
    await source.query('DELETE FROM audit.events WHERE id = 26');
  });

  it('into a fresh target the schema is created, with the foreign keys inside and across schemas', async () => {
    const file = await pulled('fresh.db');
    const target = await fresh();
    const first = await push({ local: file, remote: target.url, sourceId: 'laptop' });
    expect(counts(first)).toEqual(
      expect.arrayContaining([
        ['audit.kinds', 'create', 2, 0],
        ['audit.events', 'create', 25, 0],
      ]),
    );
    expect(await placesOf(target)).toEqual(['audit|events', 'audit|kinds']);
    const keys = await target.query<{ def: string }>(
      `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'audit.events'::regclass AND contype = 'f' ORDER BY 1`,
    );
    expect(keys.map((k: { def: string }) => k.def)).toEqual(['FOREIGN KEY (item) REFERENCES items(id)', 'FOREIGN KEY (kind) REFERENCES audit.kinds(id)']);
    expect((await inSync(file, target)).status).toBe(true);
    const again = await push({ local: file, remote: target.url, sourceId: 'laptop' });
    expect(again.tables.every((t) => t.inserted === 0 && t.updated === 0)).toBe(true);
    expect((await inSync(file, target)).verify.every(([, s]) => s === 'same')).toBe(true);
  });

  it('--tables audit.events on push, and --mode replace, go to the same place', async () => {
    const file = await pulled('named.db');
    const target = await fresh();
    await push({ local: file, remote: target.url, sourceId: 'laptop', tables: ['audit.kinds', 'items'] });
    const run = await runHesap(['db', 'push', '--local', file, '--remote', target.url, '--tables', 'audit.events', '--json']);
    expect(run.code).toBe(0);
    expect(await target.query(`SELECT count(*)::int AS n FROM audit.events`)).toEqual([{ n: 25 }]);
    const replaced = await push({ local: file, remote: target.url, mode: 'replace', tables: ['audit.events'] });
    expect(counts(replaced)).toEqual([['audit.events', 'replace', 25, 0]]);
    expect(await placesOf(target)).toEqual(['audit|events', 'audit|kinds']);
  });

  it('a local table merely named with a dot stays a table of the URL schema, and is not compared with the other schema', async () => {
    const file = local('dotted.db');
    const db = openSqlite(file);
    db.exec(`CREATE TABLE "my.notes" (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO "my.notes" VALUES (1, 'mine');`);
    db.close();
    const target = await fresh();
    await target.query(`CREATE SCHEMA my; CREATE TABLE my.notes (id int PRIMARY KEY, body text); INSERT INTO my.notes VALUES (1, 'mine')`);
    // Before the push: same name, same rows, but not the same table.
    const before = await verify({ local: file, remote: target.url });
    expect(before.tables.map((t) => [t.table, t.status])).toEqual([
      ['my.notes', 'only-local'],
      ['my.notes', 'only-remote'],
    ]);
    expect((await status({ local: file, remote: target.url })).inSync).toBe(false);
    await push({ local: file, remote: target.url, sourceId: 'laptop' });
    expect(await placesOf(target)).toEqual(['my|notes', 'public|my.notes']);
    expect(await target.query(`SELECT id::int, body FROM public."my.notes"`)).toEqual([{ id: 1, body: 'mine' }]);
  });

  it('a table of the URL schema literally named audit.events is another table: not pushed into, listed by verify', async () => {
    const file = await pulled('literal.db');
    const target = await fresh();
    await target.query(`CREATE TABLE public."audit.events" (id int PRIMARY KEY); INSERT INTO public."audit.events" VALUES (1)`);
    await push({ local: file, remote: target.url, sourceId: 'laptop' });
    expect(await target.query(`SELECT count(*)::int AS n FROM audit.events`)).toEqual([{ n: 25 }]);
    expect(await target.query(`SELECT count(*)::int AS n FROM public."audit.events"`)).toEqual([{ n: 1 }]);
    const v = await verify({ local: file, remote: target.url });
    expect(v.tables.filter((t) => t.table === 'audit.events').map((t) => [t.status, t.localRows, t.remoteRows])).toEqual([
      ['only-remote', undefined, 1],
      ['same', 25, 25],
    ]);
    expect((await status({ local: file, remote: target.url })).inSync).toBe(false);
  });

  it('a snapshot keeps the place: restored into a fresh target, the tables land in their schema', async () => {
    const file = await pulled('snapshot.db');
    const made = await snapshot.create({ from: file, kind: 'local', dir: local('snapshots') });
    const target = await fresh();
    const restored = await snapshot.restore({ snapshot: made.snapshot.path, to: target.url });
    expect(restored.check.ok).toBe(true);
    expect(await placesOf(target)).toEqual(['audit|events', 'audit|kinds']);
    expect((await inSync(file, target)).status).toBe(true);
  });

  it('a table an earlier pull left without its place gets it at the next pull of that table, its declaration kept', async () => {
    const file = local('older.db');
    const db = openSqlite(file);
    db.exec(`CREATE TABLE "audit.kinds" (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
             CREATE TABLE "audit.events" (id INTEGER PRIMARY KEY, kind INTEGER NOT NULL, item INTEGER, what TEXT NOT NULL) -- as hesap wrote it before`);
    db.close();
    await pull({ local: file, remote: source.url, tables: ['audit.kinds', 'audit.events'] });
    const after = openSqlite(file);
    const sql = after.prepare(`SELECT sql FROM sqlite_schema WHERE name = 'audit.events'`).pluck().get();
    after.close();
    expect(sql).toBe(
      'CREATE TABLE "audit.events" ( -- hesap place: {"schema":"audit","table":"events"}\nid INTEGER PRIMARY KEY, kind INTEGER NOT NULL, item INTEGER, what TEXT NOT NULL)',
    );
    const target = await fresh();
    await target.query('CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL)');
    await target.query(`INSERT INTO items SELECT i, 'item ' || i FROM generate_series(1, 5) i`);
    await push({ local: file, remote: target.url, sourceId: 'laptop' });
    expect(await placesOf(target)).toEqual(['audit|events', 'audit|kinds']);
  });

  it('schema and table names with quotes, dots, comment marks and line breaks', async () => {
    const odd = await fresh();
    await odd.query(`CREATE SCHEMA "Odd ""s"".x"; CREATE TABLE "Odd ""s"".x"."t(1) -- */
ş" (id int PRIMARY KEY); INSERT INTO "Odd ""s"".x"."t(1) -- */
ş" VALUES (1), (2)`);
    const name = 'Odd "s".x.t(1) -- */\nş';
    const file = local('odd.db');
    const result = await pull({ local: file, remote: odd.url, tables: [name] });
    expect(result.tables.map((t) => [t.table, t.received])).toEqual([[name, 2]]);
    const target = await fresh();
    await push({ local: file, remote: target.url, sourceId: 'laptop' });
    expect(await target.query(`SELECT table_schema AS s, table_name AS t FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema', '_hesap')`)).toEqual([
      { s: 'Odd "s".x', t: 't(1) -- */\nş' },
    ]);
    expect((await verify({ local: file, remote: target.url })).tables.map((t) => [t.table, t.status])).toEqual([[name, 'same']]);
  });

  it('a role that may not create the missing schema is refused before anything is written, with the grant', async () => {
    const file = await pulled('no-create.db');
    const target = await fresh();
    await adminQuery(testServerUrl(), `CREATE ROLE ${ROLE} LOGIN PASSWORD 'schemas-password'`);
    await target.query(`REVOKE CREATE ON DATABASE "${target.name}" FROM PUBLIC; GRANT CREATE ON SCHEMA public TO ${ROLE}`);
    const u = new URL(target.url);
    u.username = ROLE;
    u.password = 'schemas-password';
    const error = (await push({ local: file, remote: u.toString(), sourceId: 'laptop', tables: ['audit.kinds'] }).catch((e: unknown) => e)) as HesapError;
    expect(error.code).toBe('PERMISSION_DENIED');
    expect(error.message).toContain('CREATE on the database (the schema "audit" does not exist)');
    expect(error.hints[0]).toContain(`CREATE SCHEMA "audit" AUTHORIZATION "${ROLE}";`);
    expect(await placesOf(target)).toEqual([]);
  });
});
