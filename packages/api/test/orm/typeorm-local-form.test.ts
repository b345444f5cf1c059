import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { createTestDatabase, openSqlite, tempDir, type TestDatabase } from '@hesap/test-support';
import { pull } from '@hesap/api';
import { sortedObjects } from './journey';
import { typeormApp, type ReadBack } from './orm-apps';

/**
 * A pull into the file a TypeORM app already has: TypeORM writes `2024-01-02 03:04:05.678`
 * and reads six digits (`.678000`) as the process's local time, so the pulled values are
 * written in the form of the app's own rows there whenever they fit it. Read with a zone
 * other than UTC, where six digits would move every instant.
 */

const SCRIPT = path.resolve(__dirname, '../../../../tools/orm-apps/node/typeorm-app.js');
const TABLES = ['users', 'groups', 'group_members', 'orders'];

/**
 * The TypeORM app's read-back in Istanbul (UTC+3). Production is read as the app that wrote it
 * runs, in UTC: TypeORM hands PostgreSQL's naive timestamps over as the process's local time.
 */
function readInIstanbul(target: string): ReadBack {
  const out = execFileSync(process.execPath, [SCRIPT, 'read-back', target, '--json'], { env: { ...process.env, TZ: 'Europe/Istanbul' }, maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(out.toString()) as ReadBack;
}

function texts(file: string, sql: string): unknown[] {
  const db = openSqlite(file);
  try {
    return db.prepare(sql).pluck().all();
  } finally {
    db.close();
  }
}

const missing = typeormApp.missing();
(missing ? describe.skip : describe)("TypeORM app: a pull into the app's own file", () => {
  const tmp = tempDir('hesap-typeorm-local-form');
  let production: TestDatabase;

  beforeAll(async () => {
    production = await createTestDatabase('orm_typeorm_local_form');
    await typeormApp.makePg(production.url);
    await typeormApp.fill(production.url, 'production');
  });
  afterAll(async () => {
    await production?.drop();
    tmp.cleanup();
  });

  const appFile = async (name: string) => {
    const file = path.join(tmp.dir, name);
    await typeormApp.makeSqlite(file);
    await typeormApp.fill(file, 'local');
    return file;
  };

  it('writes three fraction digits, as the app does, and the app reads the instants production holds (--tables)', async () => {
    const file = await appFile('tables.db');
    await pull({ local: file, remote: production.url, tables: TABLES });
    expect(texts(file, "SELECT created_at FROM users WHERE email = 'signup1@example.org'")).toEqual(['2024-05-02 10:11:12.131']);
    expect(sortedObjects(readInIstanbul(file).objects)).toEqual(sortedObjects((await typeormApp.readBack(production.url)).objects));
  });

  it('does so in a whole pull into the file too', async () => {
    const file = await appFile('whole.db');
    await pull({ local: file, remote: production.url });
    expect(texts(file, 'SELECT DISTINCT length(created_at) FROM orders')).toEqual([23]);
    expect(sortedObjects(readInIstanbul(file).objects)).toEqual(sortedObjects((await typeormApp.readBack(production.url)).objects));
  });

  it('keeps six digits where a value has microseconds the three-digit form would lose', async () => {
    const file = await appFile('micro.db');
    await production.query("UPDATE orders SET created_at = created_at + interval '0.000001 second' WHERE id = (SELECT min(id) FROM orders)");
    try {
      await pull({ local: file, remote: production.url, tables: ['orders'] });
    } finally {
      await production.query("UPDATE orders SET created_at = created_at - interval '0.000001 second' WHERE id = (SELECT min(id) FROM orders)");
    }
    expect(texts(file, 'SELECT DISTINCT length(created_at) FROM orders')).toEqual([26]);
    // The users the pull left alone keep the app's own form.
    expect(texts(file, 'SELECT DISTINCT length(created_at) FROM users')).toEqual([23]);
  });
});
