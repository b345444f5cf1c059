import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { HesapError } from '@hesap/core';
import { adminQuery, createTestDatabase, openSqlite, pgFingerprint, tempDir, testServerUrl, type TestDatabase } from '@hesap/test-support';
import { grants, push, type PushResult } from '@hesap/api';

/**
 * An application role as hosted PostgreSQL hands them out: it may read and write the tables
 * an administrator made, and not CREATE in the database. Merge and append work; the identity
 * map is used when an administrator made `_hesap` for the role (no CREATE SCHEMA is tried),
 * and left out, with a note, when there is none. A missing privilege fails before anything
 * is written, with PERMISSION_DENIED and the statements that grant it, which are exactly
 * enough: run as an administrator, the same push then works.
 */

const ROLE = `hesap_app_${randomBytes(3).toString('hex')}`;

describe('a role without CREATE on the database', () => {
  const tmp = tempDir('hesap-least-privilege');
  const local = path.join(tmp.dir, 'app.db');
  let pg: TestDatabase;
  let remote: string;
  const admin = (sql: string) => pg.query(sql);
  const failure = async (work: Promise<unknown>): Promise<HesapError> => {
    try {
      await work;
    } catch (error) {
      return error as HesapError;
    }
    throw new Error('the push succeeded');
  };
  /** The statements the error's first hint tells an administrator to run. */
  const grantsOf = (error: HesapError) =>
    error.hints[0]!
      .split('\n')
      .slice(1)
      .map((l) => l.trim());
  const noteCodes = (r: PushResult) => r.notes.map((n) => n.code);

  beforeAll(async () => {
    pg = await createTestDatabase('least_privilege');
    await adminQuery(testServerUrl(), `CREATE ROLE ${ROLE} LOGIN PASSWORD 'app-password'`);
    const u = new URL(pg.url);
    u.username = ROLE;
    u.password = 'app-password';
    remote = u.toString();
    // As on a hosted server: no CREATE on the database, none on the schema public (PostgreSQL 15's default, said again for older ones).
    await admin(`REVOKE CREATE ON SCHEMA public FROM PUBLIC; REVOKE CREATE ON DATABASE "${pg.name}" FROM PUBLIC`);
    await admin(`CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL UNIQUE, name text);
                 CREATE TABLE orders (id serial PRIMARY KEY, user_id integer NOT NULL REFERENCES users (id), total numeric(10,2));
                 INSERT INTO users (email, name) VALUES ('prod@example.com', 'Production user');
                 GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO ${ROLE};
                 GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO ${ROLE};`);
    const db = openSqlite(local);
    db.exec(`CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT);
             CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id), total NUMERIC(10,2));
             INSERT INTO users VALUES (1, 'ali@example.com', 'Ali'), (2, 'ayse@example.com', 'Ayşe');
             INSERT INTO orders VALUES (1, 1, 10.5), (2, 2, 7);`);
    db.close();
  });
  afterAll(async () => {
    await pg?.drop();
    await adminQuery(testServerUrl(), `DROP ROLE IF EXISTS ${ROLE}`);
    tmp.cleanup();
  });

  it('without _hesap: merges without remembering ids, says so, and creates nothing', async () => {
    const result = await push({ local, remote, sourceId: 'laptop' });
    expect(result.tables.map((t) => [t.table, t.inserted])).toEqual([
      ['users', 2],
      ['orders', 2],
    ]);
    expect(noteCodes(result)).toContain('IDENTITY_MAP_OFF');
    expect(await admin(`SELECT 1 FROM pg_namespace WHERE nspname = '_hesap'`)).toEqual([]);
    // Again: the users are matched by email, nothing doubles.
    const again = await push({ local, remote, sourceId: 'laptop' });
    expect(again.tables.map((t) => [t.table, t.inserted])).toEqual([
      ['users', 0],
      ['orders', 0],
    ]);
    expect(await admin(`SELECT count(*)::int AS n FROM users`)).toEqual([{ n: 3 }]);
    const appended = await push({ local, remote, mode: 'append', sourceId: 'laptop' });
    expect(appended.tables.map((t) => t.inserted)).toEqual([0, 0]);
  });

  it('with _hesap made by an administrator: remembers ids, without CREATE SCHEMA', async () => {
    await admin(`CREATE SCHEMA _hesap; GRANT USAGE, CREATE ON SCHEMA _hesap TO ${ROLE}`);
    const result = await push({ local, remote, sourceId: 'laptop' });
    expect(noteCodes(result)).not.toContain('IDENTITY_MAP_OFF');
    expect(await admin(`SELECT table_name FROM _hesap.identity_baseline WHERE source_id = 'laptop' ORDER BY 1`)).toEqual([{ table_name: 'orders' }, { table_name: 'users' }]);
    // The tables made by the role, the schema left to the administrator: a second push finds them ready.
    const again = await push({ local, remote, sourceId: 'laptop' });
    expect(again.tables.map((t) => t.inserted)).toEqual([0, 0]);
  });

  it('create mode, a table the role may not create: PERMISSION_DENIED naming CREATE on the schema', async () => {
    const extras = path.join(tmp.dir, 'extras.db');
    const db = openSqlite(extras);
    db.exec(`CREATE TABLE extras (id INTEGER PRIMARY KEY, note TEXT); INSERT INTO extras VALUES (1, 'x');`);
    db.close();
    const error = await failure(push({ local: extras, remote, mode: 'create' }));
    expect({ code: error.code, message: error.message }).toEqual({ code: 'PERMISSION_DENIED', message: expect.stringMatching(/CREATE on the schema "public" \(to create "extras"\)/) });
    expect(grantsOf(error)).toEqual([`GRANT CREATE ON SCHEMA "public" TO "${ROLE}";`]);
    expect(await admin(`SELECT to_regclass('public.extras') AS t`)).toEqual([{ t: null }]);
  });

  // In this order: the last one makes the role the tables' owner.
  it.each([
    ['merge without INSERT on orders', `REVOKE INSERT ON orders FROM ${ROLE}`, 'merge', /INSERT on "orders"/, 'ok'],
    // Once allowed, upsert by primary key meets the email production's user 1 already has: a data error, no longer a privilege one.
    ['upsert without UPDATE on users', `REVOKE UPDATE ON users FROM ${ROLE}`, 'upsert', /UPDATE on "users"/, 'CONSTRAINT_VIOLATION'],
    ['merge without UPDATE on the sequence', `REVOKE UPDATE ON SEQUENCE users_id_seq FROM ${ROLE}`, 'merge', /UPDATE on the sequence public\.users_id_seq/, 'ok'],
    ['merge, _hesap not usable', `REVOKE USAGE ON SCHEMA _hesap FROM ${ROLE}`, 'merge', /USAGE on the schema "_hesap"/, 'ok'],
    ['merge without TEMPORARY on the database', `REVOKE TEMPORARY ON DATABASE "<db>" FROM PUBLIC`, 'merge', /TEMPORARY on the database/, 'ok'],
    ['replace, not owning the tables', '', 'replace', /ownership of "users"/, 'ok'],
  ] as const)('%s: PERMISSION_DENIED before writing, with grants that are enough', async (_name, revoke, mode, names, then) => {
    if (revoke) await admin(revoke.replace('<db>', pg.name));
    const before = await pgFingerprint(pg);
    const mapBefore = await admin(`SELECT * FROM _hesap.identity_baseline ORDER BY 1, 2`);
    // Every row sent: nothing changed locally, so an incremental push would write nothing and need no privilege.
    const error = await failure(push({ local, remote, mode, sourceId: 'laptop', incremental: false }));
    expect(error).toBeInstanceOf(HesapError);
    expect({ code: error.code, message: error.message }).toEqual({ code: 'PERMISSION_DENIED', message: expect.stringMatching(names) });
    expect(error.message).toMatch(/Nothing was written/);
    expect(await pgFingerprint(pg)).toEqual(before);
    expect(await admin(`SELECT * FROM _hesap.identity_baseline ORDER BY 1, 2`)).toEqual(mapBefore);
    // The administrator runs what the hint says, and the push goes through.
    const grants = grantsOf(error);
    expect(grants.length).toBeGreaterThan(0);
    for (const grant of grants) await admin(grant);
    const outcome = await push({ local, remote, mode, sourceId: 'laptop', incremental: false }).then(
      () => ({ code: 'ok' }),
      (e: HesapError) => ({ code: e.code, message: e.message }),
    );
    expect(outcome).toMatchObject({ code: then });
  });


  it('grants() names what a new role needs: run as printed, a merge works and remembers ids', async () => {
    const fresh = await createTestDatabase('least_privilege_grants');
    const other = `${ROLE}_b`;
    try {
      await adminQuery(testServerUrl(), `CREATE ROLE ${other} LOGIN PASSWORD 'b-password'`);
      await fresh.query(`REVOKE ALL ON SCHEMA public FROM PUBLIC; REVOKE ALL ON DATABASE "${fresh.name}" FROM PUBLIC;
                         CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL UNIQUE, name text);
                         CREATE TABLE orders (id serial PRIMARY KEY, user_id integer NOT NULL REFERENCES users (id), total numeric(10,2));`);
      const u = new URL(fresh.url);
      [u.username, u.password] = [other, 'b-password'];
      const { statements } = grants({ remote: u.toString(), role: other, mode: 'merge' });
      for (const sql of statements.filter((l) => !l.startsWith('--'))) await fresh.query(sql);
      const result = await push({ local, remote: u.toString(), sourceId: 'laptop' });
      expect(result.tables.map((t) => t.inserted)).toEqual([2, 2]);
      expect(noteCodes(result)).not.toContain('IDENTITY_MAP_OFF');
      expect(await fresh.query(`SELECT count(*)::int AS n FROM _hesap.identity_baseline`)).toEqual([{ n: 2 }]);
    } finally {
      await fresh.drop();
      await adminQuery(testServerUrl(), `DROP ROLE IF EXISTS ${other}`);
    }
  });
});
