import * as fs from 'node:fs';
import * as path from 'node:path';
import { databasePerTest, jsonOf, openSqlite, runHesap, tempDir, writeSqlite } from '@hesap/test-support';
import { copy, pull, push } from '@hesap/api';

/**
 * Migration bookkeeping stays home (issue 19): each database keeps its own record of the
 * migrations applied to it. A first deploy carries the record with the schema; later pushes,
 * pulls and copies leave it out where the target has its own, unless asked.
 */
describe('migration bookkeeping tables', () => {
  const tmp = tempDir('hesap-migrations');
  const pg = databasePerTest('migrations');
  afterAll(() => tmp.cleanup());

  const SCHEMA = `
    CREATE TABLE django_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, app TEXT NOT NULL, name TEXT NOT NULL, applied TEXT NOT NULL);
    CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY);
    CREATE TABLE migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, timestamp BIGINT NOT NULL, name VARCHAR NOT NULL);
    CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL UNIQUE);`;

  const localDb = (name: string, rows: string) => writeSqlite(path.join(tmp.dir, name), SCHEMA + rows);

  const LOCAL = `
    INSERT INTO django_migrations (app, name, applied) VALUES ('paylas', '0001_initial', '2024-07-01 08:00:00.000000'), ('paylas', '0002_more', '2024-07-02 08:00:00.000000');
    INSERT INTO alembic_version VALUES ('local_head');
    INSERT INTO migrations (timestamp, name) VALUES (1719820800000, 'Init1719820800000');
    INSERT INTO users (email) VALUES ('ali@example.com');`;

  const count = async (table: string) => Number((await pg.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${table}`))[0]!.n);

  it('travel with a first deploy, and stay home on the next push, with one note', async () => {
    const file = localDb('app.db', LOCAL);
    const first = await push({ local: file, remote: pg.url });
    expect(first.tables.map((t) => t.table).sort()).toEqual(['alembic_version', 'django_migrations', 'migrations', 'users']);
    expect(first.notes.filter((n) => n.code === 'MIGRATION_TABLES_LEFT_HOME')).toEqual([]);
    expect(await count('django_migrations')).toBe(2);

    // Production migrates on its own: its record is its own from now on.
    await pg.query(`UPDATE alembic_version SET version_num = 'production_head'; INSERT INTO django_migrations (app, name, applied) VALUES ('paylas', '0003_prod', now())`);
    const db = openSqlite(file);
    db.exec(`INSERT INTO django_migrations (app, name, applied) VALUES ('paylas', '0003_local', '2024-08-01 08:00:00.000000'); INSERT INTO users (email) VALUES ('ayse@example.com');`);
    db.close();
    const second = await push({ local: file, remote: pg.url });
    expect(second.tables.map((t) => t.table)).toEqual(['users']);
    const notes = second.notes.filter((n) => n.code === 'MIGRATION_TABLES_LEFT_HOME');
    expect(notes).toHaveLength(1);
    for (const name of ['alembic_version', 'django_migrations', 'migrations']) expect(notes[0]!.message).toContain(name);
    expect(await count('django_migrations')).toBe(3);
    expect(await pg.query(`SELECT version_num FROM alembic_version`)).toEqual([{ version_num: 'production_head' }]);
    expect(await count('users')).toBe(2);
  });

  it('a table named "migrations" that is not TypeORM\'s moves like any other', async () => {
    await pg.query(`CREATE TABLE migrations (id serial PRIMARY KEY, name text NOT NULL, batch integer NOT NULL)`);
    const file = path.join(tmp.dir, 'knexish.db');
    fs.rmSync(file, { force: true });
    const db = openSqlite(file);
    db.exec(`CREATE TABLE migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, batch INTEGER NOT NULL); INSERT INTO migrations VALUES (1, 'x', 1);`);
    db.close();
    const result = await push({ local: file, remote: pg.url });
    expect(result.tables.map((t) => [t.table, t.inserted])).toEqual([['migrations', 1]]);
  });

  it('go when named in --tables, or with the setting include', async () => {
    const file = localDb('named.db', LOCAL);
    await pg.query(`CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY); INSERT INTO alembic_version VALUES ('production_head')`);
    await pg.query(`CREATE TABLE django_migrations (id serial PRIMARY KEY, app text NOT NULL, name text NOT NULL, applied text NOT NULL)`);
    const named = await push({ local: file, remote: pg.url, tables: ['alembic_version', 'users'] });
    expect(named.tables.map((t) => t.table).sort()).toEqual(['alembic_version', 'users']);
    expect(named.notes.filter((n) => n.code === 'MIGRATION_TABLES_LEFT_HOME')).toEqual([]);
    expect((await pg.query(`SELECT version_num FROM alembic_version ORDER BY 1`)).map((r) => r.version_num)).toEqual(['local_head', 'production_head']);
    const all = await push({ local: file, remote: pg.url, migrationTables: 'include' });
    expect(all.tables.map((t) => t.table)).toEqual(expect.arrayContaining(['django_migrations']));
    expect(await count('django_migrations')).toBe(2);
  });

  it('a pull into a new file brings the record of the database pulled; a copy into a file that has its own leaves it there', async () => {
    const file = localDb('source.db', LOCAL);
    await push({ local: file, remote: pg.url });
    await pg.query(`INSERT INTO django_migrations (app, name, applied) VALUES ('paylas', '0003_prod', '2024-09-01')`);
    const pulled = path.join(tmp.dir, 'pulled.db');
    const result = await pull({ local: pulled, remote: pg.url });
    expect(result.tables.map((t) => t.table)).toEqual(expect.arrayContaining(['django_migrations']));
    const read = openSqlite(pulled);
    expect(read.prepare('SELECT count(*) AS n FROM django_migrations').get()).toEqual({ n: 3 });
    read.close();
    // A copy into the local file, which keeps its own record: users only.
    const copied = await copy({ from: pg.url, to: file, mode: 'replace', fresh: false });
    expect(copied.tables.map((t) => t.table)).toEqual(['users']);
    const local = openSqlite(file);
    expect(local.prepare('SELECT count(*) AS n FROM django_migrations').get()).toEqual({ n: 2 });
    local.close();
  });

  it('the CLI reads "migrationTables" from hesap.config.json and refuses a value it does not know', async () => {
    const file = localDb('cli.db', LOCAL);
    await push({ local: file, remote: pg.url });
    const project = path.join(tmp.dir, 'project');
    fs.mkdirSync(project, { recursive: true });
    const config = path.join(project, 'hesap.config.json');
    fs.writeFileSync(config, JSON.stringify({ migrationTables: 'include' }));
    const run = await runHesap(['db', 'push', '--local', file, '--remote', pg.url, '--json'], { cwd: project });
    expect(jsonOf(run).tables.map((t: { table: string }) => t.table)).toEqual(expect.arrayContaining(['django_migrations', 'users']));
    fs.writeFileSync(config, JSON.stringify({ migrationTables: 'sometimes' }));
    const bad = await runHesap(['db', 'push', '--local', file, '--remote', pg.url, '--json'], { cwd: project });
    expect(bad.code).toBe(2);
    expect(jsonOf(bad).error.code).toBe('CONFIG_INVALID');
  });
});
