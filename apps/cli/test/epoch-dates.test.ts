import * as fs from 'node:fs';
import * as path from 'node:path';
import { createTestDatabase, openSqlite, runHesap, jsonOf, tempDir, writeSqlite, type TestDatabase } from '@hesap/test-support';

/**
 * `--epoch-dates` and hesap.config.json's `"epochDates"`, through the built CLI (`npm run build`
 * first): Knex's epoch milliseconds and Drizzle's epoch seconds pushed as dates, pulled back as
 * the same integers, verified by meaning; without the setting, the refusal names the flag.
 */
describe('hesap db push, pull and verify with --epoch-dates', () => {
  const tmp = tempDir('hesap-cli-epoch');
  let pg: TestDatabase;
  const knexFile = path.join(tmp.dir, 'knex.db');
  const MILLIS = [1719820800123, -1, 0];

  beforeAll(async () => {
    pg = await createTestDatabase('cli_epoch');
    writeSqlite(knexFile, 'create table `events` (`id` integer not null primary key autoincrement, `at` datetime not null)', (db) =>
      MILLIS.forEach((ms, i) => db.prepare('INSERT INTO events VALUES (?, ?)').run(i + 1, ms)),
    );
  });
  afterAll(async () => {
    await pg.drop();
    tmp.cleanup();
  });

  it('without the flag, the refusal of integers for a timestamptz column names the flag that fixes it', async () => {
    await pg.query('create table "events" ("id" serial primary key, "at" timestamptz not null)');
    const run = await runHesap(['db', 'push', '--local', knexFile, '--remote', pg.url, '--json']);
    expect(run.code).toBe(1);
    const { error } = jsonOf(run);
    expect(error.code).toBe('SCHEMA_INCOMPATIBLE');
    expect(error.hints.join('\n')).toContain('--epoch-dates ms');
    expect(error.hints.join('\n')).toContain('--epoch-dates events.at=ms');
  });

  it('--epoch-dates ms pushes the milliseconds as the instants they name, and verify finds both sides the same', async () => {
    const run = await runHesap(['db', 'push', '--local', knexFile, '--remote', pg.url, '--epoch-dates', 'ms', '--json']);
    expect(run.code).toBe(0);
    const rows = await pg.query<{ at: string }>(`SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS') AS at FROM events ORDER BY id`);
    expect(rows.map((r) => r.at)).toEqual(['2024-07-01 08:00:00.123', '1969-12-31 23:59:59.999', '1970-01-01 00:00:00.000']);
    expect((await runHesap(['db', 'verify', '--local', knexFile, '--remote', pg.url, '--epoch-dates', 'ms'])).code).toBe(0);
    expect((await runHesap(['db', 'verify', '--local', knexFile, '--remote', pg.url])).code).toBe(1);
  });

  it('hesap.config.json maps a column of epoch seconds: the push makes it a date, pull and verify give back the same seconds', async () => {
    const project = path.join(tmp.dir, 'drizzle-app');
    fs.mkdirSync(project);
    fs.writeFileSync(path.join(project, 'package.json'), '{"name": "drizzle-app", "private": true}');
    fs.writeFileSync(path.join(project, 'hesap.config.json'), JSON.stringify({ local: 'app.db', epochDates: { 'sessions.expires_at': 's' } }));
    writeSqlite(path.join(project, 'app.db'), 'CREATE TABLE `sessions` (`id` integer PRIMARY KEY NOT NULL, `expires_at` integer NOT NULL)', (db) =>
      db.prepare('INSERT INTO sessions VALUES (1, 1719820800), (2, -86400)').run(),
    );
    const env = { HESAP_REMOTE_URL: pg.url };
    const pushed = await runHesap(['db', 'push', '--json'], { cwd: project, env });
    expect(pushed.code).toBe(0);
    expect(await pg.query(`SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = 'sessions'::regclass AND attname = 'expires_at'`)).toEqual([
      { type: 'timestamp(0) with time zone' },
    ]);
    expect((await runHesap(['db', 'verify', '--tables', 'sessions'], { cwd: project, env })).code).toBe(0);
    const pulled = path.join(project, 'pulled.db');
    expect((await runHesap(['db', 'pull', '--local', pulled, '--tables', 'sessions', '--yes'], { cwd: project, env })).code).toBe(0);
    const db = openSqlite(pulled);
    try {
      expect(db.prepare('SELECT expires_at FROM sessions ORDER BY id').pluck().all()).toEqual([1719820800, -86400]);
    } finally {
      db.close();
    }
  });

  it('refuses a flag that names no unit, as a usage error', async () => {
    const run = await runHesap(['db', 'push', '--local', knexFile, '--remote', pg.url, '--epoch-dates', 'events.at=us']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--epoch-dates events.at=us: expected ms, s, or table.column=ms|s.');
  });
});
