import { HesapError } from '@hesap/core';
import { pull, push } from '@hesap/api';
import { openSqlite, rejectionOf, startSqliteApp as startApp, type SqliteApp } from '@hesap/test-support';
import { filePerTest } from '../support/shadow-files';

/**
 * `pull --mode merge` into a file a running app holds (issue 23: "one SQLite transaction
 * through SQLite's locks; the pull-safety rules apply"). The app is another process with its
 * own connection, as a dev server is; production's rows are written with SQL on its own
 * connection. Each case ends with integrity_check ok and every committed row of both sides.
 */

const SCHEMA = `
  CREATE TABLE items (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL);
  CREATE TABLE app_log (id INTEGER PRIMARY KEY, msg TEXT NOT NULL);
  CREATE TRIGGER log_new_items AFTER INSERT ON items BEGIN INSERT INTO app_log (msg) VALUES ('item ' || NEW.id); END;
  INSERT INTO items (name) VALUES ('old 1'), ('old 2'), ('old 3');
  DELETE FROM app_log;
`;

/** The items as the file holds them before anything else happens (`first` named as it is then), and production's two. */
const OLD = (first = 'old 1') => [
  { id: 1, name: first },
  { id: 2, name: 'old 2' },
  { id: 3, name: 'old 3' },
];
const REMOTE = [
  { id: 4, name: 'remote 4' },
  { id: 5, name: 'remote 5' },
];

function stateOf(file: string) {
  const db = openSqlite(file);
  try {
    return {
      integrity: db.pragma('integrity_check', { simple: true }) as string,
      items: db.prepare('SELECT id, name FROM items ORDER BY id').all() as Array<{ id: number; name: string }>,
      log: db.prepare('SELECT msg FROM app_log ORDER BY id').pluck().all() as string[],
    };
  } finally {
    db.close();
  }
}

describe('pull --mode merge into a file a running app holds', () => {
  const { pg, make } = filePerTest('pull-merge-live');
  const apps: SqliteApp[] = [];
  afterEach(() => apps.splice(0).forEach((a) => a.dispose()));
  const startSqliteApp = async (file: string) => {
    const app = await startApp(file);
    apps.push(app);
    return app;
  };

  /** The app's file pushed once, in the journal mode given; production then adds items 4 and 5. */
  async function pushed(journal: 'wal' | 'delete'): Promise<string> {
    const file = make(`PRAGMA journal_mode = ${journal}; ${SCHEMA}`);
    await push({ local: file, remote: pg.url, tables: ['items'] });
    await pg.query(`INSERT INTO items (name) VALUES ('remote 4'), ('remote 5')`);
    return file;
  }

  it('WAL mode, an app connection open that committed an edit before (not checkpointed) and writes after: both kept, the app\'s trigger fired for the rows that came in', async () => {
    const file = await pushed('wal');
    const app = await startSqliteApp(file);
    await app.exec("PRAGMA wal_autocheckpoint = 0; UPDATE items SET name = 'edited here' WHERE id = 1;");
    const r = await pull({ local: file, remote: pg.url, mode: 'merge', tables: ['items'] });
    expect(r.tables[0]).toMatchObject({ inserted: 2, updated: 0 });
    await app.exec("INSERT INTO items (name) VALUES ('written by the app after the pull')");
    expect(await app.all('SELECT id FROM items ORDER BY id DESC LIMIT 1')).toEqual([{ id: 6 }]);
    await app.stop();
    expect(stateOf(file)).toEqual({
      integrity: 'ok',
      items: [...OLD('edited here'), ...REMOTE, { id: 6, name: 'written by the app after the pull' }],
      log: ['item 4', 'item 5', 'item 6'],
    });
    // The edit here and the app's new row go up; what came down does not.
    const up = await push({ local: file, remote: pg.url, tables: ['items'] });
    expect(up.incremental!.tables[0]).toMatchObject({ inserted: 1, updated: 1 });
    expect(await pg.query(`SELECT id, name FROM items ORDER BY id`)).toEqual(stateOf(file).items);
  });

  it('an app inside BEGIN EXCLUSIVE for longer than the lock timeout: LOCK_TIMEOUT, the file as the app leaves it, and the record still trusted', async () => {
    const file = await pushed('delete');
    const app = await startSqliteApp(file);
    await app.exec("BEGIN EXCLUSIVE; INSERT INTO items (name) VALUES ('committed after hesap gave up');");
    const error = await rejectionOf<HesapError>(pull({ local: file, remote: pg.url, mode: 'merge', tables: ['items'], lockTimeoutSeconds: 1, attempts: 1 }));
    expect(error).toBeInstanceOf(HesapError);
    expect(error.code).toBe('LOCK_TIMEOUT');
    await app.exec('COMMIT');
    await app.stop();
    expect(stateOf(file)).toEqual({
      integrity: 'ok',
      items: [...OLD(), { id: 4, name: 'committed after hesap gave up' }],
      log: ['item 4'],
    });
    // The record was set aside for the merge and put back: the next push is incremental, and meets production's 4 with its own 4.
    const up = await push({ local: file, remote: pg.url, tables: ['items'] });
    expect(up.incremental).toMatchObject({ used: true });
    expect(up.tables[0]).toMatchObject({ inserted: 1, remapped: 1 });
  });

  it('an app killed inside a write transaction (a hot journal): SQLite rolls it back first, then the rows merge', async () => {
    const file = await pushed('delete');
    const app = await startSqliteApp(file);
    await app.exec(`PRAGMA cache_size = 2; BEGIN;
      WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 3000)
      INSERT INTO app_log (msg) SELECT 'uncommitted ' || i || hex(randomblob(50)) FROM s;`);
    await app.send({ kill: true });
    const r = await pull({ local: file, remote: pg.url, mode: 'merge', tables: ['items'] });
    expect(r.tables[0]).toMatchObject({ inserted: 2 });
    expect(stateOf(file)).toEqual({
      integrity: 'ok',
      items: [...OLD(), ...REMOTE],
      log: ['item 4', 'item 5'],
    });
  });
});
