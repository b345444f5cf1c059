import * as fs from 'node:fs';
import * as path from 'node:path';
import { HesapError } from '@hesap/core';
import { createTestDatabase, databasePerTest, describePeerData, dumpSqlite, jsonOf, openSqlite, runHesap, tempDir, writeSqlite, type TestDatabase } from '@hesap/test-support';
import { pull, push } from '@hesap/api';

/**
 * Rows whose foreign keys do not hold (issue 19): SQLite enforces foreign keys only when the
 * app turns them on. No push ends having left rows out unless asked: a table the push creates
 * takes every row under a NOT VALID key, said in a warning; a merge into a table whose key
 * checks new rows (validated or NOT VALID) is refused, naming every key, unless skipOrphans.
 */

const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected the push to fail');
    },
    (e: unknown) => e as HesapError,
  );

/** Two tables with orphans through two keys; tasks also hangs off a project that is itself an orphan. */
const SCHEMA = `
  PRAGMA foreign_keys = OFF;
  CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);
  CREATE TABLE teams (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
  CREATE TABLE projects (id INTEGER PRIMARY KEY, owner_id INTEGER REFERENCES users (id), team_id INTEGER REFERENCES teams (id), name TEXT NOT NULL);
  CREATE TABLE tasks (id INTEGER PRIMARY KEY, project_id INTEGER REFERENCES projects (id), title TEXT NOT NULL);
  INSERT INTO users VALUES (1, 'ali@example.com'), (2, 'ayse@example.com');
  INSERT INTO teams VALUES (1, 'core');
  INSERT INTO projects VALUES (1, 1, 1, 'fine'), (2, 2, NULL, 'fine too');
  INSERT INTO tasks VALUES (1, 1, 'a'), (2, 2, 'b');`;

/** The orphans: a project whose owner is gone, one whose team is gone, a task under the first and a task whose project is gone. */
const ORPHANS = `
  INSERT INTO projects VALUES (3, 77, 1, 'owner gone'), (4, 1, 55, 'team gone');
  INSERT INTO tasks VALUES (3, 3, 'under an orphan'), (4, 99, 'project gone');`;

async function constraints(db: TestDatabase): Promise<Array<{ name: string; valid: boolean }>> {
  return db.query(`SELECT conname AS name, convalidated AS valid FROM pg_constraint WHERE contype = 'f' ORDER BY conname`);
}

async function rows(db: TestDatabase, table: string): Promise<number[]> {
  return (await db.query<{ id: number }>(`SELECT id::int AS id FROM ${table} ORDER BY id`)).map((r) => r.id);
}

describe('rows whose foreign keys do not hold', () => {
  const tmp = tempDir('hesap-orphans');
  const pg = databasePerTest('orphans');
  afterAll(() => tmp.cleanup());

  const localDb = (name: string, sql: string) => writeSqlite(path.join(tmp.dir, name), sql);

  it('a push that creates the tables takes every row, each broken key NOT VALID and named in a warning, in every mode', async () => {
    const file = localDb('created.db', SCHEMA + ORPHANS);
    for (const mode of ['merge', 'replace', 'create'] as const) {
      await pg.query('DROP TABLE IF EXISTS tasks, projects, teams, users');
      const result = await push({ local: file, remote: pg.url, mode });
      expect({ mode, complete: result.complete, left: result.rowsLeftOut }).toEqual({ mode, complete: true, left: 0 });
      expect(await rows(pg, 'projects')).toEqual([1, 2, 3, 4]);
      expect(await rows(pg, 'tasks')).toEqual([1, 2, 3, 4]);
      const warnings = result.notes.filter((n) => n.code === 'FOREIGN_KEY_NOT_VALID').map((n) => n.message);
      expect(warnings).toEqual([
        expect.stringContaining('"projects_owner_id_fkey" on projects → users: 1 row (first: id=3 (owner_id=77))'),
        expect.stringContaining('"projects_team_id_fkey" on projects → teams: 1 row (first: id=4 (team_id=55))'),
        expect.stringContaining('"tasks_project_id_fkey" on tasks → projects: 1 row (first: id=4 (project_id=99))'),
      ]);
      expect(await constraints(pg)).toEqual([
        { name: 'projects_owner_id_fkey', valid: false },
        { name: 'projects_team_id_fkey', valid: false },
        { name: 'tasks_project_id_fkey', valid: false },
      ]);
    }
    // A NOT VALID key still checks new rows.
    await expect(pg.query(`INSERT INTO tasks VALUES (5, 12345, 'new orphan')`)).rejects.toThrow(/violates foreign key/);
  });

  it('a merge into validated keys is refused before anything is written, naming every broken key; skipOrphans leaves those rows out and lists them', async () => {
    await push({ local: localDb('clean.db', SCHEMA), remote: pg.url });
    expect((await constraints(pg)).every((c) => c.valid)).toBe(true);
    const file = localDb('orphans.db', SCHEMA + ORPHANS);
    const before = { projects: await rows(pg, 'projects'), tasks: await rows(pg, 'tasks') };
    const error = await failure(push({ local: file, remote: pg.url }));
    expect(error).toMatchObject({ code: 'CONSTRAINT_VIOLATION', table: 'projects', row: 'id=3' });
    expect(error.message).toContain('3 rows point at parent rows that exist nowhere, and 1 row under them; nothing was written.');
    expect(error.message).toContain('"projects_owner_id_fkey" on projects → users: 1 row (first: id=3 (owner_id=77))');
    expect(error.message).toContain('"projects_team_id_fkey" on projects → teams: 1 row (first: id=4 (team_id=55))');
    expect(error.message).toContain('"tasks_project_id_fkey" on tasks → projects: 1 row (first: id=4 (project_id=99))');
    expect(error.hints.join(' ')).toMatch(/--skip-orphans/);
    expect({ projects: await rows(pg, 'projects'), tasks: await rows(pg, 'tasks') }).toEqual(before);

    const result = await push({ local: file, remote: pg.url, skipOrphans: true });
    expect([result.complete, result.rowsLeftOut]).toEqual([false, 4]);
    const skipped = result.tables.flatMap((t) => t.skipped.map((s) => [t.table, s.sourceKey, s.constraint, s.orphan]));
    expect(skipped).toEqual([
      ['projects', 'id=3', 'projects_owner_id_fkey', 'parent-missing'],
      ['projects', 'id=4', 'projects_team_id_fkey', 'parent-missing'],
      ['tasks', 'id=3', 'tasks_project_id_fkey', 'parent-left-out'],
      ['tasks', 'id=4', 'tasks_project_id_fkey', 'parent-missing'],
    ]);
    expect(await rows(pg, 'projects')).toEqual([1, 2]);
    expect(await rows(pg, 'tasks')).toEqual([1, 2]);
  });

  it('a key made NOT VALID by an earlier push lets its rows be on the next push, and refuses new ones like a validated key', async () => {
    const file = localDb('first.db', SCHEMA + ORPHANS);
    await push({ local: file, remote: pg.url });
    // The same file again: its orphans are rows already there, not new ones.
    const again = await push({ local: file, remote: pg.url });
    expect(again.complete).toBe(true);
    expect(again.tables.map((t) => [t.table, t.inserted, t.skipped.length])).toEqual(again.tables.map((t) => [t.table, 0, 0]));
    // A new orphan is refused, and left out when asked.
    const db = openSqlite(file);
    db.exec(`PRAGMA foreign_keys = OFF; INSERT INTO tasks VALUES (5, 42, 'new orphan'), (6, 1, 'fine')`);
    db.close();
    const error = await failure(push({ local: file, remote: pg.url }));
    expect(error.message).toContain('"tasks_project_id_fkey" on tasks → projects: 1 row (first: id=5 (project_id=42))');
    expect(await rows(pg, 'tasks')).toEqual([1, 2, 3, 4]);
    const result = await push({ local: file, remote: pg.url, skipOrphans: true });
    expect(result.tables.find((t) => t.table === 'tasks')!.skipped.map((s) => s.sourceKey)).toEqual(['id=5']);
    expect(await rows(pg, 'tasks')).toEqual([1, 2, 3, 4, 6]);
  });

  it('replace, and a create into empty tables that exist, refuse naming every broken key, and write nothing', async () => {
    await push({ local: localDb('clean2.db', SCHEMA), remote: pg.url });
    const file = localDb('orphans2.db', SCHEMA + ORPHANS);
    const replaced = await failure(push({ local: file, remote: pg.url, mode: 'replace' }));
    expect(replaced.code).toBe('CONSTRAINT_VIOLATION');
    for (const name of ['projects_owner_id_fkey', 'projects_team_id_fkey', 'tasks_project_id_fkey']) expect(replaced.message).toContain(`"${name}"`);
    expect(await rows(pg, 'tasks')).toEqual([1, 2]);
    expect((await constraints(pg)).every((c) => c.valid)).toBe(true);
    await pg.query('TRUNCATE tasks, projects, teams, users');
    const created = await failure(push({ local: file, remote: pg.url, mode: 'create' }));
    for (const name of ['projects_owner_id_fkey', 'projects_team_id_fkey', 'tasks_project_id_fkey']) expect(created.message).toContain(`"${name}"`);
    expect(await rows(pg, 'tasks')).toEqual([]);
    expect(await constraints(pg)).toEqual([
      { name: 'projects_owner_id_fkey', valid: true },
      { name: 'projects_team_id_fkey', valid: true },
      { name: 'tasks_project_id_fkey', valid: true },
    ]);
  });

  it('the CLI: refused with exit 1; --skip-orphans exits 3 with complete false and the rows left out in --json', async () => {
    await push({ local: localDb('clean3.db', SCHEMA), remote: pg.url });
    const file = localDb('orphans3.db', SCHEMA + ORPHANS);
    const refused = await runHesap(['db', 'push', '--local', file, '--remote', pg.url, '--json']);
    expect(refused.code).toBe(1);
    expect(jsonOf(refused).error).toMatchObject({ code: 'CONSTRAINT_VIOLATION' });
    const skipped = await runHesap(['db', 'push', '--local', file, '--remote', pg.url, '--skip-orphans', '--json']);
    expect(skipped.code).toBe(3);
    const json = jsonOf(skipped);
    expect([json.complete, json.rowsLeftOut]).toEqual([false, 4]);
    const human = await runHesap(['db', 'push', '--local', file, '--remote', pg.url, '--skip-orphans']);
    expect(human.code).toBe(3);
    expect(human.stdout).toMatch(/4 source row\(s\) were left out/);
  });
});

describePeerData('SQL Murder Mystery (foreign keys the data does not satisfy)', (peer) => {
  const tmp = tempDir('hesap-murder');
  let pg: TestDatabase;
  beforeAll(async () => {
    pg = await createTestDatabase('murder');
  });
  afterAll(async () => {
    await pg?.drop();
    tmp.cleanup();
  });

  it('lands every row in an empty PostgreSQL, names both broken keys, pushes again as nothing, and pulls back identical', async () => {
    const file = path.join(tmp.dir, 'sql-murder-mystery.db');
    fs.copyFileSync(path.join(peer, 'sql-murder-mystery/sql-murder-mystery.db'), file);
    fs.chmodSync(file, 0o644);
    const before = dumpSqlite(file);
    const result = await push({ local: file, remote: pg.url });
    expect([result.complete, result.rowsLeftOut]).toEqual([true, 0]);
    const received = result.tables.reduce((n, t) => n + t.received, 0);
    expect(received).toBe(56649);
    expect(result.tables.reduce((n, t) => n + t.inserted, 0)).toBe(received);
    const warnings = result.notes.filter((n) => n.code === 'FOREIGN_KEY_NOT_VALID').map((n) => n.message);
    expect(warnings).toEqual([expect.stringContaining('"person_ssn_fkey" on person → income: 2497 rows'), expect.stringContaining('"person_license_id_fkey" on person → drivers_license: 5 rows')]);
    const again = await push({ local: file, remote: pg.url });
    expect(again.complete).toBe(true);
    expect(again.tables.filter((t) => t.inserted + t.updated > 0)).toEqual([]);
    const pulled = path.join(tmp.dir, 'pulled.db');
    await pull({ local: pulled, remote: pg.url });
    expect(dumpSqlite(pulled)).toEqual(before);
  });
});
