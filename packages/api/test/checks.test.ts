import * as path from 'node:path';
import type { HesapError } from '@hesap/core';
import { databasePerTest, jsonOf, runHesap, tempDir, writeSqlite, type TestDatabase } from '@hesap/test-support';
import { pull, push, snapshot } from '@hesap/api';
import { djangoApp } from './orm/orm-apps';

/**
 * CHECK constraints and triggers (issue 19, "constraints noted"): a push that creates a table
 * creates each CHECK PostgreSQL can take, in the push's transaction; rows SQLite let in that
 * break one stay, the constraint NOT VALID with a warning; the others, and every trigger, are
 * listed by table and name.
 */

const SCHEMA = `
  CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE CHECK (length(email) >= 3),
    role VARCHAR(10) NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'admin')), code TEXT CHECK (code >= 'a'),
    active BOOLEAN NOT NULL DEFAULT 1 CHECK (active IN (0, 1)), settings TEXT CHECK (JSON_VALID(settings)));
  CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id),
    total NUMERIC(10,2) NOT NULL, qty INTEGER NOT NULL, note TEXT,
    CONSTRAINT total_positive CHECK (total > 0), CHECK (qty BETWEEN 1 AND 100 AND (note IS NULL OR note <> '')),
    CONSTRAINT total_positive CHECK (lower(note) <> 'x'));
  CREATE TRIGGER orders_stamp AFTER INSERT ON orders BEGIN UPDATE users SET active = 1 WHERE id = new.user_id; END;
  INSERT INTO users VALUES (1, 'ali@example.com', 'admin', 'b', 1, '{}'), (2, 'ayse@example.com', 'member', NULL, 0, NULL);
  INSERT INTO orders VALUES (1, 1, 9.5, 2, NULL), (2, 2, 20, 100, 'gift');`;

/** Rows SQLite let in (the file says to ignore CHECKs while writing them, as an app may have). */
const BREAKING = `
  PRAGMA ignore_check_constraints = ON;
  INSERT INTO orders VALUES (3, 1, -4, 2, NULL), (4, 2, 0, 0, ''), (5, 1, 3, 500, NULL);`;

interface Constraint extends Record<string, unknown> {
  table: string;
  name: string;
  valid: boolean;
  def: string;
}

async function checks(db: TestDatabase): Promise<Constraint[]> {
  return db.query<Constraint>(
    `SELECT t.relname AS table, c.conname AS name, c.convalidated AS valid, pg_get_constraintdef(c.oid) AS def
       FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid WHERE c.contype = 'c' ORDER BY 1, 2`,
  );
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected the push to fail');
    },
    (e: unknown) => e as HesapError,
  );

describe('CHECK constraints and triggers of the tables a push creates', () => {
  const tmp = tempDir('hesap-checks');
  const pg = databasePerTest('checks');
  afterAll(() => tmp.cleanup());

  const localDb = (name: string, sql: string) => writeSqlite(path.join(tmp.dir, name), sql);

  it('creates the CHECKs PostgreSQL takes, which then refuse rows that break them; lists the others and the triggers', async () => {
    const result = await push({ local: localDb('app.db', SCHEMA), remote: pg.url });
    expect(result.complete).toBe(true);
    expect((await checks(pg)).map(({ table, name, valid }) => [table, name, valid])).toEqual([
      ['orders', 'orders_check', true],
      ['orders', 'total_positive', true],
      ['users', 'users_active_check', true],
      ['users', 'users_code_check', true],
      ['users', 'users_email_check', true],
      ['users', 'users_role_check', true],
    ]);
    // Text is ordered by code point, as SQLite's BINARY collation orders it, whatever the database's collation.
    expect((await checks(pg)).find((c) => c.name === 'users_code_check')!.def).toBe(`CHECK (((code COLLATE "C") >= 'a'::text))`);
    const listed = result.notes.filter((n) => ['CHECK_NOT_CREATED', 'TRIGGER_NOT_COPIED', 'CHECK_NOT_VALID'].includes(n.code));
    expect(listed.map(({ code, table, constraint, trigger }) => ({ code, table, constraint, trigger }))).toEqual([
      { code: 'TRIGGER_NOT_COPIED', table: 'orders', constraint: undefined, trigger: 'orders_stamp' },
      { code: 'CHECK_NOT_CREATED', table: 'users', constraint: 'users_settings_check', trigger: undefined },
      { code: 'CHECK_NOT_CREATED', table: 'orders', constraint: 'total_positive1', trigger: undefined },
    ]);
    expect(listed[1]!.message).toBe(
      `CHECK constraint "users_settings_check" (JSON_VALID(settings)) is not created: it uses JSON_VALID(), which hesap does not translate. Every row is there; nothing in the target checks new rows against it.`,
    );
    expect(listed[2]!.message).toContain(`(lower(note) <> 'x') is not created: it uses lower()`);
    const refused = [
      `INSERT INTO users (id, email) VALUES (9, 'a')`,
      `INSERT INTO users (id, email, role) VALUES (9, 'new@example.com', 'owner')`,
      `INSERT INTO users (id, email, code) VALUES (9, 'new@example.com', 'B')`,
      `INSERT INTO orders (id, user_id, total, qty) VALUES (9, 1, 0, 1)`,
      `INSERT INTO orders (id, user_id, total, qty) VALUES (9, 1, 1, 101)`,
      `INSERT INTO orders (id, user_id, total, qty, note) VALUES (9, 1, 1, 1, '')`,
    ];
    for (const sql of refused) await expect(pg.query(sql)).rejects.toThrow(/violates check constraint/);
    await pg.query(`INSERT INTO orders (id, user_id, total, qty, note) VALUES (9, 1, 0.01, 1, NULL)`);
  });

  it('keeps every row SQLite let in that breaks a CHECK: the constraint is NOT VALID, with a warning naming it, the count and the first rows', async () => {
    const result = await push({ local: localDb('breaking.db', SCHEMA + BREAKING), remote: pg.url, mode: 'replace' });
    expect([result.complete, result.rowsLeftOut]).toEqual([true, 0]);
    expect((await pg.query<{ id: number }>('SELECT id::int AS id FROM orders ORDER BY id')).map((r) => r.id)).toEqual([1, 2, 3, 4, 5]);
    const warnings = result.notes.filter((n) => n.code === 'CHECK_NOT_VALID');
    expect(warnings.map((n) => [n.table, n.constraint])).toEqual([
      ['orders', 'total_positive'],
      ['orders', 'orders_check'],
    ]);
    expect(warnings[0]!.message).toContain(`CHECK constraint "total_positive" (total > 0) on orders: 2 rows (first: id=3 (total=-4.00), id=4 (total=0.00)) break it.`);
    expect(warnings[0]!.message).toContain('created NOT VALID');
    expect(warnings[1]!.message).toContain(`on orders: 2 rows (first: id=4 (qty=0, note=), id=5 (qty=500, note=NULL)) break it.`);
    expect((await checks(pg)).filter((c) => !c.valid).map((c) => c.name)).toEqual(['orders_check', 'total_positive']);
    // A NOT VALID constraint still checks new rows.
    await expect(pg.query(`INSERT INTO orders (id, user_id, total, qty) VALUES (9, 1, -1, 1)`)).rejects.toThrow(/violates check constraint "total_positive"/);

    // The next pushes: a replace loads the same rows again (the constraint set aside and put back NOT VALID, said again); a merge finds them there.
    const replaced = await push({ local: localDb('breaking.db', SCHEMA + BREAKING), remote: pg.url, mode: 'replace' });
    expect(replaced.complete).toBe(true);
    expect(replaced.notes.filter((n) => n.code === 'CHECK_NOT_VALID').map((n) => n.message)).toEqual([
      'CHECK constraint "orders_check" on orders is NOT VALID, and 2 rows break it. Every row is kept; PostgreSQL checks new and changed rows against it, not these.',
      'CHECK constraint "total_positive" on orders is NOT VALID, and 2 rows break it. Every row is kept; PostgreSQL checks new and changed rows against it, not these.',
    ]);
    expect((await checks(pg)).filter((c) => !c.valid).map((c) => c.name)).toEqual(['orders_check', 'total_positive']);
    const merged = await push({ local: localDb('breaking.db', SCHEMA + BREAKING), remote: pg.url });
    expect(merged.tables.map((t) => [t.table, t.inserted, t.skipped.length])).toEqual([
      ['users', 0, 0],
      ['orders', 0, 0],
    ]);
    expect((await pg.query<{ n: number }>('SELECT count(*)::int AS n FROM orders'))[0]!.n).toBe(5);
  });

  it('--strict refuses such rows, naming every constraint, and a failed push leaves the target as it was (no table, no constraint)', async () => {
    const error = await failure(push({ local: localDb('strict.db', SCHEMA + BREAKING), remote: pg.url, strict: true }));
    expect(error).toMatchObject({ code: 'CONSTRAINT_VIOLATION', table: 'orders', constraint: 'total_positive' });
    expect(error.message).toContain('4 rows break CHECK constraints');
    expect(error.message).toContain('"orders_check"');
    expect(await pg.query(`SELECT relname FROM pg_class WHERE relname IN ('users', 'orders')`)).toEqual([]);
    expect(await checks(pg)).toEqual([]);
  });

  it('quotes every name and literal: hostile names and text keep their meaning', async () => {
    const file = localDb(
      'names.db',
      `CREATE TABLE "odd ""t""" (id INTEGER PRIMARY KEY, "a ""b" TEXT CHECK ("a ""b" <> 'it''s; DROP TABLE x --'),
        [c d] INTEGER, CONSTRAINT "we""ird" CHECK (\`c d\` > -1)); INSERT INTO "odd ""t""" VALUES (1, 'fine', 0)`,
    );
    const result = await push({ local: file, remote: pg.url });
    expect(result.notes.filter((n) => n.code.startsWith('CHECK_'))).toEqual([]);
    expect((await checks(pg)).map((c) => [c.table, c.name])).toEqual([
      ['odd "t"', 'odd "t"_a "b_check'],
      ['odd "t"', 'we"ird'],
    ]);
    await expect(pg.query(`INSERT INTO "odd ""t""" (id, "a ""b") VALUES (2, 'it''s; DROP TABLE x --')`)).rejects.toThrow(/violates check constraint/);
    await expect(pg.query(`INSERT INTO "odd ""t""" (id, "c d") VALUES (2, -1)`)).rejects.toThrow(/violates check constraint "we"ird"/);
  });

  it('a snapshot keeps the CHECKs and triggers, and its restore creates them as a push does', async () => {
    const dir = path.join(tmp.dir, 'snapshots');
    const taken = await snapshot.create({ dir, from: localDb('snap.db', SCHEMA) });
    expect(taken.notes.filter((n) => n.code === 'CHECK_NOT_CREATED' || n.code === 'TRIGGER_NOT_COPIED')).toEqual([]);
    const restored = await snapshot.restore({ dir, snapshot: 'latest', to: pg.url });
    expect(restored.notes.filter((n) => n.code === 'CHECK_NOT_CREATED').map((n) => n.constraint)).toEqual(['users_settings_check', 'total_positive1']);
    expect(restored.notes.filter((n) => n.code === 'TRIGGER_NOT_COPIED').map((n) => n.trigger)).toEqual(['orders_stamp']);
    expect((await checks(pg)).map((c) => c.name)).toEqual(['orders_check', 'total_positive', 'users_active_check', 'users_code_check', 'users_email_check', 'users_role_check']);
    // Into a new SQLite file the snapshot's rows go whole, its CHECKs and triggers listed; a pull from PostgreSQL carries none and says nothing of them.
    const local = await snapshot.restore({ dir, snapshot: 'latest', to: path.join(tmp.dir, 'restored.db') });
    expect(local.notes.filter((n) => n.code === 'CHECK_NOT_CREATED').length).toBe(8);
    expect(local.notes.filter((n) => n.code === 'TRIGGER_NOT_COPIED').map((n) => n.trigger)).toEqual(['orders_stamp']);
    const pulled = await pull({ local: path.join(tmp.dir, 'pulled.db'), remote: pg.url });
    expect(pulled.tables.map((t) => [t.table, t.inserted])).toEqual([
      ['users', 2],
      ['orders', 2],
    ]);
    expect(pulled.notes.filter((n) => n.code.startsWith('CHECK_') || n.code.startsWith('TRIGGER_'))).toEqual([]);
  });

  it('the CLI prints the constraints not created and the triggers, table and name, and --json carries them', async () => {
    const file = localDb('cli.db', SCHEMA + BREAKING);
    const human = await runHesap(['db', 'push', '--local', file, '--remote', pg.url, '--dry-run']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/warning {2}orders: Trigger "orders_stamp" is not copied/);
    expect(human.stdout).toMatch(/warning {2}users: CHECK constraint "users_settings_check" \(JSON_VALID\(settings\)\) is not created/);
    expect(human.stdout).toMatch(/warning {2}orders: CHECK constraint "total_positive" \(total > 0\) on orders: 2 rows/);
    const json = jsonOf(await runHesap(['db', 'push', '--local', file, '--remote', pg.url, '--json']));
    expect(json.notes.filter((n: { code: string }) => n.code.startsWith('CHECK_') || n.code.startsWith('TRIGGER_'))).toEqual([
      expect.objectContaining({ code: 'TRIGGER_NOT_COPIED', table: 'orders', trigger: 'orders_stamp' }),
      expect.objectContaining({ code: 'CHECK_NOT_CREATED', table: 'users', constraint: 'users_settings_check' }),
      expect.objectContaining({ code: 'CHECK_NOT_VALID', table: 'orders', constraint: 'total_positive' }),
      expect.objectContaining({ code: 'CHECK_NOT_VALID', table: 'orders', constraint: 'orders_check' }),
      expect.objectContaining({ code: 'CHECK_NOT_CREATED', table: 'orders', constraint: 'total_positive1' }),
    ]);
  });
});

const django = djangoApp.missing();
(django ? describe.skip : describe)('the Django app: its JSON_VALID checks', () => {
  const tmp = tempDir('hesap-checks-django');
  const pg = databasePerTest('checks_django');
  afterAll(() => tmp.cleanup());

  it('pushes into an empty database with every row, the JSONField checks listed by table and name', async () => {
    const file = path.join(tmp.dir, 'django.db');
    await djangoApp.makeSqlite(file);
    await djangoApp.fill(file, 'local');
    const result = await push({ local: file, remote: pg.url });
    expect(result.complete).toBe(true);
    const listed = result.notes.filter((n) => n.code === 'CHECK_NOT_CREATED');
    expect(listed.map((n) => [n.table, n.constraint])).toEqual([['orders', 'orders_data_check']]);
    expect(listed[0]!.message).toContain(`CHECK constraint "orders_data_check" ((JSON_VALID("data") OR "data" IS NULL)) is not created: it uses JSON_VALID()`);
    const orders = await pg.query<{ n: number }>('SELECT count(*)::int AS n FROM orders');
    expect(orders[0]!.n).toBeGreaterThan(0);
  });
});
if (django) test.skip(`Django: ${django}`, () => undefined);
