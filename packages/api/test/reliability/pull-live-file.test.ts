import * as fs from 'node:fs';
import * as path from 'node:path';
import { HesapError } from '@hesap/core';
import { pull, snapshot, verify } from '@hesap/api';
import {
  createTestDatabase,
  hesapTempFiles,
  openSqlite,
  rejectionOf,
  spawnHesap,
  startSqliteApp as startApp,
  tempDir,
  type SqliteApp,
  type TestDatabase,
} from '@hesap/test-support';

/**
 * Pull and `snapshot restore --to local` into a file a running app holds, as SQLite sees it:
 * the app is another process with its own connection (a dev server). Before, hesap renamed
 * a new file over the old one: a leftover WAL or hot journal of the old file was then
 * replayed into the new one, and an app's connection kept writing to the unlinked old file.
 * Each case ends with `integrity_check` ok and one coherent state: the remote tables
 * complete, and everything the app committed outside them still there.
 */

const REMOTE_ROWS = 1000;

interface LocalState {
  integrity: string;
  items: { n: number; sum: number; remote: number };
  log: string[];
  view: boolean;
  trigger: boolean;
  userVersion: number;
  applicationId: number;
}

/** The file as a new connection of the app sees it. */
function stateOf(file: string): LocalState {
  const db = openSqlite(file);
  try {
    return {
      integrity: db.pragma('integrity_check', { simple: true }) as string,
      items: db.prepare("SELECT count(*) AS n, coalesce(sum(id), 0) AS sum, count(*) FILTER (WHERE name = 'remote ' || id) AS remote FROM items").get() as LocalState['items'],
      log: db.prepare('SELECT msg FROM app_log ORDER BY id').pluck().all() as string[],
      view: db.prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'view' AND name = 'recent_items'").pluck().get() === 1,
      trigger: db.prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND name = 'log_new_items'").pluck().get() === 1,
      userVersion: db.pragma('user_version', { simple: true }) as number,
      applicationId: db.pragma('application_id', { simple: true }) as number,
    };
  } finally {
    db.close();
  }
}

const REMOTE_ITEMS = { n: REMOTE_ROWS, sum: (REMOTE_ROWS * (REMOTE_ROWS + 1)) / 2, remote: REMOTE_ROWS };
const OLD_ITEMS = { n: 3, sum: 6, remote: 0 };
/** What hesap must keep of the app's file whatever it pulls. */
const APP_PARTS = { view: true, trigger: true, userVersion: 7, applicationId: 42 };

describe('pull and restore into a file a running app holds', () => {
  const tmp = tempDir('hesap-live');
  let pg: TestDatabase;
  let snapshotPath: string;

  beforeAll(async () => {
    pg = await createTestDatabase('live_file');
    await pg.query(`
      CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL);
      INSERT INTO items SELECT i, 'remote ' || i FROM generate_series(1, ${REMOTE_ROWS}) i;`);
    snapshotPath = (await snapshot.create({ from: pg.url, kind: 'remote', dir: path.join(tmp.dir, 'snapshots') })).snapshot.path;
  }, 60_000);
  afterAll(async () => {
    await pg.drop();
    tmp.cleanup();
  });
  // A failed test must not leave an app holding its lock (or jest waiting for its pipes).
  const apps: SqliteApp[] = [];
  afterEach(() => apps.splice(0).forEach((a) => a.dispose()));
  const startSqliteApp = async (file: string) => {
    const app = await startApp(file);
    apps.push(app);
    return app;
  };

  // The app's own table stays because the pull names the tables it brings (a whole pull makes
  // the file's tables the remote's: pull-local-file).
  const operations = [
    {
      name: 'pull',
      api: (file: string, lockTimeoutSeconds?: number) => pull({ local: file, remote: pg.url, tables: ['items'], lockTimeoutSeconds, attempts: 1 }),
      cli: (file: string) => ['db', 'pull', '--local', file, '--remote', pg.url, '--tables', 'items', '--yes'],
    },
    {
      name: 'snapshot restore --to local',
      api: async (file: string, lockTimeoutSeconds?: number) => {
        const result = await snapshot.restore({ snapshot: snapshotPath, to: file, tables: ['items'], lockTimeoutSeconds, attempts: 1 });
        expect(result.check.ok).toBe(true);
        return result;
      },
      cli: (file: string) => ['db', 'snapshot', 'restore', snapshotPath, '--to', 'local', '--local', file, '--tables', 'items', '--yes'],
    },
  ];

  /** The app's file: the table hesap replaces, a table of its own, a view, a trigger and header fields. */
  function appFile(name: string, journal: 'wal' | 'delete'): string {
    const file = path.join(tmp.dir, name);
    for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) fs.rmSync(f, { force: true });
    const db = openSqlite(file);
    db.pragma(`journal_mode = ${journal}`);
    db.exec(`
      CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
      INSERT INTO items VALUES (1, 'old 1'), (2, 'old 2'), (3, 'old 3');
      CREATE TABLE app_log (id INTEGER PRIMARY KEY, msg TEXT NOT NULL);
      INSERT INTO app_log (msg) VALUES ('seeded');
      CREATE VIEW recent_items AS SELECT * FROM items ORDER BY id DESC LIMIT 10;
      CREATE TRIGGER log_new_items AFTER INSERT ON items BEGIN INSERT INTO app_log (msg) VALUES ('item ' || NEW.id); END;
      PRAGMA user_version = 7;
      PRAGMA application_id = 42;`);
    db.close();
    return file;
  }

  /** The app dies inside a write transaction whose pages already spilled into the file (a tiny page cache): a hot journal. */
  async function killInsideTransaction(file: string): Promise<void> {
    const app = await startSqliteApp(file);
    await app.exec(`PRAGMA cache_size = 2; BEGIN;
      WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 3000)
      INSERT INTO app_log (msg) SELECT 'uncommitted ' || i || hex(randomblob(50)) FROM s;`);
    await app.send({ kill: true });
    expect(fs.statSync(`${file}-journal`).size).toBeGreaterThan(0);
  }

  it('a hot journal is rolled back before hesap reads the file (verify, push), though it reads without writing', async () => {
    const file = appFile('hot-journal-read.db', 'delete');
    await killInsideTransaction(file);
    const result = await verify({ local: file, remote: pg.url });
    expect(result.tables.find((t) => t.table === 'app_log')).toMatchObject({ status: 'only-local', localRows: 1 });
    expect(stateOf(file)).toEqual({ integrity: 'ok', items: OLD_ITEMS, log: ['seeded'], ...APP_PARTS });
  });

  describe.each(operations)('$name', (op) => {
    it('a WAL left by an app killed after a commit, before a checkpoint: recovered into the file, then the remote tables installed', async () => {
      const file = appFile('crashed-wal.db', 'wal');
      const app = await startSqliteApp(file);
      await app.exec("PRAGMA wal_autocheckpoint = 0; INSERT INTO app_log (msg) VALUES ('committed before the crash'); UPDATE items SET name = 'changed' WHERE id = 1;");
      await app.send({ kill: true });
      expect(fs.statSync(`${file}-wal`).size).toBeGreaterThan(0);

      await op.api(file);
      expect(stateOf(file)).toEqual({
        integrity: 'ok',
        items: REMOTE_ITEMS,
        log: ['seeded', 'committed before the crash'],
        ...APP_PARTS,
      });
    });

    it('an idle app connection in WAL mode that writes after the pull: the file stays sound, with the remote rows and the new row', async () => {
      const file = appFile('idle-wal.db', 'wal');
      const app = await startSqliteApp(file);
      expect(await app.all('SELECT count(*) AS n FROM items')).toEqual([{ n: 3 }]);

      await op.api(file);
      await app.exec("INSERT INTO items (id, name) VALUES (100001, 'written by the app after the pull')");
      expect(await app.all('SELECT count(*) AS n FROM items')).toEqual([{ n: REMOTE_ROWS + 1 }]);
      await app.stop();
      expect(stateOf(file)).toEqual({
        integrity: 'ok',
        items: { n: REMOTE_ROWS + 1, sum: REMOTE_ITEMS.sum + 100001, remote: REMOTE_ROWS },
        // The app's trigger is still on the new table, and fired.
        log: ['seeded', 'item 100001'],
        ...APP_PARTS,
      });
    });

    it('an app killed inside a write transaction (a hot journal): SQLite rolls it back first, then the remote tables go in', async () => {
      const file = appFile('hot-journal.db', 'delete');
      await killInsideTransaction(file);

      await op.api(file);
      expect(stateOf(file)).toEqual({ integrity: 'ok', items: REMOTE_ITEMS, log: ['seeded'], ...APP_PARTS });
    });

    it('an app inside BEGIN EXCLUSIVE for longer than --lock-timeout: LOCK_TIMEOUT, and the file as the app leaves it', async () => {
      const file = appFile('held.db', 'delete');
      const app = await startSqliteApp(file);
      await app.exec("BEGIN EXCLUSIVE; INSERT INTO app_log (msg) VALUES ('committed after hesap gave up');");

      const error = await rejectionOf<HesapError>(op.api(file, 1));
      expect(error).toBeInstanceOf(HesapError);
      expect({ code: error.code, message: error.message }).toEqual({ code: 'LOCK_TIMEOUT', message: expect.stringContaining('the file was left as it was') });
      await app.exec('COMMIT');
      await app.stop();
      expect(stateOf(file)).toEqual({ integrity: 'ok', items: OLD_ITEMS, log: ['seeded', 'committed after hesap gave up'], ...APP_PARTS });
      expect(hesapTempFiles(tmp.dir)).toEqual([]);
    });

    it('an app inside BEGIN EXCLUSIVE that commits while hesap waits: the CLI waits for it, then installs', async () => {
      const file = appFile('waited.db', 'delete');
      const app = await startSqliteApp(file);
      await app.exec("BEGIN EXCLUSIVE; INSERT INTO app_log (msg) VALUES ('committed while hesap waited');");
      const run = spawnHesap([...op.cli(file), '--lock-timeout', '120', '--log-level', 'info'], { timeoutMs: 180_000 });
      // The CLI says when it starts waiting for the app's lock; only then does the app commit.
      await new Promise<void>((resolve, reject) => {
        let seen = '';
        run.child.stderr!.on('data', (chunk: Buffer) => {
          seen += chunk.toString();
          if (seen.includes("waiting up to 120 s for the app's lock")) resolve();
        });
        run.child.on('exit', () => reject(new Error(`hesap ended before waiting for the lock:\n${seen}`)));
      });
      expect(run.child.exitCode).toBeNull();
      await app.exec('COMMIT');
      const result = await run.done;
      expect({ code: result.code, errors: result.stderr.split('\n').filter((l) => /^Error/.test(l)) }).toEqual({ code: 0, errors: [] });
      await app.stop();
      expect(stateOf(file)).toEqual({ integrity: 'ok', items: REMOTE_ITEMS, log: ['seeded', 'committed while hesap waited'], ...APP_PARTS });
    });
  });
});
